import type { AudioTrackSamples, AacTrackConfig } from './fmp4-audio.ts';

/**
 * Which replayed audio goes into a segment, and where. Pure: frames in (recorder-clock times,
 * unwrapped RTP ticks at the sample rate), positions in sample ticks from the segment's start
 * out. A frame is placed by its time; the frames after it by their exact RTP spacing, unless
 * that disagrees with their time by more than one frame (a hole in the recording), then by time.
 *
 *  - AAC (copied): frames starting from half a frame before the segment to half a frame before
 *    its end are kept, so consecutive segments share none and lose none; when the first starts
 *    before 0 all are shifted by that (< half a frame), as a track cannot start before 0.
 *  - G.711 (to be encoded): the samples of exactly the segment's span, holes and ends filled
 *    with silence, so the encoded AAC starts at 0 and ends within one frame of the video.
 */

export interface TimedAudioFrame {
  data: Buffer;
  /** Recorder-clock time of the first sample, epoch ms. */
  timeMs: number;
  /** Unwrapped RTP timestamp (sample rate). */
  ticks: number;
}

export interface SegmentSpan {
  startMs: number;
  durationMs: number;
}

/** Sample positions of frames relative to the span's start. */
export function placeFrames(frames: readonly TimedAudioFrame[], span: SegmentSpan, sampleRate: number, frameSamples: number): number[] {
  const out: number[] = [];
  let prev: { pos: number; ticks: number } | null = null;
  for (const f of frames) {
    const byTime = Math.round(((f.timeMs - span.startMs) * sampleRate) / 1000);
    const byTicks: number = prev ? prev.pos + (f.ticks - prev.ticks) : byTime;
    const pos: number = Math.abs(byTicks - byTime) <= frameSamples ? byTicks : byTime;
    out.push(pos);
    prev = { pos, ticks: f.ticks };
  }
  return out;
}

export function spanSamples(span: SegmentSpan, sampleRate: number): number {
  return Math.round((span.durationMs * sampleRate) / 1000);
}

/** The AAC frames of a segment as writer input, or null when none falls in it. */
export function pickAacFrames(frames: readonly TimedAudioFrame[], span: SegmentSpan, config: AacTrackConfig, frameSamples = 1024): AudioTrackSamples | null {
  const pos = placeFrames(frames, span, config.sampleRate, frameSamples);
  const total = spanSamples(span, config.sampleRate);
  const half = frameSamples / 2;
  const kept: Array<{ data: Buffer; pos: number }> = [];
  frames.forEach((f, i) => {
    const p = pos[i]!;
    const last = kept[kept.length - 1];
    if (p >= -half && p < total - half && (!last || p > last.pos)) kept.push({ data: f.data, pos: p });
  });
  if (kept.length === 0) return null;
  const shift = Math.max(0, -kept[0]!.pos);
  return {
    config,
    firstTicks: kept[0]!.pos + shift,
    samples: kept.map((k, i) => ({ data: k.data, durationTicks: i + 1 < kept.length ? kept[i + 1]!.pos - k.pos : frameSamples })),
  };
}

/** The 8-bit G.711 samples of exactly the segment's span; silence where nothing was sent. */
export function g711ForSpan(frames: readonly TimedAudioFrame[], span: SegmentSpan, sampleRate: number, silenceByte: number): Buffer {
  const out = Buffer.alloc(spanSamples(span, sampleRate), silenceByte);
  const pos = placeFrames(frames, span, sampleRate, 160);
  frames.forEach((f, i) => {
    const p = pos[i]!;
    const from = Math.max(0, -p);
    const to = Math.min(f.data.length, out.length - p);
    if (to > from) f.data.copy(out, p + from, from, to);
  });
  return out;
}

/** Silence in G.711: A-law 0xD5, µ-law 0xFF. */
export function g711Silence(encoding: 'PCMA' | 'PCMU'): number {
  return encoding === 'PCMA' ? 0xd5 : 0xff;
}

/**
 * Encoded AAC of a span's samples (ffmpeg's encoder puts one priming frame first: it is
 * dropped, so frame k+1 starts at sample k × 1024) as writer input, trimmed to the frames that
 * start inside the span.
 */
export function encodedAacForSpan(frames: readonly Buffer[], span: SegmentSpan, config: AacTrackConfig, frameSamples = 1024): AudioTrackSamples | null {
  const total = spanSamples(span, config.sampleRate);
  const usable = frames.slice(1, 1 + Math.ceil(total / frameSamples));
  if (usable.length === 0) return null;
  return { config, firstTicks: 0, samples: usable.map((data) => ({ data, durationTicks: frameSamples })) };
}
