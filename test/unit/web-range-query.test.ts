import { describe, expect, it } from 'vitest';
import { rangeQuery, timelinePath } from '../../api/web/src/range-query.ts';

describe('range queries of the web pages', () => {
  it.each([
    // [startMs, endMs, zone, query]
    [Date.UTC(2026, 11, 1, 1, 0, 0), Date.UTC(2026, 11, 1, 1, 30, 0), 'Asia/Ho_Chi_Minh', 'start=2026-12-01T08%3A00%3A00%2B07%3A00&end=2026-12-01T08%3A30%3A00%2B07%3A00'],
    [Date.UTC(2026, 11, 1, 16, 59, 59, 250), Date.UTC(2026, 11, 1, 17, 0, 0, 0), 'Asia/Ho_Chi_Minh', 'start=2026-12-01T23%3A59%3A59.250%2B07%3A00&end=2026-12-02T00%3A00%3A00%2B07%3A00'],
    [Date.UTC(2026, 5, 1, 12), Date.UTC(2026, 5, 1, 13), 'UTC', 'start=2026-06-01T12%3A00%3A00%2B00%3A00&end=2026-06-01T13%3A00%3A00%2B00%3A00'],
  ])('%i..%i in %s', (startMs, endMs, zone, query) => {
    const q = rangeQuery(startMs, endMs, zone);
    // The instants read back are the ones asked for (no '+' turned into a space).
    const p = new URLSearchParams(q);
    expect([Date.parse(p.get('start')!), Date.parse(p.get('end')!)]).toEqual([startMs, endMs]);
    expect(q).toBe(query);
  });

  it('puts the camera id in the timeline path encoded', () => {
    expect(timelinePath('quầy 1/a', 0, 1_000, 'UTC')).toBe('/api/v1/cameras/qu%E1%BA%A7y%201%2Fa/timeline?start=1970-01-01T00%3A00%3A00%2B00%3A00&end=1970-01-01T00%3A00%3A01%2B00%3A00');
  });
});
