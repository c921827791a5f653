import { describe, expect, it } from 'vitest';
import { planClip, UNACCOUNTED_REASON } from '../../src/clip/clip-plan.ts';
import { decodeShifts, type TimelinePart } from '../../src/clip/clip-timeline.ts';
import { clampClipRange, layoutParts, slicesForRange } from '../../src/clip/clip-parts.ts';
import { decideAssembly } from '../../src/clip/clip-assembly.ts';
import { concatList } from '../../src/clip/clip-concat.ts';
import { endFragmentIndex, fragmentWallTimes, startFragmentIndex } from '../../src/fmp4/fragment-times.ts';
import type { Fragment } from '../../src/fmp4/fragments.ts';
import type { InitInfo, InitTrack } from '../../src/fmp4/init-info.ts';
import type { SegmentRecord } from '../../src/db/segments-repo.ts';
import type { GapRecord } from '../../src/db/gaps-repo.ts';
import { VigilError } from '../../src/errors.ts';

const T0 = Date.UTC(2026, 2, 3, 2, 40, 0); // 09:40 in Hanoi
const seg = (startS: number, durS: number, cam = 'cam-1'): SegmentRecord => ({
  cameraId: cam,
  startMs: T0 + startS * 1000,
  durationMs: durS * 1000,
  sizeBytes: 1000,
  sha256: `h${startS}`,
  objectKey: `${cam}/k-${startS}.mp4`,
  initBytes: 100,
});
const gap = (startS: number, endS: number, reason: string): GapRecord => ({ cameraId: 'cam-1', startMs: T0 + startS * 1000, endMs: T0 + endS * 1000, reason, detail: '' });

// A [0,4) B [4,8) C [8,12) | gap camera_unreachable [12,15) | D [15,19) E [19,23) | unrecorded hole [23,25) | F [25,29)
const SEGMENTS = [seg(0, 4), seg(4, 4), seg(8, 4), seg(15, 4), seg(19, 4), seg(25, 4), seg(0, 4, 'other')];
const GAPS = [gap(12, 15, 'camera_unreachable')];
const rel = (ms: number) => (ms - T0) / 1000;

describe('planClip', () => {
  it.each([
    ['inside one segment', [1, 3], ['0'], [false], []],
    ['across a join', [3, 5], ['0', '4'], [false, true], []],
    ['across a gap', [10, 17], ['8', '15'], [false, false], [[12, 15, 'camera_unreachable']]],
    ['starting exactly at a join: the segment ending there is not in it', [4, 8], ['4'], [false], []],
    ['one ms either side of a join', [3.999, 4.001], ['0', '4'], [false, true], []],
    ['everything', [0, 29], ['0', '4', '8', '15', '19', '25'], [false, true, true, false, true, false], [[12, 15, 'camera_unreachable'], [23, 25, UNACCOUNTED_REASON]]],
    ['before the first footage: an unaccounted edge', [-2, 1], ['0'], [false], [[-2, 0, UNACCOUNTED_REASON]]],
    ['a hole without a gap row is unaccounted', [22, 26], ['19', '25'], [false, false], [[23, 25, UNACCOUNTED_REASON]]],
  ] as const)('%s', (_why, [s, e], keys, continues, gaps) => {
    const plan = planClip({ request: { cameraId: 'cam-1', startMs: T0 + s * 1000, endMs: T0 + e * 1000 }, segments: SEGMENTS, gaps: GAPS });
    expect(plan.segments.map((x) => x.objectKey)).toEqual(keys.map((k) => `cam-1/k-${k}.mp4`));
    expect(plan.segments.map((x) => x.continuesPrevious)).toEqual(continues);
    expect(plan.gaps.map((g) => [rel(g.startMs), rel(g.endMs), g.reason])).toEqual(gaps);
  });

  it('keeps only rows of the camera, in time order, once each', () => {
    const rows = [seg(4, 4), seg(0, 4), seg(4, 4), seg(0, 4, 'other')];
    const plan = planClip({ request: { cameraId: 'cam-1', startMs: T0, endMs: T0 + 8000 }, segments: rows, gaps: [] });
    expect(plan.segments.map((x) => x.objectKey)).toEqual(['cam-1/k-0.mp4', 'cam-1/k-4.mp4']);
  });

  const failing: Array<[string, number, number, { code: string; message: RegExp; gaps?: number }, string?]> = [
    ['entirely inside a gap', 12.5, 14, { code: 'not_found', message: /lies in a gap \(camera_unreachable from 2026-03-03T02:40:12\.000Z to 2026-03-03T02:40:15\.000Z\)/, gaps: 1 }],
    ['entirely inside a gap, times in Hanoi', 12.5, 14, { code: 'not_found', message: /camera_unreachable from 2026-03-03T09:40:12\.000\+07:00 to 2026-03-03T09:40:15\.000\+07:00/, gaps: 1 }, 'Asia/Ho_Chi_Minh'],
    ['no footage and no gap', 100, 110, { code: 'not_found', message: /has no footage from .* to /, gaps: 0 }],
    ['reversed', 5, 3, { code: 'invalid_range', message: /before or when it starts/ }],
    ['empty', 5, 5, { code: 'invalid_range', message: /before or when it starts/ }],
    ['longer than the limit', 0, 3 * 3600 + 1, { code: 'invalid_range', message: /at most 3 h; 3 h were asked|at most 3 h; 3\.\d+ h were asked/ }],
    ['not whole milliseconds', 0.0001, 1, { code: 'invalid_range', message: /whole milliseconds/ }],
  ];
  it.each(failing)('%s', (_why, s, e, want, timeZone) => {
    const run = () => planClip({ request: { cameraId: 'cam-1', startMs: T0 + s * 1000, endMs: T0 + e * 1000 }, segments: SEGMENTS, gaps: GAPS, ...(timeZone ? { timeZone } : {}) });
    let err: unknown;
    try { run(); } catch (x) { err = x; }
    expect(err).toBeInstanceOf(VigilError);
    const v = err as VigilError;
    expect(v.code).toBe(want.code);
    expect(v.message).toMatch(want.message);
    if (want.gaps !== undefined) expect((v.details.gaps as unknown[]).length).toBe(want.gaps);
  });

  it('a configured maximum wins over the default', () => {
    expect(() => planClip({ request: { cameraId: 'cam-1', startMs: T0, endMs: T0 + 61_000 }, segments: SEGMENTS, gaps: [], maxClipMs: 60_000 })).toThrow(/at most 1 min; 1\.02 min were asked/);
  });
});

const span = (trackId: number, timescale: number, firstTicks: number, endTicks: number) => ({ trackId, timescale, firstTicks, endTicks });
const part = (continuesPrevious: boolean, ...tracks: ReturnType<typeof span>[]): TimelinePart => ({ continuesPrevious, timing: { tracks } });

describe('decode-time shifts of clip parts', () => {
  it.each([
    ['first part: earliest track to 0, the other keeps its offset', [part(false, span(1, 12800, 25600, 51200), span(2, 16000, 31744, 64000))], [[[1, -25395], [2, -31744]]]],
    ['a continuing part picks up every track where it ended (no drift correction inside a run)', [part(false, span(1, 12800, 0, 51200), span(2, 16000, 0, 65024)), part(true, span(1, 12800, 0, 51200), span(2, 16000, 0, 64000))], [[[1, 0], [2, 0]], [[1, 51200], [2, 65024]]]],
    ['after a gap all tracks start together at the latest end', [part(false, span(1, 12800, 0, 51200), span(2, 16000, 0, 65024)), part(false, span(1, 12800, 0, 51200), span(2, 16000, 0, 64000))], [[[1, 0], [2, 0]], [[1, 52020], [2, 65024]]]],
    ['a track new in a continuing part re-aligns the part', [part(false, span(1, 12800, 0, 51200)), part(true, span(1, 12800, 0, 51200), span(2, 16000, 0, 64000))], [[[1, 0]], [[1, 51200], [2, 64000]]]],
    ['90 kHz epoch-sized decode times stay exact', [part(false, span(1, 90000, 159_000_000_000_000, 159_000_000_360_000)), part(true, span(1, 90000, 0, 360_000))], [[[1, -159_000_000_000_000]], [[1, 360_000]]]],
  ] as const)('%s', (_why, parts, want) => {
    const shifts = decodeShifts(parts);
    expect(shifts.map((m) => [...m.entries()])).toEqual(want);
  });

  it('after a gap, a B-frame track is not shown before the previous part has finished showing', () => {
    // Part 1: video decodes over [0, 51200) but, with B-frames, shows until 51200 + 1024.
    // Part 2 (a new run): its first GOP has no composition offset (ffmpeg's first GOP of a session).
    const withPres = (trackId: number, ts: number, first: number, end: number, firstPres: number, presEnd: number) => ({ ...span(trackId, ts, first, end), firstPresentationTicks: firstPres, presentationEndTicks: presEnd });
    const shifts = decodeShifts([
      part(false, withPres(1, 12800, 0, 51200, 1024, 52224), withPres(2, 16000, 0, 64000, 0, 64000)),
      part(false, withPres(1, 12800, 0, 51200, 0, 51200), withPres(2, 16000, 0, 64000, 0, 64000)),
    ]);
    const v = shifts[1]!.get(1)!;
    const a = shifts[1]!.get(2)!;
    expect(0 + v).toBeGreaterThanOrEqual(52224); // first shown frame of part 2 after the last of part 1
    expect(a).toBe(Math.ceil((v * 16000) / 12800)); // audio starts with it
    // Without presentation facts the join is the plain latest decode end.
    expect(decodeShifts([part(false, span(1, 12800, 0, 51200)), part(false, span(1, 12800, 0, 51200))])[1]!.get(1)).toBe(51200);
  });

  it('never lets a track go back in time, whatever the parts', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let trial = 0; trial < 200; trial++) {
      const parts: TimelinePart[] = Array.from({ length: 6 }, (_, i) => {
        const v = rnd(3000);
        const a = rnd(3000);
        return part(i > 0 && rnd(3) > 0, span(1, 12800, v, v + 51200 + rnd(2000)), span(2, 8000, a, a + 32000 + rnd(2000)));
      });
      const shifts = decodeShifts(parts);
      const lastEnd = new Map<number, number>();
      parts.forEach((p, i) => {
        for (const t of p.timing.tracks) {
          const first = t.firstTicks + shifts[i]!.get(t.trackId)!;
          expect(first).toBeGreaterThanOrEqual(lastEnd.get(t.trackId) ?? 0);
          lastEnd.set(t.trackId, t.endTicks + shifts[i]!.get(t.trackId)!);
        }
      });
    }
  });
});

describe('byte layout of a clip', () => {
  const { parts, sizeBytes } = layoutParts([
    { kind: 'init', segmentIndex: 0, objectKey: 'a', sourceStart: 0, sourceEnd: 10 },
    { kind: 'fragments', segmentIndex: 0, objectKey: 'a', sourceStart: 500, sourceEnd: 600 },
    { kind: 'fragments', segmentIndex: 1, objectKey: 'b', sourceStart: 10, sourceEnd: 60 },
  ]);
  it('sums the parts', () => {
    expect(sizeBytes).toBe(160);
    expect(parts.map((p) => p.clipOffset)).toEqual([0, 10, 110]);
  });
  it.each([
    ['whole', undefined, [[0, 0, 10], [1, 0, 100], [2, 0, 50]]],
    ['inside one part', { start: 20, end: 29 }, [[1, 10, 10]]],
    ['across a boundary', { start: 5, end: 14 }, [[0, 5, 5], [1, 0, 5]]],
    ['the last byte', { start: 159, end: 159 }, [[2, 49, 1]]],
    ['an end past the clip is cut', { start: 100, end: 10_000 }, [[1, 90, 10], [2, 0, 50]]],
  ] as const)('%s', (_why, range, want) => {
    expect(slicesForRange(parts, clampClipRange(range, sizeBytes)).map((s) => [s.partIndex, s.skipBytes, s.takeBytes])).toEqual(want);
  });
  it.each([
    [{ start: 160, end: 170 }],
    [{ start: 5, end: 4 }],
    [{ start: -1, end: 4 }],
  ])('unsatisfiable %j', (range) => {
    expect(() => clampClipRange(range, sizeBytes)).toThrow(expect.objectContaining({ code: 'range_not_satisfiable' }));
  });
});

const track = (o: Partial<InitTrack>): InitTrack => ({ trackId: 1, handler: 'vide', timescale: 12800, codec: 'avc1', defaults: { sampleDescriptionIndex: 1, sampleDurationTicks: 0, sampleSizeBytes: 0, sampleFlags: 0 }, editMediaTimeTicks: null, ...o });
const initOf = (tracks: InitTrack[], config = 'x'): InitInfo => {
  const layout = tracks.map((t) => [t.trackId, t.handler, t.codec, t.timescale, t.channels ?? '', t.sampleRateHz ?? ''].join(':')).join('|');
  return { initBytes: 1000, movieTimescale: 1000, tracks, layoutFingerprint: layout, configFingerprint: `${layout}#${config}` };
};
const V = track({});
const A = track({ trackId: 2, handler: 'soun', timescale: 8000, codec: 'mp4a', channels: 1, sampleRateHz: 8000 });

describe('how segments are joined', () => {
  it.each([
    ['same moov everywhere', [initOf([V, A]), initOf([V, A])], [], 'fragment_copy'],
    ['new sample entry with in-band parameter sets', [initOf([V, A]), initOf([V, A], 'y')], [true], 'fragment_copy'],
    ['new sample entry, parameter sets only in the moov', [initOf([V, A]), initOf([V, A], 'y')], [false], 'refuse:1:no parameter sets'],
    ['frame-rate change: another timescale', [initOf([V, A]), initOf([V, A]), initOf([track({ timescale: 15360 }), A])], [], 'ffmpeg_concat:2:timescale changes from 12800 to 15360'],
    ['audio timescale alone (cannot be remuxed to the first)', [initOf([V, A]), initOf([V, track({ ...A, timescale: 16000 })])], [], 'refuse:1:audio timescale changes from 8000 to 16000'],
    ['codec change', [initOf([V]), initOf([track({ codec: 'hvc1' })])], [], 'refuse:1:codec changes from avc1 to hvc1'],
    ['audio switched off', [initOf([V, A]), initOf([V])], [], 'refuse:1:tracks change from vide+soun to vide'],
    ['audio format change', [initOf([V, A]), initOf([V, track({ ...A, timescale: 16000, sampleRateHz: 16000 })])], [], 'refuse:1:audio format changes'],
  ] as const)('%s', (_why, inits, inBand, want) => {
    const d = decideAssembly(inits.map((init, i) => ({ init, ...(i > 0 && inBand[i - 1] !== undefined ? { inBandParameterSets: inBand[i - 1]! } : {}) })));
    const text = d.kind === 'fragment_copy' ? d.kind : `${d.kind}:${d.atIndex}:${d.reason}`;
    expect(text.startsWith(want.split(':')[0]!)).toBe(true);
    if (d.kind !== 'fragment_copy') {
      expect(d.atIndex).toBe(Number(want.split(':')[1]));
      expect(d.reason).toContain(want.split(':').slice(2).join(':'));
    }
  });

  it('the concat list cuts the first and last file', () => {
    expect(concatList(['/t/a.mp4', "/t/o'b.mp4"], { firstInpointSec: 2, lastOutpointSec: 3.5 })).toBe("file '/t/a.mp4'\ninpoint 2.000\nfile '/t/o'\\''b.mp4'\noutpoint 3.500\n");
  });
});

/** Fragments of one second (12800 ticks), keyframe every other one: K - K - K */
const frags = (keys: boolean[]): Fragment[] =>
  keys.map((k, i) => ({
    startOffset: 100 + i * 10,
    endOffset: 110 + i * 10,
    moof: { offset: 0, size: 8, sequenceNumber: i + 1, sequenceNumberOffset: 0, trafs: [] },
    tracks: [{ trackId: 1, decodeTimeTicks: 5000 + i * 12800, durationTicks: 12800, sampleCount: 25 }, { trackId: 2, decodeTimeTicks: i * 8000, durationTicks: 8000, sampleCount: 8 }],
    startsWithKeyframe: k,
  }));

describe('where a clip is cut in a segment', () => {
  const init = initOf([V, A]);
  const f = frags([true, false, true, false, true]);
  const times = fragmentWallTimes(init, f, T0);
  it('fragment wall times follow the video decode time from the segment start', () => {
    expect(times.map((t) => [rel(t.startMs), rel(t.endMs)])).toEqual([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]);
  });
  it.each([
    ['on a keyframe', 2, 2],
    ['between keyframes: the one before', 3.5, 2],
    ['before the segment: its first keyframe', -1, 0],
    ['after the last keyframe', 4.9, 4],
  ])('start %s', (_why, at, want) => {
    expect(startFragmentIndex(f, times, T0 + at * 1000)).toBe(want);
  });
  it.each([
    ['inside a fragment', 2.5, 2],
    ['exactly at a fragment start (half-open)', 3, 2],
    ['past the end', 99, 4],
  ])('end %s', (_why, at, want) => {
    expect(endFragmentIndex(times, T0 + at * 1000)).toBe(want);
  });
  it('no keyframe at all', () => {
    expect(startFragmentIndex(frags([false, false]), times, T0)).toBeNull();
  });
});
