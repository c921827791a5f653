import type { InitInfo } from './init-info.ts';
import type { Fragment } from './fragments.ts';

/**
 * Decode-time spans of a segment's tracks, and exact conversions between timescales. Pure.
 * Times are integer ticks of each track's mdhd timescale; conversions go through BigInt so
 * epoch-sized values at 90 kHz never lose a tick.
 */
export interface TrackSpan {
  trackId: number;
  timescale: number;
  /** Decode time of the track's first sample in the span. */
  firstTicks: number;
  /** Decode time just after its last sample (first + sum of durations). */
  endTicks: number;
  /** Earliest presentation time and latest presentation end, when the samples were read. */
  firstPresentationTicks?: number;
  presentationEndTicks?: number;
}

export interface MediaTiming {
  tracks: TrackSpan[];
}

/** The spans of the given fragments (in file order) for every track of the init. */
export function timingOfFragments(init: InitInfo, fragments: readonly Fragment[]): MediaTiming {
  const tracks: TrackSpan[] = [];
  for (const t of init.tracks) {
    let first: number | null = null;
    let end: number | null = null;
    let firstPres = Number.POSITIVE_INFINITY;
    let presEnd = Number.NEGATIVE_INFINITY;
    for (const f of fragments) {
      const ft = f.tracks.find((x) => x.trackId === t.trackId);
      if (!ft || ft.sampleCount === 0) continue;
      if (first === null) first = ft.decodeTimeTicks;
      end = ft.decodeTimeTicks + ft.durationTicks;
      if (ft.firstPresentationTicks !== undefined) firstPres = Math.min(firstPres, ft.firstPresentationTicks);
      if (ft.presentationEndTicks !== undefined) presEnd = Math.max(presEnd, ft.presentationEndTicks);
    }
    if (first !== null && end !== null) {
      const pres = Number.isFinite(firstPres) && Number.isFinite(presEnd) ? { firstPresentationTicks: firstPres, presentationEndTicks: presEnd } : {};
      tracks.push({ trackId: t.trackId, timescale: t.timescale, firstTicks: first, endTicks: end, ...pres });
    }
  }
  return { tracks };
}

/** floor(ticks × toScale / fromScale) */
export function rescaleFloor(ticks: number, fromScale: number, toScale: number): number {
  const n = BigInt(ticks) * BigInt(toScale);
  const d = BigInt(fromScale);
  let q = n / d;
  if (n % d !== 0n && n < 0n) q -= 1n;
  return Number(q);
}

/** ceil(ticks × toScale / fromScale) */
export function rescaleCeil(ticks: number, fromScale: number, toScale: number): number {
  const n = BigInt(ticks) * BigInt(toScale);
  const d = BigInt(fromScale);
  let q = n / d;
  if (n % d !== 0n && n > 0n) q += 1n;
  return Number(q);
}

/** Milliseconds → ticks, rounded to the nearest tick. */
export function msToTicks(ms: number, timescale: number): number {
  return Number((BigInt(ms) * BigInt(timescale) * 2n + 1000n) / 2000n);
}

/** Ticks → milliseconds, rounded to the nearest millisecond. */
export function ticksToMs(ticks: number, timescale: number): number {
  return Math.round((ticks * 1000) / timescale);
}

/** Compares a/aScale with b/bScale exactly: negative, zero or positive. */
export function compareTimes(a: number, aScale: number, b: number, bScale: number): number {
  const l = BigInt(a) * BigInt(bScale);
  const r = BigInt(b) * BigInt(aScale);
  return l < r ? -1 : l > r ? 1 : 0;
}
