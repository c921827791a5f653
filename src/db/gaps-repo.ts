import { sql, type Kysely, type Selectable } from 'kysely';
import { VigilError } from '../errors.ts';
import { isValidRange, type TimeRange } from '../time.ts';
import type { Database, GapsTable } from './schema.ts';

/**
 * Gaps in footage, each [start, end) with its reason. Unlike segments, a gap has no length
 * bound (a camera off for a week is one gap), so the overlap query has two parts:
 *  - gaps up to LONG_GAP_MS long: a bounded range scan of (camera_id, start_ms), start in
 *    [start − LONG_GAP_MS, end), like segments;
 *  - longer gaps: the partial index gaps_long_end (camera_id, end_ms) holding only them,
 *    end > start. Long gaps are few (outages, nights), so this part stays small.
 * Both parts are index searches at any table size; neither walks the camera's whole history.
 */
export const LONG_GAP_MS = 3_600_000; // must equal the literal in migration 0002's gaps_long_end

export interface GapRecord {
  cameraId: string;
  startMs: number;
  endMs: number;
  /** camera_unreachable, stream_stalled, recorder_down, spool_full, … */
  reason: string;
  detail: string;
}

export class GapsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /** Stores a gap. An empty interval (end ≤ start) is nothing to record and is ignored. */
  async insert(g: GapRecord): Promise<void> {
    if (!Number.isSafeInteger(g.startMs) || !Number.isSafeInteger(g.endMs)) {
      throw new VigilError('invalid_range', `gap ${g.startMs}–${g.endMs} of ${g.cameraId}: times must be whole milliseconds`);
    }
    if (g.endMs <= g.startMs) return;
    await this.db
      .insertInto('gaps')
      .values({ camera_id: g.cameraId, start_ms: g.startMs, end_ms: g.endMs, reason: g.reason, detail: g.detail, created_ms: this.nowMs() })
      .execute();
  }

  /** The query behind overlapping(), exposed so tests can EXPLAIN the SQL that runs. */
  overlappingQuery(cameraId: string, range: TimeRange) {
    const longGap = sql<boolean>`end_ms - start_ms > ${sql.lit(LONG_GAP_MS)}`;
    const shortGap = sql<boolean>`end_ms - start_ms <= ${sql.lit(LONG_GAP_MS)}`;
    const short = this.db
      .selectFrom('gaps')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('start_ms', '<', range.endMs)
      .where('start_ms', '>=', range.startMs - LONG_GAP_MS)
      .where('end_ms', '>', range.startMs)
      .where(shortGap);
    // `+start_ms` (unary plus, valid in SQLite and PostgreSQL) keeps the planner from walking
    // gaps_camera_start from the camera's first gap to sort this part: the long gaps ending
    // after the range start are few, so they are found by gaps_long_end and sorted.
    const long = this.db
      .selectFrom('gaps')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('end_ms', '>', range.startMs)
      .where(longGap)
      .where(sql<number>`+start_ms`, '<', range.endMs);
    return short.unionAll(long).orderBy('start_ms').orderBy('id');
  }

  /** Gaps sharing at least one millisecond with [startMs, endMs), by start. */
  async overlapping(cameraId: string, range: TimeRange): Promise<GapRecord[]> {
    if (!isValidRange(range)) throw new VigilError('invalid_range', `gap lookup range ${range.startMs}–${range.endMs} is empty or not whole milliseconds`);
    return (await this.overlappingQuery(cameraId, range).execute()).map(toRecord);
  }

  /**
   * Takes `range` out of the camera's gaps: each gap overlapping it is replaced by its parts
   * outside the range (0, 1 or 2 rows, same reason and detail). Returns the milliseconds taken.
   * Edge backfill calls it in the same transaction as the insert of the segment row that now
   * covers the range (src/db/backfill-index.ts), so no reader ever sees a millisecond both gap
   * and footage, nor neither. Run it on a GapsRepo built over that transaction.
   */
  async subtract(cameraId: string, range: TimeRange): Promise<number> {
    if (!isValidRange(range)) throw new VigilError('invalid_range', `gap subtraction range ${range.startMs}–${range.endMs} is empty or not whole milliseconds`);
    let takenMs = 0;
    for (const g of await this.overlappingQuery(cameraId, range).execute()) {
      const startMs = Number(g.start_ms);
      const endMs = Number(g.end_ms);
      takenMs += Math.min(endMs, range.endMs) - Math.max(startMs, range.startMs);
      await this.db.deleteFrom('gaps').where('id', '=', g.id).execute();
      const rest = [{ startMs, endMs: Math.min(endMs, range.startMs) }, { startMs: Math.max(startMs, range.endMs), endMs }];
      for (const r of rest) {
        if (r.endMs <= r.startMs) continue;
        await this.db
          .insertInto('gaps')
          .values({ camera_id: cameraId, start_ms: r.startMs, end_ms: r.endMs, reason: g.reason, detail: g.detail, created_ms: Number(g.created_ms) })
          .execute();
      }
    }
    return takenMs;
  }

  /** Sets the detail of the camera's gaps of this reason lying wholly inside range. Returns how many. */
  async setDetailWithin(cameraId: string, range: TimeRange, reason: string, detail: string): Promise<number> {
    if (!isValidRange(range)) return 0;
    const ids = (await this.overlappingQuery(cameraId, range).execute())
      .filter((g) => g.reason === reason && Number(g.start_ms) >= range.startMs && Number(g.end_ms) <= range.endMs)
      .map((g) => g.id);
    if (ids.length === 0) return 0;
    await this.db.updateTable('gaps').set({ detail }).where('id', 'in', ids).execute();
    return ids.length;
  }

  /** End of the latest-ending gap of a camera, or null. */
  async lastEndMs(cameraId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('gaps')
      .select('end_ms')
      .where('camera_id', '=', cameraId)
      .orderBy('end_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? Number(row.end_ms) : null;
  }
}

function toRecord(r: Selectable<GapsTable>): GapRecord {
  return { cameraId: r.camera_id, startMs: Number(r.start_ms), endMs: Number(r.end_ms), reason: r.reason, detail: r.detail };
}
