/**
 * Where an API node finds a camera's live view when many recorder nodes share a PostgreSQL
 * index (docs/architecture.md, "Many recorders"): camera → the node holding its lease → the
 * live endpoint URL that node publishes with its heartbeat (`live.advertiseUrl`). Pure: the
 * caller reads the row (LeasesRepo.liveHolder) and acts on the route.
 *
 *  - `local`: this process records the camera (the all-in-one `vigil` on PostgreSQL): its hub;
 *  - `remote`: the holder's live endpoint, with the shared live secret;
 *  - `none`: nobody can serve it now, with a reason in plain words (and whether it is a
 *    set-up mistake an operator must fix, so the caller logs it as an error).
 *
 * A route is "the same" while the holding node is the same (sameHolder): a viewer connected to
 * a node keeps watching through a renewal; it is ended when the lease moves or runs out.
 */
export interface LiveHolderRow {
  nodeId: string;
  epoch: number;
  expiresMs: number;
  /** The node's published live endpoint, or null when it publishes none. */
  liveUrl: string | null;
}

export type LiveRoute =
  | { kind: 'local'; nodeId: string }
  | { kind: 'remote'; nodeId: string; url: string }
  | { kind: 'none'; nodeId: string | null; reason: string; misconfigured: boolean };

export function resolveLiveRoute(
  cameraId: string,
  holder: LiveHolderRow | null,
  o: { nowMs: number; selfNodeId: string | null; canReachRemote: boolean },
): LiveRoute {
  if (!holder) return { kind: 'none', nodeId: null, reason: `no recorder has recorded camera ${cameraId} yet`, misconfigured: false };
  if (holder.expiresMs <= o.nowMs) {
    return { kind: 'none', nodeId: null, reason: `no recorder holds camera ${cameraId} now (its recorder stopped; another takes it within the lease time)`, misconfigured: false };
  }
  if (o.selfNodeId !== null && holder.nodeId === o.selfNodeId) return { kind: 'local', nodeId: holder.nodeId };
  if (!holder.liveUrl) {
    return { kind: 'none', nodeId: holder.nodeId, reason: `recorder node ${holder.nodeId} records camera ${cameraId} but publishes no live address (set live.endpointPort and live.advertiseUrl on it)`, misconfigured: true };
  }
  if (!o.canReachRemote) {
    return { kind: 'none', nodeId: holder.nodeId, reason: `camera ${cameraId} is recorded by node ${holder.nodeId}; this API has no live.secret to reach it`, misconfigured: true };
  }
  return { kind: 'remote', nodeId: holder.nodeId, url: holder.liveUrl };
}

/** Whether a viewer connected under route `was` may go on watching under `now`. */
export function sameHolder(was: LiveRoute, now: LiveRoute): boolean {
  if (was.kind === 'none' || now.kind === 'none') return false;
  return was.kind === now.kind && was.nodeId === now.nodeId && (was.kind !== 'remote' || now.kind !== 'remote' || was.url === now.url);
}
