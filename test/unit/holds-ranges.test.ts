import { describe, expect, it } from 'vitest';
import { exportHeldRange, heldRangesOverlapping, isRangeHeld, mergeHeldRanges, type HeldItem } from '../../src/cases/held-ranges.ts';

const hold = (cameraId: string, startMs: number, endMs: number, holdId: number, caseId = 'case-a'): HeldItem => ({ cameraId, startMs, endMs, source: { kind: 'hold', holdId, caseId } });
const exp = (cameraId: string, startMs: number, endMs: number, exportId: string, caseId = 'case-a'): HeldItem => ({ cameraId, startMs, endMs, source: { kind: 'export', exportId, caseId } });
const spans = (items: HeldItem[]) => mergeHeldRanges(items).map((r) => [r.cameraId, r.startMs, r.endMs]);

describe('mergeHeldRanges', () => {
  it.each<[string, HeldItem[], Array<[string, number, number]>]>([
    ['nothing held', [], []],
    ['one hold', [hold('c1', 10, 20, 1)], [['c1', 10, 20]]],
    ['disjoint stay apart', [hold('c1', 30, 40, 2), hold('c1', 10, 20, 1)], [['c1', 10, 20], ['c1', 30, 40]]],
    ['overlapping merge', [hold('c1', 10, 25, 1), hold('c1', 20, 40, 2)], [['c1', 10, 40]]],
    ['touching merge (half-open)', [hold('c1', 10, 20, 1), hold('c1', 20, 30, 2)], [['c1', 10, 30]]],
    ['one ms apart stay apart', [hold('c1', 10, 20, 1), hold('c1', 21, 30, 2)], [['c1', 10, 20], ['c1', 21, 30]]],
    ['contained is absorbed', [hold('c1', 10, 100, 1), hold('c1', 20, 30, 2)], [['c1', 10, 100]]],
    ['chain merges through a long one', [hold('c1', 0, 100, 1), hold('c1', 50, 60, 2), hold('c1', 90, 120, 3)], [['c1', 0, 120]]],
    ['cameras never merge', [hold('c2', 10, 20, 1), hold('c1', 10, 20, 2)], [['c1', 10, 20], ['c2', 10, 20]]],
    ['holds and exports merge', [hold('c1', 10, 20, 1), exp('c1', 15, 30, 'ev-1')], [['c1', 10, 30]]],
    ['empty and reversed ignored', [hold('c1', 10, 10, 1), hold('c1', 30, 20, 2), hold('c1', 1.5, 4, 3)], []],
    ['same range twice', [hold('c1', 10, 20, 1), exp('c1', 10, 20, 'ev-1')], [['c1', 10, 20]]],
  ])('%s', (_name, items, want) => {
    expect(spans(items)).toEqual(want);
  });

  it('names every hold, export and case behind a merged range, sorted and once', () => {
    const [r] = mergeHeldRanges([hold('c1', 0, 10, 7, 'case-b'), exp('c1', 5, 15, 'ev-2', 'case-a'), hold('c1', 12, 20, 3, 'case-b'), exp('c1', 0, 3, 'ev-1', 'case-a')]);
    expect(r).toEqual({ cameraId: 'c1', startMs: 0, endMs: 20, caseIds: ['case-a', 'case-b'], holdIds: [3, 7], exportIds: ['ev-1', 'ev-2'] });
  });

  it('does not change its input', () => {
    const items = [hold('c1', 20, 30, 1), hold('c1', 0, 25, 2)];
    const copy = structuredClone(items);
    mergeHeldRanges(items);
    expect(items).toEqual(copy);
  });
});

describe('heldRangesOverlapping / isRangeHeld', () => {
  const items = [hold('c1', 100, 200, 1), hold('c1', 200, 250, 2), hold('c1', 400, 500, 3), hold('c2', 0, 1000, 4)];
  it.each<[string, number, number, Array<[number, number]>]>([
    ['before everything', 0, 100, []],
    ['touching the start is not overlapping', 50, 100, []],
    ['first ms of a hold', 99, 101, [[100, 250]]],
    ['whole merged range returned, not clipped', 240, 260, [[100, 250]]],
    ['between holds', 250, 400, []],
    ['spanning two ranges', 0, 1000, [[100, 250], [400, 500]]],
    ['last ms', 499, 500, [[400, 500]]],
    ['after the end', 500, 600, []],
  ])('%s: [%d, %d)', (_n, startMs, endMs, want) => {
    expect(heldRangesOverlapping(items, 'c1', { startMs, endMs }).map((r) => [r.startMs, r.endMs])).toEqual(want);
    expect(isRangeHeld(mergeHeldRanges(items), 'c1', { startMs, endMs })).toBe(want.length > 0);
  });

  it('only looks at the camera asked for', () => {
    expect(heldRangesOverlapping(items, 'c3', { startMs: 0, endMs: 1000 })).toEqual([]);
    expect(heldRangesOverlapping(items, 'c2', { startMs: 300, endMs: 301 }).map((r) => r.holdIds)).toEqual([[4]]);
  });
});

describe('exportHeldRange', () => {
  const base = { askedStartMs: 10_000, askedEndMs: 20_000, actualStartMs: null, actualEndMs: null };
  it.each<[string, Parameters<typeof exportHeldRange>[0], { startMs: number; endMs: number } | null]>([
    ['queued holds the asked range', { ...base, status: 'queued' }, { startMs: 10_000, endMs: 20_000 }],
    ['running holds the asked range', { ...base, status: 'running' }, { startMs: 10_000, endMs: 20_000 }],
    ['failed holds nothing', { ...base, status: 'failed' }, null],
    ['done widens to the keyframe before the start', { ...base, status: 'done', actualStartMs: 8_400, actualEndMs: 19_960 }, { startMs: 8_400, endMs: 20_000 }],
    ['done with a later actual start keeps the asked start', { ...base, status: 'done', actualStartMs: 12_000, actualEndMs: 18_000 }, { startMs: 10_000, endMs: 20_000 }],
    ['done without actual range (old row) keeps the asked one', { ...base, status: 'done' }, { startMs: 10_000, endMs: 20_000 }],
  ])('%s', (_n, e, want) => {
    expect(exportHeldRange(e)).toEqual(want);
  });
});
