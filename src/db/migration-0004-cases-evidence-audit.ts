import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from './migrations.ts';

/**
 * Migration 0004: complaint cases, their clips, legal holds, evidence exports and the
 * hash-chained audit log. Kept in its own file so src/db/migrations.ts only names it; like every
 * migration it never changes once committed.
 *
 * Actors (created_by, added_by, requested_by, audit actor) are stored as id and name with no
 * foreign key to users: a case, a hold and an audit row outlive the account that made them.
 * Footage columns (camera_id) have no foreign key to cameras, as in 0001.
 */
export function migration0004(withId: (t: CreateTableBuilder<any, any>) => CreateTableBuilder<any, any>, dialect: SqlDialectName = 'sqlite'): Migration {
  // SQLite's REAL is an 8-byte float; PostgreSQL's `real` is only 4 bytes, so there the same
  // column is `double precision` (added for PostgreSQL, which never ran this migration before;
  // SQLite's schema is unchanged).
  const float8 = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('cases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('site_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by_id', 'text', (c) => c.notNull())
        .addColumn('created_by_name', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .addColumn('closed_ms', 'bigint')
        .addCheckConstraint('cases_status', sql`status in ('open', 'closed')`)
        .execute();
      await db.schema.createIndex('cases_reference').on('cases').columns(['reference']).execute();
      await db.schema.createIndex('cases_created').on('cases').columns(['created_ms']).execute();

      await withId(db.schema.createTable('holds'))
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('start_ms', 'bigint', (c) => c.notNull())
        .addColumn('end_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_by_id', 'text', (c) => c.notNull())
        .addColumn('created_by_name', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('released_ms', 'bigint')
        .addColumn('released_by_id', 'text')
        .addColumn('released_by_name', 'text')
        .addColumn('release_reason', 'text')
        .addCheckConstraint('holds_range', sql`end_ms > start_ms`)
        .execute();
      // Active holds only: the retention lookups never walk released ones.
      await db.schema
        .createIndex('holds_active_camera_start')
        .on('holds')
        .columns(['camera_id', 'start_ms'])
        .where(sql<boolean>`released_ms is null`)
        .execute();
      await db.schema.createIndex('holds_case').on('holds').columns(['case_id']).execute();

      await withId(db.schema.createTable('case_clips'))
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('start_ms', 'bigint', (c) => c.notNull())
        .addColumn('end_ms', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('added_by_id', 'text', (c) => c.notNull())
        .addColumn('added_by_name', 'text', (c) => c.notNull())
        .addColumn('added_ms', 'bigint', (c) => c.notNull())
        .addColumn('hold_id', 'bigint', (c) => c.notNull().references('holds.id'))
        .addCheckConstraint('case_clips_range', sql`end_ms > start_ms`)
        .execute();
      await db.schema.createIndex('case_clips_case').on('case_clips').columns(['case_id', 'start_ms']).execute();

      await db.schema
        .createTable('exports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id'))
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('asked_start_ms', 'bigint', (c) => c.notNull())
        .addColumn('asked_end_ms', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('requested_by_id', 'text', (c) => c.notNull())
        .addColumn('requested_by_name', 'text', (c) => c.notNull())
        .addColumn('requested_ip', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('progress', float8, (c) => c.notNull().defaultTo(0))
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('runner_id', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .addColumn('started_ms', 'bigint')
        .addColumn('finished_ms', 'bigint')
        .addColumn('actual_start_ms', 'bigint')
        .addColumn('actual_end_ms', 'bigint')
        .addColumn('object_key', 'text')
        .addColumn('size_bytes', 'bigint')
        .addColumn('package_sha256', 'text')
        .addColumn('key_fingerprint', 'text')
        .addCheckConstraint('exports_status', sql`status in ('queued', 'running', 'done', 'failed')`)
        .addCheckConstraint('exports_range', sql`asked_end_ms > asked_start_ms`)
        .execute();
      await db.schema.createIndex('exports_camera_start').on('exports').columns(['camera_id', 'asked_start_ms']).execute();
      await db.schema.createIndex('exports_case').on('exports').columns(['case_id', 'created_ms']).execute();
      await db.schema.createIndex('exports_status').on('exports').columns(['status', 'runner_id']).execute();

      // seq is the chain position, assigned by the appender (last + 1), not by the database:
      // the primary key makes a second row at the same position impossible, so the chain
      // cannot fork even between processes.
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('camera_id', 'text')
        .addColumn('start_ms', 'bigint')
        .addColumn('end_ms', 'bigint')
        .addColumn('case_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('reason', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_at').on('audit_log').columns(['at_ms']).execute();
      await db.schema.createIndex('audit_camera_at').on('audit_log').columns(['camera_id', 'at_ms']).execute();
      await db.schema.createIndex('audit_actor_at').on('audit_log').columns(['actor_id', 'at_ms']).execute();
      await db.schema.createIndex('audit_action_at').on('audit_log').columns(['action', 'at_ms']).execute();
    },
  };
}
