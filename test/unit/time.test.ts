import { describe, expect, it } from 'vitest';
import {
  intersectRanges, mergeRanges, parseIsoMs, rangesOverlap, subtractRanges, toIsoInZone, toIsoUtc, toIsoWithOffset,
} from '../../src/time.ts';

const r = (startMs: number, endMs: number) => ({ startMs, endMs });

describe('half-open ranges', () => {
  it.each([
    [r(0, 10), r(10, 20), false],
    [r(0, 10), r(9, 20), true],
    [r(5, 6), r(0, 100), true],
    [r(0, 10), r(20, 30), false],
  ])('overlap %o %o → %s', (a, b, want) => {
    expect(rangesOverlap(a, b)).toBe(want);
    expect(rangesOverlap(b, a)).toBe(want);
  });

  it.each([
    [[], []],
    [[r(0, 10), r(10, 20)], [r(0, 20)]],
    [[r(30, 40), r(0, 10), r(5, 12)], [r(0, 12), r(30, 40)]],
    [[r(5, 5), r(7, 3)], []],
  ])('merge %o', (input, want) => {
    expect(mergeRanges(input)).toEqual(want);
  });

  it.each([
    [r(0, 100), [], [r(0, 100)]],
    [r(0, 100), [r(0, 100)], []],
    [r(0, 100), [r(10, 20), r(50, 60)], [r(0, 10), r(20, 50), r(60, 100)]],
    [r(10, 20), [r(0, 15)], [r(15, 20)]],
    [r(10, 20), [r(15, 30)], [r(10, 15)]],
    [r(10, 20), [r(0, 5), r(25, 30)], [r(10, 20)]],
  ])('subtract %o minus %o', (within, covered, want) => {
    expect(subtractRanges(within, covered)).toEqual(want);
  });

  it('intersects', () => {
    expect(intersectRanges(r(0, 10), r(5, 20))).toEqual(r(5, 10));
    expect(intersectRanges(r(0, 10), r(10, 20))).toBeNull();
  });
});

describe('ISO 8601 at the edges', () => {
  it.each([
    ['2026-03-03T09:40:00+07:00', Date.UTC(2026, 2, 3, 2, 40, 0)],
    ['2026-03-03T02:40:00Z', Date.UTC(2026, 2, 3, 2, 40, 0)],
    ['2026-03-03T02:40:00.125Z', Date.UTC(2026, 2, 3, 2, 40, 0, 125)],
    ['2026-03-03T02:40Z', Date.UTC(2026, 2, 3, 2, 40, 0)],
    ['2026-03-02T21:10:00-05:30', Date.UTC(2026, 2, 3, 2, 40, 0)],
    ['2026-03-03T09:40:00+0700', Date.UTC(2026, 2, 3, 2, 40, 0)],
  ])('parses %s', (text, ms) => {
    expect(parseIsoMs(text)).toBe(ms);
  });

  it.each(['2026-03-03T09:40:00', '2026-03-03', 'yesterday', '2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', '2026-03-03T24:00:00Z'])(
    'rejects %s with a clear reason',
    (text) => {
      expect(() => parseIsoMs(text, 'from')).toThrow(/^from: /);
    },
  );

  it('formats in UTC, with an offset and in a zone', () => {
    const ms = Date.UTC(2026, 2, 3, 2, 40, 0);
    expect(toIsoUtc(ms)).toBe('2026-03-03T02:40:00.000Z');
    expect(toIsoWithOffset(ms, 420)).toBe('2026-03-03T09:40:00.000+07:00');
    expect(toIsoInZone(ms, 'Asia/Ho_Chi_Minh')).toBe('2026-03-03T09:40:00.000+07:00');
    expect(parseIsoMs(toIsoInZone(ms, 'America/New_York'))).toBe(ms);
  });
});
