import type { Kysely, Selectable } from 'kysely';
import type { ApiTokensTable, Database } from './schema.ts';

/**
 * Bearer tokens for scripts. The token itself (`vgl_…`) is shown once at creation; only its
 * SHA-256 is stored. A revoked token keeps its row (revokedMs set) so the list shows what
 * existed and when it ended.
 */
export interface ApiTokenRecord {
  id: string;
  tokenHash: string;
  userId: string;
  name: string;
  createdMs: number;
  expiresMs: number | null;
  lastUsedMs: number | null;
  revokedMs: number | null;
}

export class ApiTokensRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(t: Omit<ApiTokenRecord, 'lastUsedMs' | 'revokedMs'>): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: t.id,
        token_hash: t.tokenHash,
        user_id: t.userId,
        name: t.name,
        created_ms: t.createdMs,
        expires_ms: t.expiresMs,
        last_used_ms: null,
        revoked_ms: null,
      })
      .execute();
  }

  async byHash(tokenHash: string): Promise<ApiTokenRecord | null> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async byId(id: string): Promise<ApiTokenRecord | null> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Tokens of one user, or of everyone when userId is null; newest first. */
  async list(userId: string | null): Promise<ApiTokenRecord[]> {
    let q = this.db.selectFrom('api_tokens').selectAll();
    if (userId !== null) q = q.where('user_id', '=', userId);
    return (await q.orderBy('created_ms', 'desc').orderBy('id').execute()).map(toRecord);
  }

  async touch(id: string, lastUsedMs: number): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_ms: lastUsedMs }).where('id', '=', id).execute();
  }

  /** Marks the token revoked (first revocation time wins). Returns false when there is no such token. */
  async revoke(id: string, nowMs: number): Promise<boolean> {
    const res = await this.db.updateTable('api_tokens').set({ revoked_ms: nowMs }).where('id', '=', id).where('revoked_ms', 'is', null).executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) return true;
    return (await this.byId(id)) !== null;
  }
}

function toRecord(r: Selectable<ApiTokensTable>): ApiTokenRecord {
  const maybe = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    tokenHash: r.token_hash,
    userId: r.user_id,
    name: r.name,
    createdMs: Number(r.created_ms),
    expiresMs: maybe(r.expires_ms),
    lastUsedMs: maybe(r.last_used_ms),
    revokedMs: maybe(r.revoked_ms),
  };
}
