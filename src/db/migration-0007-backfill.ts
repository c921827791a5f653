import type { CreateTableBuilder, Kysely, Migration } from 'kysely';

/**
 * Migration 0007: edge backfill (docs/architecture.md, "Edge backfill").
 * - `segments.source`: 'live' (recorded from the camera's stream as it happened) or 'backfill'
 *   (fetched afterwards from the camera's own storage, ONVIF Profile G replay). Timeline, clips,
 *   evidence and reports show the second with a marker.
 * - `backfill_jobs`: one row per gap the recorder tries to recover, so work resumes after a
 *   restart and a gap that cannot be recovered is not retried without end.
 * Never changes once committed.
 */
export function migration0007(withId: (t: CreateTableBuilder<any, any>) => CreateTableBuilder<any, any>): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('segments').addColumn('source', 'text', (c) => c.notNull().defaultTo('live')).execute();
      await withId(db.schema.createTable('backfill_jobs'))
        .addColumn('camera_id', 'text', (c) => c.notNull())
        /** The gap as it was when the job was made: [gap_start_ms, gap_end_ms). */
        .addColumn('gap_start_ms', 'bigint', (c) => c.notNull())
        .addColumn('gap_end_ms', 'bigint', (c) => c.notNull())
        .addColumn('gap_reason', 'text', (c) => c.notNull())
        /** pending | running | done | partial | given_up (src/db/backfill-repo.ts) */
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
        /** Milliseconds of footage recovered so far. */
        .addColumn('recovered_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('backfill_jobs_camera_gap').unique().on('backfill_jobs').columns(['camera_id', 'gap_start_ms']).execute();
      await db.schema.createIndex('backfill_jobs_due').on('backfill_jobs').columns(['state', 'next_attempt_ms']).execute();
    },
  };
}
