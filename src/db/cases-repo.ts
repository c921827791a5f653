import { sql, type Kysely, type Selectable } from 'kysely';
import { dialectOf } from './dialect.ts';
import type { CaseClipsTable, CasesTable, Database } from './schema.ts';

/**
 * Complaint cases and the clips attached to them. Plain rows; the rules (a clip puts its range
 * on hold, a closed case takes no clips, references unique per site) are in src/cases/.
 */
export type CaseStatus = 'open' | 'closed';

export interface Actor {
  userId: string;
  username: string;
}

export interface CaseRecord {
  id: string;
  reference: string;
  title: string;
  description: string;
  siteId: string | null;
  status: CaseStatus;
  createdBy: Actor;
  createdMs: number;
  updatedMs: number;
  closedMs: number | null;
}

export interface CaseClipRecord {
  id: number;
  caseId: string;
  cameraId: string;
  startMs: number;
  endMs: number;
  reason: string;
  addedBy: Actor;
  addedMs: number;
  holdId: number;
}

export interface CaseListFilter {
  status?: CaseStatus | undefined;
  /** Only cases of these sites (a caller's scope, already expanded to the site tree); all when omitted. */
  siteIds?: readonly string[] | undefined;
  reference?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export class CasesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(c: CaseRecord, trx: Kysely<Database> = this.db): Promise<void> {
    await trx
      .insertInto('cases')
      .values({
        id: c.id,
        reference: c.reference,
        title: c.title,
        description: c.description,
        site_id: c.siteId,
        status: c.status,
        created_by_id: c.createdBy.userId,
        created_by_name: c.createdBy.username,
        created_ms: c.createdMs,
        updated_ms: c.updatedMs,
        closed_ms: c.closedMs,
      })
      .execute();
  }

  async get(id: string, trx: Kysely<Database> = this.db): Promise<CaseRecord | null> {
    const row = await trx.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCase(row) : null;
  }

  /**
   * The case with this reference at this site. Inside a transaction on PostgreSQL it first takes
   * a transaction-scoped advisory lock on (site, reference), so "look up, then insert if absent"
   * (CaseService.createCase) cannot let two concurrent requests both create the reference: the
   * second waits for the first to commit and then finds its row. (SQLite runs one write
   * transaction at a time on its connection, so there the check is already atomic.)
   */
  async findByReference(siteId: string | null, reference: string, trx: Kysely<Database> = this.db): Promise<CaseRecord | null> {
    if (trx.isTransaction && dialectOf(trx) === 'postgres') {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`vigil.cases.reference:${JSON.stringify([siteId, reference])}`}, 0))`.execute(trx);
    }
    let q = trx.selectFrom('cases').selectAll().where('reference', '=', reference);
    q = siteId === null ? q.where('site_id', 'is', null) : q.where('site_id', '=', siteId);
    const row = await q.executeTakeFirst();
    return row ? toCase(row) : null;
  }

  /** Newest first. */
  async list(f: CaseListFilter = {}): Promise<CaseRecord[]> {
    let q = this.db.selectFrom('cases').selectAll();
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.reference !== undefined) q = q.where('reference', '=', f.reference);
    if (f.siteIds !== undefined) {
      if (f.siteIds.length === 0) return [];
      q = q.where('site_id', 'in', [...f.siteIds]);
    }
    const rows = await q
      .orderBy('created_ms', 'desc')
      .orderBy('id')
      .limit(f.limit ?? 100)
      .offset(f.offset ?? 0)
      .execute();
    return rows.map(toCase);
  }

  async update(id: string, patch: { title?: string; description?: string; status?: CaseStatus; closedMs?: number | null }, nowMs: number, trx: Kysely<Database> = this.db): Promise<void> {
    await trx
      .updateTable('cases')
      .set({
        updated_ms: nowMs,
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.closedMs !== undefined ? { closed_ms: patch.closedMs } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  async insertClip(c: Omit<CaseClipRecord, 'id'>, trx: Kysely<Database> = this.db): Promise<number> {
    const res = await trx
      .insertInto('case_clips')
      .values({
        case_id: c.caseId,
        camera_id: c.cameraId,
        start_ms: c.startMs,
        end_ms: c.endMs,
        reason: c.reason,
        added_by_id: c.addedBy.userId,
        added_by_name: c.addedBy.username,
        added_ms: c.addedMs,
        hold_id: c.holdId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(res.id);
  }

  async clips(caseId: string): Promise<CaseClipRecord[]> {
    const rows = await this.db.selectFrom('case_clips').selectAll().where('case_id', '=', caseId).orderBy('start_ms').orderBy('id').execute();
    return rows.map(toClip);
  }
}

function toCase(r: Selectable<CasesTable>): CaseRecord {
  return {
    id: r.id,
    reference: r.reference,
    title: r.title,
    description: r.description,
    siteId: r.site_id,
    status: r.status,
    createdBy: { userId: r.created_by_id, username: r.created_by_name },
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
    closedMs: r.closed_ms === null ? null : Number(r.closed_ms),
  };
}

function toClip(r: Selectable<CaseClipsTable>): CaseClipRecord {
  return {
    id: Number(r.id),
    caseId: r.case_id,
    cameraId: r.camera_id,
    startMs: Number(r.start_ms),
    endMs: Number(r.end_ms),
    reason: r.reason,
    addedBy: { userId: r.added_by_id, username: r.added_by_name },
    addedMs: Number(r.added_ms),
    holdId: Number(r.hold_id),
  };
}
