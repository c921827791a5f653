import { describe, expect, it } from 'vitest';
import { checkAccounting, describeAccounting, type CoverPiece } from '../../src/accounting.ts';

const seg = (startMs: number, endMs: number): CoverPiece => ({ kind: 'segment', startMs, endMs, label: `s${startMs}` });
const gap = (startMs: number, endMs: number, label = 'stream_stalled'): CoverPiece => ({ kind: 'gap', startMs, endMs, label });

describe('accounting invariant', () => {
  it.each([
    { name: 'exact cover', pieces: [seg(0, 10), seg(10, 20), gap(20, 25), seg(25, 40)], holes: 0, overlaps: 0 },
    { name: 'empty interval data', pieces: [], holes: 1, overlaps: 0 },
    { name: 'hole in the middle', pieces: [seg(0, 10), seg(12, 40)], holes: 1, overlaps: 0 },
    { name: 'hole at the end', pieces: [seg(0, 30)], holes: 1, overlaps: 0 },
    { name: 'overlap of segments', pieces: [seg(0, 12), seg(10, 40)], holes: 0, overlaps: 1 },
    { name: 'gap inside a segment', pieces: [seg(0, 40), gap(5, 6)], holes: 0, overlaps: 1 },
    { name: 'pieces beyond the interval are clipped', pieces: [seg(-10, 20), seg(20, 50)], holes: 0, overlaps: 0 },
    { name: 'unsorted input', pieces: [seg(20, 40), gap(10, 20), seg(0, 10)], holes: 0, overlaps: 0 },
  ])('$name', ({ pieces, holes, overlaps }) => {
    const r = checkAccounting({ startMs: 0, endMs: 40 }, pieces);
    expect(r.holes).toHaveLength(holes);
    expect(r.overlaps).toHaveLength(overlaps);
    expect(describeAccounting(r)).toHaveLength(holes + overlaps);
  });

  it('sums segment and gap time by reason', () => {
    const r = checkAccounting({ startMs: 0, endMs: 100 }, [seg(0, 50), gap(50, 60, 'camera_unreachable'), gap(60, 70, 'stream_stalled'), seg(70, 100)]);
    expect(r).toMatchObject({ segmentMs: 80, gapMs: 20, coveredMs: 100, gapMsByReason: { camera_unreachable: 10, stream_stalled: 10 } });
  });
});
