import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { LeaseRow, NodeRow } from '../leases/lease-plan.ts';
import type { LiveHolderRow } from '../leases/live-route.ts';

/**
 * The lease tables (migration 0006) with the conditional statements that make leases safe
 * without any consensus of our own: each statement checks and changes a row at once, so of two
 * nodes racing for a camera exactly one gets it (PostgreSQL row locks; SQLite's single writer).
 *
 *  - take: insert the lease, or move it to this node with epoch + 1, only when it is free
 *    (expired or released) or already this node's (a restarted node takes its own again, under
 *    a new epoch, so its previous run's writes are fenced too);
 *  - renew: extend this node's unexpired leases (one statement for all of them);
 *  - release: give one lease up (expires_ms = 0), only under the epoch held.
 * Times come from the caller's Clock: nodes need synchronised clocks (NTP), skew well under
 * the lease time.
 */
export interface HeldLease {
  cameraId: string;
  epoch: number;
  expiresMs: number;
}

export class LeasesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** liveUrl: the node's live endpoint as other nodes reach it (live.advertiseUrl), or none. */
  async heartbeat(n: { nodeId: string; sites: string[] | null; nowMs: number; ttlMs: number; startedMs: number; liveUrl?: string | null }): Promise<void> {
    const sites = n.sites === null ? null : JSON.stringify(n.sites);
    const row = { sites, started_ms: n.startedMs, heartbeat_ms: n.nowMs, expires_ms: n.nowMs + n.ttlMs, live_url: n.liveUrl ?? null };
    await this.db
      .insertInto('recorder_nodes')
      .values({ node_id: n.nodeId, ...row })
      .onConflict((oc) => oc.column('node_id').doUpdateSet(row))
      .execute();
  }

  /**
   * Who holds each camera's lease and where that node's live endpoint is (the API's live view;
   * src/leases/live-route.ts decides). Cameras that never had a lease are absent.
   */
  async liveHolders(cameraIds: string[]): Promise<Map<string, LiveHolderRow>> {
    const out = new Map<string, LiveHolderRow>();
    for (let i = 0; i < cameraIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('camera_leases as l')
        .leftJoin('recorder_nodes as n', 'n.node_id', 'l.node_id')
        .select(['l.camera_id as camera_id', 'l.node_id as node_id', 'l.epoch as epoch', 'l.expires_ms as expires_ms', 'n.live_url as live_url'])
        .where('l.camera_id', 'in', cameraIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.camera_id, { nodeId: r.node_id, epoch: Number(r.epoch), expiresMs: Number(r.expires_ms), liveUrl: r.live_url ?? null });
    }
    return out;
  }

  /** A node leaving on purpose: no longer live, so others plan without it at once. */
  async leave(nodeId: string): Promise<void> {
    await this.db.updateTable('recorder_nodes').set({ expires_ms: 0 }).where('node_id', '=', nodeId).execute();
  }

  async nodes(): Promise<NodeRow[]> {
    const rows = await this.db.selectFrom('recorder_nodes').selectAll().execute();
    return rows.map((r) => ({ nodeId: r.node_id, sites: r.sites === null ? null : (JSON.parse(r.sites) as string[]), expiresMs: Number(r.expires_ms) }));
  }

  async leases(): Promise<LeaseRow[]> {
    const rows = await this.db.selectFrom('camera_leases').selectAll().execute();
    return rows.map((r) => ({ cameraId: r.camera_id, nodeId: r.node_id, epoch: Number(r.epoch), expiresMs: Number(r.expires_ms) }));
  }

  /**
   * Takes the camera's lease if it is free or already this node's; returns the new epoch and
   * the node that held it before (null for a first take), or null when another node holds it.
   */
  async take(cameraId: string, nodeId: string, nowMs: number, ttlMs: number): Promise<{ epoch: number; previousNodeId: string | null } | null> {
    return this.db.transaction().execute(async (tx) => {
      const before = await tx.selectFrom('camera_leases').select(['node_id', 'epoch', 'expires_ms']).where('camera_id', '=', cameraId).executeTakeFirst();
      const row = await tx
        .insertInto('camera_leases')
        .values({ camera_id: cameraId, node_id: nodeId, epoch: 1, expires_ms: nowMs + ttlMs, taken_ms: nowMs })
        .onConflict((oc) =>
          oc
            .column('camera_id')
            .doUpdateSet((eb) => ({ node_id: nodeId, epoch: eb(eb.ref('camera_leases.epoch'), '+', 1), expires_ms: nowMs + ttlMs, taken_ms: nowMs }))
            .where((eb) => eb.or([eb('camera_leases.expires_ms', '<=', nowMs), eb('camera_leases.node_id', '=', nodeId)])),
        )
        .returning(['epoch'])
        .executeTakeFirst();
      if (!row) return null;
      return { epoch: Number(row.epoch), previousNodeId: before ? before.node_id : null };
    });
  }

  /** Extends every unexpired lease of the node in one statement; returns those still held. */
  async renew(nodeId: string, nowMs: number, ttlMs: number): Promise<HeldLease[]> {
    const rows = await this.db
      .updateTable('camera_leases')
      .set({ expires_ms: nowMs + ttlMs })
      .where('node_id', '=', nodeId)
      .where('expires_ms', '>', nowMs)
      .returning(['camera_id', 'epoch', 'expires_ms'])
      .execute();
    return rows.map((r) => ({ cameraId: r.camera_id, epoch: Number(r.epoch), expiresMs: Number(r.expires_ms) }));
  }

  /** Gives the lease up (kept as a row: its epoch is never reused). */
  async release(cameraId: string, nodeId: string, epoch: number): Promise<boolean> {
    const res = await this.db
      .updateTable('camera_leases')
      .set({ expires_ms: 0 })
      .where('camera_id', '=', cameraId)
      .where('node_id', '=', nodeId)
      .where('epoch', '=', epoch)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
