import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditRecord } from '../audit/audit-hash.ts';
import { dialectOf } from './dialect.ts';
import type { AuditLogTable, Database } from './schema.ts';

/**
 * Rows of the audit log. Only inserts: nothing here updates or deletes a row. The chain logic
 * (seq, hashes, serialised appends) lives in src/audit/audit-log.ts.
 */
export interface AuditQueryFilter {
  cameraId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  caseId?: string | undefined;
  /** at_ms in [fromMs, toMs) */
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

/** How long a PostgreSQL appender waits for another one's lock before retrying (SQLite: busy_timeout). */
export const AUDIT_LOCK_TIMEOUT_MS = 5_000;

export class AuditRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Serialises appenders across processes, first thing in the append transaction (before the
   * head is read), held until it commits:
   *  - SQLite: a write that changes nothing takes the database's write lock; others wait
   *    (busy_timeout), then fail SQLITE_BUSY and retry;
   *  - PostgreSQL: LOCK TABLE … IN EXCLUSIVE MODE, which blocks other appenders (and any other
   *    writer of audit_log) but not readers; waits are bounded by lock_timeout, after which the
   *    append fails with 55P03 and retries. Without it, two appenders under READ COMMITTED read
   *    the same head and one loses its insert on the primary key.
   */
  async lockForAppend(trx: Kysely<Database>): Promise<void> {
    if (dialectOf(trx) === 'postgres') {
      await sql`set local lock_timeout = ${sql.lit(`${AUDIT_LOCK_TIMEOUT_MS}ms`)}`.execute(trx);
      await sql`lock table audit_log in exclusive mode`.execute(trx);
    } else {
      await sql`update audit_log set seq = seq where 0 = 1`.execute(trx);
    }
  }

  /** The row at the head of the chain, or null for an empty log. */
  async head(trx: Kysely<Database> = this.db): Promise<{ seq: number; hash: string } | null> {
    const row = await trx.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  }

  /** Inserts one row; a row already at that seq makes it fail (the primary key). */
  async insert(r: AuditRecord, trx: Kysely<Database> = this.db): Promise<void> {
    await trx
      .insertInto('audit_log')
      .values({
        seq: r.seq,
        at_ms: r.atMs,
        actor_id: r.actorId,
        actor_name: r.actorName,
        action: r.action,
        camera_id: r.cameraId,
        start_ms: r.startMs,
        end_ms: r.endMs,
        case_id: r.caseId,
        ip: r.ip,
        reason: r.reason,
        detail: r.detail,
        prev_hash: r.prevHash,
        hash: r.hash,
      })
      .execute();
  }

  /** Rows with seq > afterSeq in chain order, at most limit of them (for verification). */
  async pageInOrder(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Newest first; seq < beforeSeq when given (the paging cursor). */
  async query(f: AuditQueryFilter, page: { limit: number; beforeSeq?: number | undefined }): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (f.cameraId !== undefined) q = q.where('camera_id', '=', f.cameraId);
    if (f.actorId !== undefined) q = q.where('actor_id', '=', f.actorId);
    if (f.action !== undefined) q = q.where('action', '=', f.action);
    if (f.caseId !== undefined) q = q.where('case_id', '=', f.caseId);
    if (f.fromMs !== undefined) q = q.where('at_ms', '>=', f.fromMs);
    if (f.toMs !== undefined) q = q.where('at_ms', '<', f.toMs);
    if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(page.limit).execute();
    return rows.map(toRecord);
  }
}

function numOrNull(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

function toRecord(r: Selectable<AuditLogTable>): AuditRecord {
  return {
    seq: Number(r.seq),
    atMs: Number(r.at_ms),
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    cameraId: r.camera_id,
    startMs: numOrNull(r.start_ms),
    endMs: numOrNull(r.end_ms),
    caseId: r.case_id,
    ip: r.ip,
    reason: r.reason,
    detail: r.detail,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
