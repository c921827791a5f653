import type { Kysely, Migration } from 'kysely';

/**
 * Migration 0008: `retention_settings`, retention values an admin set in the web UI
 * (PUT /api/v1/admin/retention). They override the configuration file's `retention.days`,
 * `retention.quotaBytes` and the sites' and cameras' `retentionDays`/`quotaBytes`; the retention
 * role reads them at every run (src/retention/retention-overrides.ts). One row per scope, keyed
 * 'default', 'site:<id>' or 'camera:<id>' (scope and target_id say the same in two columns;
 * target_id '' for the default). A null value means "not overridden". Never changes once
 * committed.
 */
export function migration0008(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('retention_settings')
        /** 'default', 'site:<id>' or 'camera:<id>' (one key column, as vigil migrate copies by it). */
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('days', 'integer')
        .addColumn('quota_bytes', 'bigint')
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
