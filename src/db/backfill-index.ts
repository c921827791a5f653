import { sql, type Kysely } from 'kysely';
import { mergeRanges, subtractRanges, type TimeRange } from '../time.ts';
import { dialectOf } from './dialect.ts';
import type { Database } from './schema.ts';
import { GapsRepo } from './gaps-repo.ts';
import { SegmentsRepo, type SegmentRecord } from './segments-repo.ts';
import { FencedWrites, type Fence } from './fenced-writes.ts';

/**
 * Indexing one segment fetched from a camera's own storage (edge backfill): its row (source
 * 'backfill') and the removal of its interval from the camera's gaps happen in ONE transaction.
 *
 * Why this order and not "rows first, then replace the gap": the accounting invariant must hold
 * at every moment a reader can see. Inserting rows first would show a millisecond both footage
 * and gap until the gap is replaced; shrinking the gap first would show it neither. In one
 * transaction a reader sees the gap before and the footage after, nothing in between.
 *
 * kill -9 at each step of a backfilled file's life (uploader order: read → put object →
 * this transaction → delete the spool file):
 *  - before the put, or after the put and before the commit: the file is still in the spool
 *    (`<spool>/<camera>/backfill/`), the gap still stands, the object (if put) is not indexed;
 *    the restarted runner uploads the file again (same key, same bytes, idempotent put);
 *  - after the commit, before the spool file is deleted: the file is uploaded again, the row
 *    exists ('duplicate'), nothing changes: no double row, no second subtraction;
 *  - nothing is lost: a file leaves the spool only after its object and row exist.
 *
 * A segment is indexed only when every millisecond of it is currently a gap of the camera (a
 * piece of footage overlapping live footage or another backfilled piece would break the
 * invariant); otherwise 'outside_gap' and the caller deletes its object.
 *
 * Concurrency: on PostgreSQL a transaction-scoped advisory lock per camera serialises
 * backfill indexers of one camera (two nodes around a lease move); on SQLite a no-op write
 * takes the database's write lock first, so "check the gaps, then write" is atomic across
 * processes. With leases the row is inserted through the lease fence (FencedWrites), in the
 * same transaction.
 */
export type BackfillIndexOutcome = 'inserted' | 'duplicate' | 'outside_gap' | 'fenced';

export async function indexBackfilledSegment(
  db: Kysely<Database>,
  row: SegmentRecord,
  opts: { fence: Fence | null; nowMs: () => number },
): Promise<BackfillIndexOutcome> {
  const range: TimeRange = { startMs: row.startMs, endMs: row.startMs + row.durationMs };
  return db.transaction().execute(async (trx) => {
    if (dialectOf(trx) === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`vigil.backfill:${row.cameraId}`}, 0))`.execute(trx);
    } else {
      await sql`update gaps set id = id where 0 = 1`.execute(trx);
    }
    const segments = new SegmentsRepo(trx, opts.nowMs);
    if (await segments.byObjectKey(row.objectKey)) return 'duplicate';
    const gaps = new GapsRepo(trx, opts.nowMs);
    const inGaps = (await gaps.overlapping(row.cameraId, range)).map((g) => ({ startMs: g.startMs, endMs: g.endMs }));
    if (subtractRanges(range, mergeRanges(inGaps)).length > 0) return 'outside_gap';
    const backfilled: SegmentRecord = { ...row, source: 'backfill' };
    if (opts.fence) {
      const outcome = await new FencedWrites(trx, opts.nowMs).insertSegment(backfilled, opts.fence);
      if (outcome === 'fenced') return 'fenced';
      if (outcome === 'duplicate') return 'duplicate';
      // FencedWrites writes the columns every segment has; the mark follows in this transaction.
      await trx.updateTable('segments').set({ source: 'backfill' }).where('object_key', '=', row.objectKey).execute();
    } else if (!(await segments.insert(backfilled))) {
      return 'duplicate';
    }
    await gaps.subtract(row.cameraId, range);
    return 'inserted';
  });
}

/** Footage already recovered by backfill inside a range (merged, clipped to it). */
export async function backfilledWithin(db: Kysely<Database>, cameraId: string, range: TimeRange): Promise<TimeRange[]> {
  const segs = await new SegmentsRepo(db, () => 0).overlapping(cameraId, range);
  return mergeRanges(
    segs
      .filter((s) => s.source === 'backfill')
      .map((s) => ({ startMs: Math.max(s.startMs, range.startMs), endMs: Math.min(s.startMs + s.durationMs, range.endMs) })),
  );
}
