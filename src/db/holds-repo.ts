import type { Kysely, Selectable } from 'kysely';
import type { TimeRange } from '../time.ts';
import type { Actor } from './cases-repo.ts';
import type { Database, HoldsTable } from './schema.ts';

/**
 * Legal holds: a camera's range kept from retention for a case until released. A hold is never
 * deleted; releasing it stamps who, when and why, so the record of what was kept stays.
 * Active holds are few (one per case clip), so the overlap lookups scan the partial index
 * holds_active_camera_start of one camera, which holds no released row.
 */
export interface HoldRecord {
  id: number;
  caseId: string;
  cameraId: string;
  startMs: number;
  endMs: number;
  createdBy: Actor;
  createdMs: number;
  releasedMs: number | null;
  releasedBy: Actor | null;
  releaseReason: string | null;
}

export class HoldsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(h: { caseId: string; cameraId: string; startMs: number; endMs: number; createdBy: Actor; createdMs: number }, trx: Kysely<Database> = this.db): Promise<number> {
    const res = await trx
      .insertInto('holds')
      .values({
        case_id: h.caseId,
        camera_id: h.cameraId,
        start_ms: h.startMs,
        end_ms: h.endMs,
        created_by_id: h.createdBy.userId,
        created_by_name: h.createdBy.username,
        created_ms: h.createdMs,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(res.id);
  }

  async get(id: number, trx: Kysely<Database> = this.db): Promise<HoldRecord | null> {
    const row = await trx.selectFrom('holds').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Releases the active holds matching `where` (one hold, or all of a case); returns their ids. */
  async release(where: { holdId: number } | { caseId: string }, by: Actor, reason: string, atMs: number, trx: Kysely<Database> = this.db): Promise<number[]> {
    let q = trx
      .updateTable('holds')
      .set({ released_ms: atMs, released_by_id: by.userId, released_by_name: by.username, release_reason: reason })
      .where('released_ms', 'is', null);
    q = 'holdId' in where ? q.where('id', '=', where.holdId) : q.where('case_id', '=', where.caseId);
    const rows = await q.returning('id').execute();
    return rows.map((r) => Number(r.id));
  }

  async forCase(caseId: string, opts: { includeReleased?: boolean } = {}): Promise<HoldRecord[]> {
    let q = this.db.selectFrom('holds').selectAll().where('case_id', '=', caseId);
    if (!opts.includeReleased) q = q.where('released_ms', 'is', null);
    return (await q.orderBy('camera_id').orderBy('start_ms').execute()).map(toRecord);
  }

  /** Active holds of a camera sharing at least one millisecond with range. */
  async activeOverlapping(cameraId: string, range: TimeRange): Promise<HoldRecord[]> {
    const rows = await this.db
      .selectFrom('holds')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('released_ms', 'is', null)
      .where('start_ms', '<', range.endMs)
      .where('end_ms', '>', range.startMs)
      .orderBy('start_ms')
      .execute();
    return rows.map(toRecord);
  }

  async allActive(): Promise<HoldRecord[]> {
    const rows = await this.db.selectFrom('holds').selectAll().where('released_ms', 'is', null).orderBy('camera_id').orderBy('start_ms').execute();
    return rows.map(toRecord);
  }
}

function toRecord(r: Selectable<HoldsTable>): HoldRecord {
  return {
    id: Number(r.id),
    caseId: r.case_id,
    cameraId: r.camera_id,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    createdBy: { userId: r.created_by_id, username: r.created_by_name },
    createdMs: Number(r.created_ms),
    releasedMs: r.released_ms === null ? null : Number(r.released_ms),
    releasedBy: r.released_by_id === null ? null : { userId: r.released_by_id, username: r.released_by_name ?? '' },
    releaseReason: r.release_reason,
  };
}
