import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';

/**
 * Migration 0005: crash-safe retention. `segments.deleting_ms` marks a segment whose object is
 * being deleted (marked → object deleted → row deleted; a restart resumes from the marks), and
 * `expired_ranges` keeps what retention removed, so the accounting invariant tells footage that
 * expired by policy from footage that was lost. Never changes once committed.
 */
export function migration0005(withId: (t: CreateTableBuilder<any, any>) => CreateTableBuilder<any, any>): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('segments').addColumn('deleting_ms', 'bigint').execute();
      await db.schema.alterTable('segments').addColumn('deleting_reason', 'text').execute();
      await db.schema
        .createIndex('segments_deleting')
        .on('segments')
        .column('deleting_ms')
        .where(sql<boolean>`deleting_ms is not null`)
        .execute();
      await withId(db.schema.createTable('expired_ranges'))
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('start_ms', 'bigint', (c) => c.notNull())
        .addColumn('end_ms', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addCheckConstraint('expired_ranges_range', sql`end_ms > start_ms`)
        .execute();
      await db.schema.createIndex('expired_ranges_camera_start').on('expired_ranges').columns(['camera_id', 'start_ms']).execute();
    },
  };
}
