import type { Kysely, Migration } from 'kysely';

/**
 * Migration 0006: camera leases for many recorder nodes on one PostgreSQL index
 * (src/leases/, docs: "Many recorders"). `recorder_nodes` is the heartbeat of each node;
 * `camera_leases` says which node records a camera, until when, under which epoch. A lease row
 * is never deleted (a release sets expires_ms to 0), so an epoch is never reused and a write
 * fenced by (camera, node, epoch) stays refused forever once the lease moved on.
 * Created on SQLite too (unused there: one recorder records every camera). Never changes once
 * committed.
 */
export function migration0006(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('recorder_nodes')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        /** JSON array of site ids this node may record, or null for every site. */
        .addColumn('sites', 'text')
        .addColumn('started_ms', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_ms', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('camera_leases')
        .addColumn('camera_id', 'text', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('epoch', 'bigint', (c) => c.notNull())
        .addColumn('expires_ms', 'bigint', (c) => c.notNull())
        .addColumn('taken_ms', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('camera_leases_node').on('camera_leases').column('node_id').execute();
    },
  };
}
