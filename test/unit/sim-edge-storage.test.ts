import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { EdgeRecorder } from '../../recorder/sim/edge-recorder.ts';
import { heldIntervals, replayRuns, type EdgeState, type FrameGrid, type Interval } from '../../recorder/sim/edge-storage.ts';
import { CameraFaults } from '../../recorder/sim/faults.ts';
import { formatClockTime, parseClockTime, parseReplayPlay } from '../../recorder/sim/rtsp-replay.ts';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const s = (sec: number) => T0 + sec * 1000;
const iv = (a: number, b: number): Interval => ({ startMs: s(a), endMs: s(b) });

describe('heldIntervals', () => {
  const cases: Array<{ name: string; state: Omit<EdgeState, 'startMs'> & { startMs?: number }; held: Interval[] }> = [
    { name: 'nothing yet at the start', state: { nowMs: s(0), retentionMs: 60_000, holes: [] }, held: [] },
    { name: 'everything since the start within retention', state: { nowMs: s(30), retentionMs: 60_000, holes: [] }, held: [iv(0, 30)] },
    { name: 'retention cuts the oldest', state: { nowMs: s(100), retentionMs: 60_000, holes: [] }, held: [iv(40, 100)] },
    { name: 'a closed hole splits', state: { nowMs: s(50), retentionMs: 60_000, holes: [{ startMs: s(10), endMs: s(20) }] }, held: [iv(0, 10), iv(20, 50)] },
    { name: 'an open hole ends the recording', state: { nowMs: s(50), retentionMs: 60_000, holes: [{ startMs: s(40) }] }, held: [iv(0, 40)] },
    { name: 'a hole older than retention is gone', state: { nowMs: s(200), retentionMs: 60_000, holes: [{ startMs: s(10), endMs: s(20) }] }, held: [iv(140, 200)] },
    { name: 'a hole across the retention edge', state: { nowMs: s(100), retentionMs: 60_000, holes: [{ startMs: s(30), endMs: s(50) }] }, held: [iv(50, 100)] },
    {
      name: 'overlapping and unsorted holes merge',
      state: { nowMs: s(60), retentionMs: 600_000, holes: [{ startMs: s(30), endMs: s(40) }, { startMs: s(10), endMs: s(35) }] },
      held: [iv(0, 10), iv(40, 60)],
    },
    { name: 'a hole from the very start', state: { nowMs: s(60), retentionMs: 600_000, holes: [{ startMs: s(0), endMs: s(5) }] }, held: [iv(5, 60)] },
    { name: 'never recorded', state: { nowMs: s(60), retentionMs: 600_000, holes: [{ startMs: s(0) }] }, held: [] },
  ];
  it.each(cases)('$name', ({ state, held }) => {
    expect(heldIntervals({ startMs: s(0), ...state })).toEqual(held);
  });
});

describe('replayRuns', () => {
  // 25 fps, a keyframe every 50 frames (2 s), frame 0 at T0.
  const grid: FrameGrid = { originMs: T0, frameMs: 40, isKeyframe: (k) => k % 50 === 0 };
  const cases: Array<{ name: string; held: Interval[]; from: number; to?: number; runs: Array<[number, number]> }> = [
    { name: 'from a keyframe to an instant', held: [iv(0, 60)], from: 4, to: 10, runs: [[100, 250]] },
    { name: 'start between keyframes goes back to the keyframe', held: [iv(0, 60)], from: 5.5, to: 7, runs: [[100, 175]] },
    { name: 'an end between frames keeps the last frame before it', held: [iv(0, 60)], from: 0, to: 0.1, runs: [[0, 3]] },
    { name: 'open end: up to what is held', held: [iv(0, 10)], from: 8, runs: [[200, 250]] },
    { name: 'a hole: the next run starts at the first keyframe after it', held: [iv(0, 10.5), iv(11, 30)], from: 8, to: 16, runs: [[200, 263], [300, 400]] },
    { name: 'start inside a hole', held: [iv(0, 10), iv(20, 30)], from: 15, to: 25, runs: [[500, 625]] },
    { name: 'start before the retention edge', held: [iv(40, 100)], from: 10, to: 42, runs: [[1000, 1050]] },
    { name: 'nothing held in the range', held: [iv(0, 10), iv(20, 30)], from: 12, to: 19, runs: [] },
    { name: 'the keyframe before the start is in a hole', held: [iv(0, 9), iv(10.5, 30)], from: 11, to: 14, runs: [[300, 350]] },
    { name: 'an interval too short to hold a keyframe is skipped', held: [iv(0, 4), iv(4.5, 5.5), iv(6, 10)], from: 0, to: 10, runs: [[0, 100], [150, 250]] },
  ];
  it.each(cases)('$name', ({ held, from, to, runs }) => {
    expect(replayRuns(held, grid, s(from), to === undefined ? undefined : s(to)).map((r) => [r.first, r.end])).toEqual(runs);
  });

  it('every run starts at a keyframe and frames stay inside the held intervals', () => {
    const held = [iv(0, 7.3), iv(9.1, 21.7), iv(22, 40)];
    for (const from of [0, 3.3, 7.2, 8, 15.01, 21.9]) {
      for (const run of replayRuns(held, grid, s(from), s(35))) {
        expect(grid.isKeyframe(run.first)).toBe(true);
        const first = T0 + run.first * 40;
        const last = T0 + (run.end - 1) * 40;
        expect(held.some((h) => first >= h.startMs && last < h.endMs)).toBe(true);
        expect(last).toBeLessThan(s(35));
      }
    }
  });
});

describe('EdgeRecorder', () => {
  it('turns edgeRecording=false periods into holes and keeps recording through a network cut', () => {
    const clock = new ManualClock(T0);
    const faults = new CameraFaults(clock);
    const edge = new EdgeRecorder(clock, faults, T0, 60_000);
    clock.advance(10_000);
    faults.set({ networkCut: true }, 5_000);
    clock.advance(10_000);
    expect(edge.held()).toEqual([iv(0, 20)]);
    faults.set({ edgeRecording: false }, 3_000);
    expect(edge.recording).toBe(false);
    clock.advance(5_000);
    expect(edge.recording).toBe(true);
    expect(edge.held()).toEqual([iv(0, 20), iv(23, 25)]);
    clock.advance(60_000);
    expect(edge.held()).toEqual([iv(25, 85)]);
    edge.stop();
  });
});

describe('replay PLAY headers', () => {
  it('parses and formats ISO 8601 basic clock times', () => {
    expect(parseClockTime('20261201T101500.250Z')).toBe(Date.UTC(2026, 11, 1, 10, 15, 0, 250));
    expect(parseClockTime('20261201T101500Z')).toBe(Date.UTC(2026, 11, 1, 10, 15, 0));
    expect(parseClockTime('2026-12-01T10:15:00Z')).toBeUndefined();
    expect(formatClockTime(Date.UTC(2026, 11, 1, 10, 15, 0, 250))).toBe('20261201T101500.250Z');
  });

  const cases: Array<{ name: string; headers: Record<string, string>; expected: ReturnType<typeof parseReplayPlay> }> = [
    { name: 'no Require → 551', headers: { range: 'clock=20261201T101500Z-' }, expected: { ok: false, status: 551, headers: [['Unsupported', 'onvif-replay']] } },
    { name: 'unknown option → 551 naming it', headers: { require: 'onvif-replay, x-foo' }, expected: { ok: false, status: 551, headers: [['Unsupported', 'x-foo']] } },
    {
      name: 'open end, rate control off',
      headers: { require: 'onvif-replay', range: 'clock=20261201T101500.250Z-', 'rate-control': 'no' },
      expected: { ok: true, request: { startMs: Date.UTC(2026, 11, 1, 10, 15, 0, 250), endMs: undefined, rateControl: false } },
    },
    {
      name: 'both ends, rate control by default',
      headers: { require: 'onvif-replay', range: 'clock=20261201T101500Z-20261201T101520Z' },
      expected: { ok: true, request: { startMs: Date.UTC(2026, 11, 1, 10, 15, 0), endMs: Date.UTC(2026, 11, 1, 10, 15, 20), rateControl: true } },
    },
    { name: 'no Range: from the start', headers: { require: 'onvif-replay' }, expected: { ok: true, request: { startMs: undefined, endMs: undefined, rateControl: true } } },
    { name: 'npt range → 457', headers: { require: 'onvif-replay', range: 'npt=0-' }, expected: { ok: false, status: 457, headers: [] } },
    { name: 'end before start → 457', headers: { require: 'onvif-replay', range: 'clock=20261201T101520Z-20261201T101500Z' }, expected: { ok: false, status: 457, headers: [] } },
  ];
  it.each(cases)('$name', ({ headers, expected }) => {
    expect(parseReplayPlay((n) => headers[n])).toEqual(expected);
  });
});
