import { describe, expect, it } from 'vitest';
import { encodedAacForSpan, g711ForSpan, g711Silence, pickAacFrames, placeFrames, type TimedAudioFrame } from '../../recorder/backfill/segment-audio.ts';

const CFG = { asc: Buffer.from('1408', 'hex'), sampleRate: 16_000, channels: 1 };
const SPAN = { startMs: 10_000, durationMs: 1_000 }; // 16 000 samples
/** AAC frames every 64 ms (1024 samples at 16 kHz) from `firstMs`. */
const aac = (firstMs: number, n: number): TimedAudioFrame[] => Array.from({ length: n }, (_, i) => ({ data: Buffer.from([i]), timeMs: firstMs + i * 64, ticks: 5_000 + i * 1024 }));

describe('placing replayed audio frames in a segment', () => {
  it.each([
    { name: 'by time, then by exact RTP spacing', frames: [{ timeMs: 10_000, ticks: 0 }, { timeMs: 10_064.4, ticks: 1024 }], want: [0, 1024] },
    { name: 'NTP jitter under a frame keeps the RTP spacing', frames: [{ timeMs: 10_010, ticks: 0 }, { timeMs: 10_080, ticks: 1024 }], want: [160, 1184] },
    { name: 'a hole in the recording: placed by time again', frames: [{ timeMs: 10_000, ticks: 0 }, { timeMs: 10_500, ticks: 1024 }], want: [0, 8000] },
    { name: 'before the segment: negative', frames: [{ timeMs: 9_990, ticks: 0 }], want: [-160] },
  ])('$name', ({ frames, want }) => {
    expect(placeFrames(frames.map((f) => ({ ...f, data: Buffer.alloc(0) })), SPAN, 16_000, 1024)).toEqual(want);
  });
});

describe('AAC copied: frames of the segment, ends within half a frame', () => {
  it.each([
    { name: 'aligned frames: 16 of them from 0 (the 16th starts 40 ms before the end, kept)', first: 10_000, n: 20, wantFirst: 0, wantCount: 16, wantData0: 0 },
    { name: 'first frame 20 ms early (< half a frame): kept, the track shifted to 0', first: 9_980, n: 20, wantFirst: 0, wantCount: 16, wantData0: 0 },
    { name: 'first frame 40 ms early (> half a frame): left to the segment before', first: 9_960, n: 20, wantFirst: 384, wantCount: 15, wantData0: 1 },
    { name: 'audio begins 100 ms late: starts there', first: 10_100, n: 20, wantFirst: 1600, wantCount: 14, wantData0: 0 },
  ])('$name', ({ first, n, wantFirst, wantCount, wantData0 }) => {
    const r = pickAacFrames(aac(first, n), SPAN, CFG)!;
    expect(r.firstTicks).toBe(wantFirst);
    expect(r.samples.length).toBe(wantCount);
    expect(r.samples[0]!.data[0]).toBe(wantData0);
    expect(r.samples.every((s) => s.durationTicks === 1024)).toBe(true);
    const endTicks = r.firstTicks + r.samples.reduce((t, s) => t + s.durationTicks, 0);
    expect(Math.abs(endTicks - 16_000)).toBeLessThanOrEqual(1024);
  });
  it('consecutive segments share no frame and lose none', () => {
    const frames = aac(9_980, 40);
    const a = pickAacFrames(frames, SPAN, CFG)!;
    const b = pickAacFrames(frames, { startMs: 11_000, durationMs: 1_000 }, CFG)!;
    const ids = [...a.samples, ...b.samples].map((s) => s.data[0]);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i));
  });
  it('durations follow the frame spacing; nothing in the span gives null', () => {
    const frames = [{ data: Buffer.from([0]), timeMs: 10_000, ticks: 0 }, { data: Buffer.from([1]), timeMs: 10_064, ticks: 1000 }];
    expect(pickAacFrames(frames, SPAN, CFG)!.samples.map((s) => s.durationTicks)).toEqual([1000, 1024]);
    expect(pickAacFrames(aac(20_000, 3), SPAN, CFG)).toBeNull();
  });
});

describe('G.711 for encoding: exactly the span, silence where nothing came', () => {
  const f = (timeMs: number, bytes: number[], ticks: number): TimedAudioFrame => ({ data: Buffer.from(bytes), timeMs, ticks });
  const span = { startMs: 1_000, durationMs: 1 }; // 8 samples at 8 kHz
  it.each([
    { name: 'trimmed at both ends', frames: [f(999.5, [1, 2, 3, 4, 5, 6], 0), f(1000.25, [7, 8, 9, 10, 11, 12], 6)], want: [5, 6, 7, 8, 9, 10, 11, 12] },
    { name: 'late start and a hole: silence', frames: [f(1000.25, [1, 2], 0), f(1000.75, [3], 4)], want: [0xd5, 0xd5, 1, 2, 0xd5, 0xd5, 3, 0xd5] },
    { name: 'nothing: all silence', frames: [], want: Array(8).fill(0xd5) },
  ])('$name', ({ frames, want }) => {
    expect([...g711ForSpan(frames, span, 8_000, g711Silence('PCMA'))]).toEqual(want);
  });
  it('µ-law silence is 0xFF', () => expect(g711Silence('PCMU')).toBe(0xff));
});

describe('encoded AAC: the priming frame dropped, frames that start in the span kept', () => {
  const c8 = { asc: Buffer.from('1588', 'hex'), sampleRate: 8_000, channels: 1 };
  it.each([
    { name: '2 s at 8 kHz = 16 000 samples: 16 frames (the last ends 384 samples after the span)', frames: 18, durationMs: 2_000, want: 16 },
    { name: 'exactly 8 frames of samples', frames: 10, durationMs: 1_024, want: 8 },
    { name: 'only the priming frame: null', frames: 1, durationMs: 1_000, want: 0 },
  ])('$name', ({ frames, durationMs, want }) => {
    const r = encodedAacForSpan(Array.from({ length: frames }, (_, i) => Buffer.from([i])), { startMs: 0, durationMs }, c8);
    if (want === 0) return expect(r).toBeNull();
    expect(r!.firstTicks).toBe(0);
    expect(r!.samples.map((s) => s.data[0])).toEqual(Array.from({ length: want }, (_, i) => i + 1));
  });
});
