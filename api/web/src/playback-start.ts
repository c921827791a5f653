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

/** What playback does when the player reaches the end of its playlist. */
export type AfterEnd = { kind: 'play'; ms: number } | { kind: 'wait' };

/** Less than this left to play is not worth a new playlist (and an audit row): wait for more. */
export const MIN_MORE_MS = 1_000;
/** A jump shorter than this is clock rounding between two spans, not a gap worth a note. */
const JOIN_MS = 1_000;

/**
 * Where playback goes on from the last instant shown (`reachedMs`) when its playlist ends.
 * The playlist listed what was indexed when it was asked for, which may end seconds before the
 * range asked for (the segment being recorded then was indexed later), so it goes on from
 * where the picture stopped, never from the end of the range: that would skip those seconds.
 * With nothing more than MIN_MORE_MS indexed after it yet, it waits. Over a gap it asks at the
 * instant reached, so the page can say why there is nothing there (playbackStart). Pure.
 */
export function afterPlaylistEnd(reachedMs: number, spans: readonly SpanLike[]): AfterEnd {
  const more = spans.filter((s) => s.endMs > reachedMs + MIN_MORE_MS).sort((a, b) => a.startMs - b.startMs)[0];
  if (!more) return { kind: 'wait' };
  if (more.startMs <= reachedMs) return { kind: 'play', ms: reachedMs };
  return { kind: 'play', ms: more.startMs - reachedMs < JOIN_MS ? more.startMs : reachedMs };
}
