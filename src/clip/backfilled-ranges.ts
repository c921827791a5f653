import { intersectRanges, mergeRanges, type TimeRange } from '../time.ts';
import type { SegmentSource } from '../db/schema.ts';

/**
 * Which parts of a clip, playlist or package came from the camera's own storage (segments
 * with source 'backfill', fetched after an outage over ONVIF Profile G): the backfilled
 * segments' time, clipped to `within`, touching pieces merged, in order. Pure.
 */
export function backfilledRanges(segments: ReadonlyArray<{ startMs: number; durationMs: number; source?: SegmentSource | undefined }>, within: TimeRange): TimeRange[] {
  const parts: TimeRange[] = [];
  for (const s of segments) {
    if (s.source !== 'backfill') continue;
    const r = intersectRanges(within, { startMs: s.startMs, endMs: s.startMs + s.durationMs });
    if (r) parts.push(r);
  }
  return mergeRanges(parts);
}
