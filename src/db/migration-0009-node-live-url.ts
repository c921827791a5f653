import type { Kysely, Migration } from 'kysely';

/**
 * Migration 0009: `recorder_nodes.live_url`, the address of a recorder node's live endpoint as
 * other nodes reach it (`live.advertiseUrl`), written with every heartbeat. An API node finds a
 * camera's live view through camera → lease holder → this URL (src/leases/live-route.ts).
 * Null: the node serves no live endpoint to other nodes. Never changes once committed.
 */
export function migration0009(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('recorder_nodes').addColumn('live_url', 'text').execute();
    },
  };
}
