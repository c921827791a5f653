/**
 * Who records which camera when several recorder nodes share one PostgreSQL index: a pure
 * decision over a snapshot of the `recorder_nodes` and `camera_leases` tables. Every node runs
 * it on its own snapshot and acts only for itself; the conditional SQL of the lease table
 * (src/db/leases-repo.ts) settles races, so two nodes that disagree for a moment can never
 * both hold a camera.
 *
 * Rules:
 *  - a node is live while its heartbeat has not expired; a lease is valid while it has not
 *    expired and its node is live (a node that stopped heartbeating loses its cameras);
 *  - a node may take a camera when affinity allows: node.sites (null = any site) contains the
 *    camera's site, and camera.nodes (null = any node) contains the node;
 *  - valid leases stay where they are (moving a camera costs a gap); a free camera goes to the
 *    eligible live node holding the fewest cameras (ties: node id);
 *  - then, while one node holds at least two more than another eligible node, one camera moves
 *    (the holder releases it, the other takes it once free): balanced by count, fewest moves.
 */
export interface NodeRow {
  nodeId: string;
  /** Sites this node may record (null: every site). */
  sites: string[] | null;
  expiresMs: number;
}

export interface LeaseRow {
  cameraId: string;
  nodeId: string;
  epoch: number;
  expiresMs: number;
}

export interface CameraRow {
  cameraId: string;
  siteId: string | null;
  /** Node ids allowed to record this camera (null: any). */
  nodes: string[] | null;
}

export type LeaseAction =
  /** Take the free (missing, expired or released) lease: epoch + 1. */
  | { type: 'take'; cameraId: string; nodeId: string }
  /** The holder keeps (renews) it. */
  | { type: 'keep'; cameraId: string; nodeId: string }
  /** The holder gives it up so `toNodeId` can take it (rebalancing). */
  | { type: 'release'; cameraId: string; nodeId: string; toNodeId: string };

export interface LeasePlan {
  /** Camera → the node meant to record it (null: no live node may). */
  target: Record<string, string | null>;
  actions: LeaseAction[];
}

export function isLive(n: NodeRow, nowMs: number): boolean {
  return n.expiresMs > nowMs;
}

export function mayRecord(n: NodeRow, c: CameraRow): boolean {
  const siteOk = n.sites === null || (c.siteId !== null && n.sites.includes(c.siteId));
  const nodeOk = c.nodes === null || c.nodes.includes(n.nodeId);
  return siteOk && nodeOk;
}

export function planLeases(nodes: readonly NodeRow[], leases: readonly LeaseRow[], cameras: readonly CameraRow[], nowMs: number): LeasePlan {
  const live = nodes.filter((n) => isLive(n, nowMs)).sort((a, b) => cmp(a.nodeId, b.nodeId));
  const liveIds = new Set(live.map((n) => n.nodeId));
  const leaseOf = new Map(leases.map((l) => [l.cameraId, l]));
  const cams = [...cameras].sort((a, b) => cmp(a.cameraId, b.cameraId));
  const holder = new Map<string, string | null>();
  const count = new Map(live.map((n) => [n.nodeId, 0]));
  const eligible = new Map(cams.map((c) => [c.cameraId, live.filter((n) => mayRecord(n, c)).map((n) => n.nodeId)]));

  // Valid leases stay, unless affinity no longer allows them (config changed): then they move.
  const valid = new Set<string>();
  for (const c of cams) {
    const l = leaseOf.get(c.cameraId);
    if (l && l.expiresMs > nowMs && liveIds.has(l.nodeId) && eligible.get(c.cameraId)!.includes(l.nodeId)) {
      holder.set(c.cameraId, l.nodeId);
      valid.add(c.cameraId);
      count.set(l.nodeId, count.get(l.nodeId)! + 1);
    }
  }
  for (const c of cams) {
    if (holder.has(c.cameraId)) continue;
    const to = leastLoaded(eligible.get(c.cameraId)!, count);
    holder.set(c.cameraId, to);
    if (to !== null) count.set(to, count.get(to)! + 1);
  }
  // Rebalance: move one camera at a time from the most to the least loaded eligible node.
  for (let guard = 0; guard < cams.length; guard++) {
    let best: { cameraId: string; from: string; to: string; diff: number } | null = null;
    for (const c of cams) {
      const from = holder.get(c.cameraId);
      if (!from) continue;
      const to = leastLoaded(eligible.get(c.cameraId)!, count);
      if (to === null) continue;
      const diff = count.get(from)! - count.get(to)!;
      if (diff >= 2 && (!best || diff > best.diff)) best = { cameraId: c.cameraId, from, to, diff };
    }
    if (!best) break;
    holder.set(best.cameraId, best.to);
    count.set(best.from, count.get(best.from)! - 1);
    count.set(best.to, count.get(best.to)! + 1);
  }

  const target: Record<string, string | null> = {};
  const actions: LeaseAction[] = [];
  for (const c of cams) {
    const to = holder.get(c.cameraId) ?? null;
    target[c.cameraId] = to;
    const l = leaseOf.get(c.cameraId);
    if (valid.has(c.cameraId) && l) {
      if (l.nodeId === to) actions.push({ type: 'keep', cameraId: c.cameraId, nodeId: l.nodeId });
      else if (to !== null) actions.push({ type: 'release', cameraId: c.cameraId, nodeId: l.nodeId, toNodeId: to });
    } else if (to !== null) {
      actions.push({ type: 'take', cameraId: c.cameraId, nodeId: to });
    }
  }
  return { target, actions };
}

/** The actions one node carries out (each node acts only for itself). */
export function actionsFor(plan: LeasePlan, nodeId: string): LeaseAction[] {
  return plan.actions.filter((a) => a.nodeId === nodeId);
}

function leastLoaded(candidates: readonly string[], count: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  for (const id of candidates) if (best === null || count.get(id)! < count.get(best)!) best = id;
  return best;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
