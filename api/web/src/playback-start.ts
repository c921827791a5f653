/**
 * Where playback starts when someone picks an instant on the timeline. Pure.
 *
 * Inside a recorded span: at the instant. In a gap or unaccounted time: at the start of the
 * next span in the window (saying why the instant itself has nothing), or nothing at all.
 */
export interface SpanLike {
  startMs: number;
  endMs: number;
}
export interface GapLike extends SpanLike {
  reason: string;
}

export type PlaybackStart =
  | { kind: 'at'; ms: number }
  | { kind: 'next'; ms: number; askedMs: number; reason: string | null }
  | { kind: 'none'; askedMs: number; reason: string | null };

export function playbackStart(askedMs: number, spans: readonly SpanLike[], gaps: readonly GapLike[]): PlaybackStart {
  if (spans.some((s) => s.startMs <= askedMs && askedMs < s.endMs)) return { kind: 'at', ms: askedMs };
  const gap = gaps.find((g) => g.startMs <= askedMs && askedMs < g.endMs);
  const reason = gap ? gap.reason : null;
  const next = spans.filter((s) => s.startMs > askedMs).sort((a, b) => a.startMs - b.startMs)[0];
  return next ? { kind: 'next', ms: next.startMs, askedMs, reason } : { kind: 'none', askedMs, reason };
}

/** The playlist range for playback from an instant: up to 30 minutes, never past now. */
export function playlistRange(fromMs: number, nowMs: number): { startMs: number; endMs: number } {
  const endMs = Math.max(fromMs + 1000, Math.min(fromMs + 30 * 60_000, nowMs));
  return { startMs: fromMs, endMs };
}
