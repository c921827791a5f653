import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Retention values set in the web UI (migration 0008), over the configuration's. The retention
 * role reads them before every run; the API writes them. A value left null is not overridden;
 * a row whose values are all null is removed.
 */
export type RetentionScope = 'default' | 'site' | 'camera';

export interface RetentionOverride {
  scope: RetentionScope;
  /** '' for the default scope. */
  targetId: string;
  days: number | null;
  quotaBytes: number | null;
  updatedMs: number;
  updatedBy: string;
}

/** One change: a value given sets it (null clears the override), a value left undefined keeps it. */
export interface RetentionChange {
  scope: RetentionScope;
  targetId: string;
  days?: number | null;
  quotaBytes?: number | null;
}

const keyOf = (scope: RetentionScope, targetId: string) => (scope === 'default' ? 'default' : `${scope}:${targetId}`);

export class RetentionSettingsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  async list(): Promise<RetentionOverride[]> {
    const rows = await this.db.selectFrom('retention_settings').selectAll().orderBy('key').execute();
    return rows.map((r) => ({
      scope: r.scope as RetentionScope,
      targetId: r.target_id,
      days: r.days === null ? null : Number(r.days),
      quotaBytes: r.quota_bytes === null ? null : Number(r.quota_bytes),
      updatedMs: Number(r.updated_ms),
      updatedBy: r.updated_by,
    }));
  }

  /** Applies every change in one transaction; returns the overrides after it. */
  async apply(changes: RetentionChange[], updatedBy: string): Promise<RetentionOverride[]> {
    const now = this.nowMs();
    await this.db.transaction().execute(async (tx) => {
      for (const ch of changes) {
        const key = keyOf(ch.scope, ch.targetId);
        const current = await tx.selectFrom('retention_settings').select(['days', 'quota_bytes']).where('key', '=', key).executeTakeFirst();
        const days = ch.days !== undefined ? ch.days : current?.days === undefined || current.days === null ? null : Number(current.days);
        const quota = ch.quotaBytes !== undefined ? ch.quotaBytes : current?.quota_bytes === undefined || current.quota_bytes === null ? null : Number(current.quota_bytes);
        if (days === null && quota === null) {
          await tx.deleteFrom('retention_settings').where('key', '=', key).execute();
          continue;
        }
        const row = { days, quota_bytes: quota, updated_ms: now, updated_by: updatedBy };
        if (current) await tx.updateTable('retention_settings').set(row).where('key', '=', key).execute();
        else await tx.insertInto('retention_settings').values({ key, scope: ch.scope, target_id: ch.targetId, ...row }).execute();
      }
    });
    return this.list();
  }
}
