import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * In-code migrations, in order. Written with Kysely's schema builder so they run on SQLite and
 * (with the PostgreSQL driver) on PostgreSQL; `bigint` holds epoch ms on both.
 */
const MIGRATIONS: Record<string, Migration> = {
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
      await db.schema
        .createTable('segments')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
      await db.schema
        .createTable('gaps')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
      await db.schema
        .createTable('events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('camera_id', 'text', (c) => c.notNull())
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .addColumn('from_state', 'text', (c) => c.notNull())
        .addColumn('to_state', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema.createIndex('events_camera_at').on('events').columns(['camera_id', 'at_ms']).execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
