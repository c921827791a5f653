import { describe, expect, it } from 'vitest';
import { newRunClock, observeProgress, placeSegment } from '../../recorder/segment-timing.ts';

const T0 = 1_767_578_400_000;

describe('segment placement', () => {
  it('anchors on the earliest (least delayed) progress report', () => {
    let run = newRunClock();
    run = observeProgress(run, { mediaMs: 0, atMs: T0 + 300 });
    run = observeProgress(run, { mediaMs: 2_000, atMs: T0 + 2_050 });
    run = observeProgress(run, { mediaMs: 4_000, atMs: T0 + 4_400 });
    expect(run.anchorMs).toBe(T0 + 50);
  });

  it('chains the segments of one run with no hole and no overlap', () => {
    let run = observeProgress(newRunClock(), { mediaMs: 500, atMs: T0 + 500 });
    const placed = [];
    for (const [s, e] of [[0, 10.04], [10.04, 20], [20, 29.96], [29.96, 40]] as const) {
      const p = placeSegment(run, { startSec: s, endSec: e }, null, T0 + 99_999);
      run = p.run;
      placed.push(p);
    }
    expect(placed[0]).toMatchObject({ startMs: T0, durationMs: 10_040 });
    for (let i = 1; i < placed.length; i++) {
      expect(placed[i]!.startMs).toBe(placed[i - 1]!.startMs + placed[i - 1]!.durationMs);
    }
    expect(placed.at(-1)!.startMs + placed.at(-1)!.durationMs).toBe(T0 + 40_000);
  });

  it.each([
    { name: 'after a gap the run starts where the stream says', covered: T0 - 5_000, wantStart: T0 },
    { name: 'never before what is already accounted for', covered: T0 + 120, wantStart: T0 + 120 },
    { name: 'camera without history', covered: null, wantStart: T0 },
  ])('$name', ({ covered, wantStart }) => {
    const run = observeProgress(newRunClock(), { mediaMs: 1_000, atMs: T0 + 1_000 });
    const p = placeSegment(run, { startSec: 0, endSec: 10 }, covered, T0 + 50_000);
    expect(p.startMs).toBe(wantStart);
    expect(p.startMs + p.durationMs).toBe(T0 + 10_000);
  });

  it('falls back to now when no progress was seen', () => {
    const p = placeSegment(newRunClock(), { startSec: 0, endSec: 10 }, null, T0 + 10_000);
    expect(p).toMatchObject({ startMs: T0, durationMs: 10_000 });
  });
});
