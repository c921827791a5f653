import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import { MAX_SEGMENT_DURATION_MS } from '../src/db/segments-repo.ts';
import type { GapsRepo } from '../src/db/gaps-repo.ts';
import type { RetentionRepo } from '../src/db/retention-repo.ts';
import type { TimeRange } from '../src/time.ts';
import { finishTimeline, SpanMerger, type Timeline } from './timeline.ts';

/**
 * Reads a camera's timeline from the index without holding the event loop: segments are read
 * a day at a time (three columns only, through the (camera_id, start_ms) index) and merged as
 * they come, yielding between days. better-sqlite3 is synchronous, so one query over a month
 * (268k rows of 10 s segments) would stall every other request for its whole duration;
 * measured here: about 0.2 s for the month in one narrow query, 0.9 s through
 * SegmentsRepo.overlapping (whole rows), against a few ms per day.
 */
export const TIMELINE_CHUNK_MS = 86_400_000;

/** Reason given to what retention removed (expired_ranges), shown only when asked for. */
export const RETENTION_GAP_REASON = 'retention';

export interface TimelineOptions {
  /** Also show what retention deleted, as gaps with reason `retention` (else it is `unknown`). */
  expired?: Pick<RetentionRepo, 'expiredOverlapping'> | undefined;
}

export async function readTimeline(db: Kysely<Database>, gaps: GapsRepo, cameraId: string, range: TimeRange, opts: TimelineOptions = {}): Promise<Timeline> {
  const merger = new SpanMerger(range);
  for (let from = range.startMs; from < range.endMs; from += TIMELINE_CHUNK_MS) {
    const to = Math.min(range.endMs, from + TIMELINE_CHUNK_MS);
    // Each segment is read once, in the chunk holding its start; the first chunk also
    // reaches back for a segment that began before the range and runs into it.
    const lowest = from === range.startMs ? range.startMs - MAX_SEGMENT_DURATION_MS : from;
    const rows = await db
      .selectFrom('segments')
      .select(['start_ms', 'duration_ms', 'source'])
      .where('camera_id', '=', cameraId)
      .where('start_ms', '>=', lowest)
      .where('start_ms', '<', to)
      .where((eb) => eb(eb('start_ms', '+', eb.ref('duration_ms')), '>', range.startMs))
      .orderBy('start_ms')
      .execute();
    for (const r of rows) merger.add({ startMs: Number(r.start_ms), durationMs: Number(r.duration_ms), source: r.source === 'backfill' ? 'backfill' : 'live' });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const stored = await gaps.overlapping(cameraId, range);
  const expired = opts.expired ? (await opts.expired.expiredOverlapping(cameraId, range)).map((r) => ({ startMs: r.startMs, endMs: r.endMs, reason: RETENTION_GAP_REASON })) : [];
  return finishTimeline(range, merger.spans(), [...stored, ...expired]);
}
