import { describe, expect, it } from 'vitest';
import { cutReplay, type SegmenterConfig, type SegmenterFrame } from '../../recorder/backfill/replay-segmenter.ts';

const T0 = Date.UTC(2026, 0, 5, 3, 0, 0);

/** 25 fps frames from `fromS` for `seconds`, a keyframe every `gopS` s of camera time (aligned to T0). */
function frames(fromS: number, seconds: number, opts: { gopS?: number; offsetMs?: number } = {}): SegmenterFrame[] {
  const gopFrames = (opts.gopS ?? 2) * 25;
  const out: SegmenterFrame[] = [];
  const first = Math.round(fromS * 25);
  for (let n = first; n < first + seconds * 25; n++) out.push({ cameraMs: T0 + (opts.offsetMs ?? 0) + n * 40, keyframe: n % gopFrames === 0, discontinuity: false });
  return out;
}

const cfg = (over: Partial<SegmenterConfig> = {}): SegmenterConfig => ({
  range: { startMs: T0, endMs: T0 + 20_000 },
  segmentTargetMs: 6_000,
  clockOffsetMs: 0,
  frameIntervalMs: 40,
  ...over,
});

const shape = (segs: ReturnType<typeof cutReplay>) => segs.map((s) => ({ start: s.startMs - T0, dur: s.durationMs, n: s.frames.length }));

describe('replay segmenter', () => {
  const table: Array<{ name: string; input: () => SegmenterFrame[]; cfg: SegmenterConfig; want: Array<{ start: number; dur: number; n: number }> }> = [
    {
      name: 'cuts at the first keyframe at or after the target',
      input: () => frames(0, 20),
      cfg: cfg(),
      want: [
        { start: 0, dur: 6_000, n: 150 },
        { start: 6_000, dur: 6_000, n: 150 },
        { start: 12_000, dur: 6_000, n: 150 },
        { start: 18_000, dur: 2_000, n: 50 },
      ],
    },
    {
      name: 'target not on a GOP boundary: the cut waits for the next keyframe',
      input: () => frames(0, 12),
      cfg: cfg({ segmentTargetMs: 5_000 }),
      want: [
        { start: 0, dur: 6_000, n: 150 },
        { start: 6_000, dur: 6_000, n: 150 },
      ],
    },
    {
      name: 'frames before the first keyframe at or after range.startMs are not fetched into a segment',
      input: () => frames(-3, 10),
      cfg: cfg({ range: { startMs: T0 + 500, endMs: T0 + 20_000 } }),
      want: [{ start: 2_000, dur: 5_000, n: 125 }],
    },
    {
      name: 'frames at or after range.endMs are dropped and the last segment ends at the range end',
      input: () => frames(0, 10),
      cfg: cfg({ range: { startMs: T0, endMs: T0 + 4_990 } }),
      want: [{ start: 0, dur: 4_990, n: 125 }],
    },
    {
      name: 'camera clock ahead by 90 s: frame times corrected by the offset',
      input: () => frames(0, 4, { offsetMs: 90_000 }),
      cfg: cfg({ clockOffsetMs: 90_000 }),
      want: [{ start: 0, dur: 4_000, n: 100 }],
    },
    {
      name: 'a time jump ends the segment; the next starts at the next keyframe',
      input: () => [...frames(0, 3), ...frames(5, 5)],
      cfg: cfg(),
      want: [
        { start: 0, dur: 3_000, n: 75 },
        { start: 6_000, dur: 4_000, n: 100 },
      ],
    },
    {
      name: 'the D flag ends the segment even without a time jump',
      input: () => frames(0, 8).map((f, i) => (i === 110 ? { ...f, discontinuity: true } : f)),
      cfg: cfg(),
      want: [
        { start: 0, dur: 4_400, n: 110 },
        { start: 6_000, dur: 2_000, n: 50 },
      ],
    },
    {
      name: 'a discontinuity on a keyframe starts the next segment right there',
      input: () => frames(0, 8).map((f, i) => (i === 100 ? { ...f, discontinuity: true } : f)),
      cfg: cfg(),
      want: [
        { start: 0, dur: 4_000, n: 100 },
        { start: 4_000, dur: 4_000, n: 100 },
      ],
    },
    {
      name: 'B-frame reordering (times not monotonic) is no discontinuity; duration from the latest frame',
      input: () => {
        const f = frames(0, 4);
        // decode order I P B B: swap each pair after the keyframe
        const out = [...f];
        for (let i = 1; i + 1 < out.length; i += 2) if (!out[i]!.keyframe && !out[i + 1]!.keyframe) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
        return out;
      },
      cfg: cfg(),
      want: [{ start: 0, dur: 4_000, n: 100 }],
    },
    {
      name: 'nothing in the range gives nothing',
      input: () => frames(30, 2),
      cfg: cfg(),
      want: [],
    },
  ];
  for (const t of table) it(t.name, () => expect(shape(cutReplay(t.input(), t.cfg))).toEqual(t.want));

  it('every segment starts with a keyframe and frame times are on the recorder clock', () => {
    const segs = cutReplay(frames(0, 20, { offsetMs: -7_000 }), cfg({ clockOffsetMs: -7_000 }));
    for (const s of segs) {
      expect(s.frames[0]!.frame.keyframe).toBe(true);
      expect(s.frames[0]!.timeMs).toBe(s.startMs);
    }
    expect(segs[0]!.frames[1]!.timeMs).toBe(T0 + 40);
  });
});
