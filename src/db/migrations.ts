import { Migrator, sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { migration0004 } from './migration-0004-cases-evidence-audit.ts';
import { migration0005 } from './migration-0005-retention.ts';
import { migration0006 } from './migration-0006-leases.ts';
import { migration0007 } from './migration-0007-backfill.ts';
import { migration0008 } from './migration-0008-retention-settings.ts';
import { migration0009 } from './migration-0009-node-live-url.ts';

/**
 * In-code migrations for Kysely's Migrator, in name order. Each is built for a dialect, so the
 * few spots where SQLite and PostgreSQL differ (auto-increment ids) are decided here and the
 * rest is Kysely's portable schema builder. A migration once committed never changes: a
 * database that ran it would not run it again. Change the schema with a new one.
 *
 * No foreign keys from segments/gaps/events to cameras: footage outlives a camera's
 * configuration (legal holds, reindex of a bucket from cameras since removed).
 */
export type SqlDialectName = 'sqlite' | 'postgres';

/** Gaps at least this long are also in the partial index gaps_long_end (see gaps-repo.ts). */
const LONG_GAP_MS_0002 = 3_600_000;

/** The surrogate key: INTEGER PRIMARY KEY AUTOINCREMENT on SQLite, an identity bigint on PostgreSQL. */
function idColumn(dialect: SqlDialectName): (t: CreateTableBuilder<any, any>) => CreateTableBuilder<any, any> {
  return (t) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigint', (c: ColumnDefinitionBuilder) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}

export function migrationsFor(dialect: SqlDialectName): Record<string, Migration> {
  const withId = idColumn(dialect);
  return {
    '0001_index': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('cameras')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text')
          .addColumn('site_id', 'text')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('created_ms', 'bigint', (c) => c.notNull())
          .addColumn('updated_ms', 'bigint', (c) => c.notNull())
          .execute();
        await withId(db.schema.createTable('segments'))
          .addColumn('camera_id', 'text', (c) => c.notNull())
          .addColumn('start_ms', 'bigint', (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('size_bytes', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('object_key', 'text', (c) => c.notNull().unique())
          .addColumn('init_bytes', 'integer', (c) => c.notNull())
          .addColumn('created_ms', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('segments_camera_start').on('segments').columns(['camera_id', 'start_ms']).execute();
        await withId(db.schema.createTable('gaps'))
          .addColumn('camera_id', 'text', (c) => c.notNull())
          .addColumn('start_ms', 'bigint', (c) => c.notNull())
          .addColumn('end_ms', 'bigint', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('created_ms', 'bigint', (c) => c.notNull())
          .addCheckConstraint('gaps_range', sql`end_ms > start_ms`)
          .execute();
        await db.schema.createIndex('gaps_camera_start').on('gaps').columns(['camera_id', 'start_ms']).execute();
        await db.schema.createIndex('gaps_camera_end').on('gaps').columns(['camera_id', 'end_ms']).execute();
        await withId(db.schema.createTable('events'))
          .addColumn('camera_id', 'text', (c) => c.notNull())
          .addColumn('at_ms', 'bigint', (c) => c.notNull())
          .addColumn('from_state', 'text', (c) => c.notNull())
          .addColumn('to_state', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('events_camera_at').on('events').columns(['camera_id', 'at_ms']).execute();
      },
    },
    '0002_camera_details_long_gaps': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('cameras').addColumn('details', 'text', (c) => c.notNull().defaultTo('{}')).execute();
        // Long gaps (a camera off for days) escape the bounded start-index window of the gap
        // overlap query; this small partial index finds them. Literal, so the planner can match it.
        await db.schema
          .createIndex('gaps_long_end')
          .on('gaps')
          .columns(['camera_id', 'end_ms'])
          .where(sql<boolean>`end_ms - start_ms > ${sql.lit(LONG_GAP_MS_0002)}`)
          .execute();
      },
    },
    '0003_accounts': {
      async up(db: Kysely<any>) {
        // Users are never deleted (audit rows and cases name them); they are disabled.
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('site_scopes', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_ms', 'bigint', (c) => c.notNull())
          .addColumn('updated_ms', 'bigint', (c) => c.notNull())
          .addCheckConstraint('users_role', sql`role in ('admin', 'ops', 'investigator', 'viewer')`)
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_ms', 'bigint', (c) => c.notNull())
          .addColumn('expires_ms', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
          .addColumn('ip', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('user_agent', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
        await db.schema.createIndex('sessions_expires').on('sessions').column('expires_ms').execute();
        await db.schema
          .createTable('api_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_ms', 'bigint', (c) => c.notNull())
          .addColumn('expires_ms', 'bigint')
          .addColumn('last_used_ms', 'bigint')
          .addColumn('revoked_ms', 'bigint')
          .execute();
        await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();
        await db.schema
          .createTable('login_attempts')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('last_failure_ms', 'bigint', (c) => c.notNull())
          .addColumn('locked_until_ms', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Cases, case clips, legal holds, evidence exports, audit log (src/db/migration-0004-…).
    '0004_cases_evidence_audit': migration0004(withId, dialect),
    // Retention marks and expired ranges (src/db/migration-0005-retention.ts).
    '0005_retention': migration0005(withId),
    // Recorder node heartbeats and camera leases (src/db/migration-0006-leases.ts).
    '0006_leases': migration0006(),
    // Segment source (live/backfill) and backfill jobs (src/db/migration-0007-backfill.ts).
    '0007_backfill': migration0007(withId),
    // Retention values set in the web UI, over the configuration's (src/db/migration-0008-retention-settings.ts).
    '0008_retention_settings': migration0008(),
    // The live endpoint address each recorder node publishes (src/db/migration-0009-node-live-url.ts).
    '0009_node_live_url': migration0009(),
  };
}

/** Brings the database to the latest schema; returns the names of the migrations it ran. */
export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialectName = 'sqlite'): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(dialect) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
