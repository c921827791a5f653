import type { TimeRange } from '../src/time.ts';
import type { SegmentSource } from '../src/db/schema.ts';
import { intersectRanges, mergeRanges, subtractRanges } from '../src/time.ts';

/**
 * A camera's timeline over a range, compact enough to draw a day at a glance: runs of
 * contiguous segments merged into spans (a day of 10 s segments recorded without a break is
 * one span, not 8640 items), the stored gaps with their reasons, and what is neither (before
 * the camera was first recorded, after the latest accounted instant — the live edge or the
 * future). Everything is clipped to the asked range. Pure.
 *
 * Segments of one recorder run are chained end to start exactly; a hole of at most
 * JOIN_TOLERANCE_MS between segments is still drawn as one span (invisible at any timeline
 * zoom; real losses are always stored gap rows).
 *
 * Each span has one source: `live` (recorded as it happened) or `backfill` (recovered later
 * from the camera's own storage, ONVIF Profile G). Touching segments of different sources are
 * separate spans, so the UI can draw recovered footage distinctly.
 */
export const JOIN_TOLERANCE_MS = 1_000;

export interface TimelineSegment {
  startMs: number;
  durationMs: number;
  /** Absent: 'live'. */
  source?: SegmentSource;
}

export interface TimelineGap {
  startMs: number;
  endMs: number;
  reason: string;
}

export interface TimelineSpan extends TimeRange {
  segments: number;
  source: SegmentSource;
}

export interface Timeline {
  spans: TimelineSpan[];
  gaps: TimelineGap[];
  unknown: TimeRange[];
}

/** Merges segments fed in start order into spans clipped to the range (for streaming input). */
export class SpanMerger {
  private readonly out: TimelineSpan[] = [];
  constructor(private readonly range: TimeRange) {}

  add(s: TimelineSegment): void {
    const r = intersectRanges(this.range, { startMs: s.startMs, endMs: s.startMs + s.durationMs });
    if (!r) return;
    const source = s.source ?? 'live';
    const last = this.out[this.out.length - 1];
    if (last && last.source === source && r.startMs <= last.endMs + JOIN_TOLERANCE_MS) {
      last.endMs = Math.max(last.endMs, r.endMs);
      last.segments++;
    } else {
      // A span of the other source starts where the previous one ends (never overlaps it).
      const startMs = last ? Math.max(r.startMs, Math.min(last.endMs, r.endMs)) : r.startMs;
      if (startMs < r.endMs) this.out.push({ startMs, endMs: r.endMs, segments: 1, source });
      else if (last) last.segments++;
    }
  }

  spans(): TimelineSpan[] {
    return this.out;
  }
}

export function buildTimeline(range: TimeRange, segments: Iterable<TimelineSegment>, gaps: readonly TimelineGap[]): Timeline {
  const merger = new SpanMerger(range);
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) merger.add(s);
  return finishTimeline(range, merger.spans(), gaps);
}

/** Adds the clipped gaps (same-reason neighbours joined) and what is neither footage nor gap. */
export function finishTimeline(range: TimeRange, spans: TimelineSpan[], gaps: readonly TimelineGap[]): Timeline {
  const clippedGaps: TimelineGap[] = [];
  for (const g of [...gaps].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs)) {
    const r = intersectRanges(range, g);
    if (!r) continue;
    const last = clippedGaps[clippedGaps.length - 1];
    if (last && last.reason === g.reason && r.startMs <= last.endMs) last.endMs = Math.max(last.endMs, r.endMs);
    else clippedGaps.push({ ...r, reason: g.reason });
  }
  const known = mergeRanges([...spans, ...clippedGaps]);
  return { spans, gaps: clippedGaps, unknown: subtractRanges(range, known) };
}
