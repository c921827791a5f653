import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from './schema.ts';

/**
 * Browser sessions. The cookie value is a random secret; only its SHA-256 (tokenHash) is
 * stored, so a copy of the database does not hand out live sessions. Validity (absolute
 * expiry, idle timeout, disabled user) is decided by the caller from the record and the clock.
 */
export interface SessionRecord {
  tokenHash: string;
  userId: string;
  createdMs: number;
  expiresMs: number;
  lastSeenMs: number;
  ip: string;
  userAgent: string;
}

export class SessionsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: s.tokenHash,
        user_id: s.userId,
        created_ms: s.createdMs,
        expires_ms: s.expiresMs,
        last_seen_ms: s.lastSeenMs,
        ip: s.ip,
        user_agent: s.userAgent.slice(0, 300),
      })
      .execute();
  }

  async get(tokenHash: string): Promise<SessionRecord | null> {
    const row = await this.db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async touch(tokenHash: string, lastSeenMs: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_ms: lastSeenMs }).where('token_hash', '=', tokenHash).execute();
  }

  async delete(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  /** Ends every session of a user (password reset, account disabled), but `keep` if given. Returns how many. */
  async deleteForUser(userId: string, keep?: string): Promise<number> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keep !== undefined) q = q.where('token_hash', '!=', keep);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Removes sessions past their absolute expiry or idle for longer than idleMs. */
  async purgeExpired(nowMs: number, idleMs: number): Promise<number> {
    const res = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires_ms', '<=', nowMs), eb('last_seen_ms', '<=', nowMs - idleMs)]))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

function toRecord(r: Selectable<SessionsTable>): SessionRecord {
  return {
    tokenHash: r.token_hash,
    userId: r.user_id,
    createdMs: Number(r.created_ms),
    expiresMs: Number(r.expires_ms),
    lastSeenMs: Number(r.last_seen_ms),
    ip: r.ip,
    userAgent: r.user_agent,
  };
}
