import type { Server } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Registry } from 'prom-client';
import type { AppContext } from '../api/app-context.ts';
import type { AppEnv, Principal } from '../api/app-deps.ts';
import { SESSION_COOKIE } from '../api/auth/authenticator.ts';
import { clientOrigin } from '../api/client-origin.ts';
import { createApiLiveMetrics } from '../api/live/live-metrics.ts';
import type { LiveSource } from '../api/live/live-source.ts';
import { LiveWsHandler } from '../api/live/live-ws-handler.ts';
import { RemoteLiveSource } from '../api/live/remote-live-source.ts';
import { LeaseLiveSource } from '../api/live/lease-live-source.ts';
import { LeasesRepo } from '../src/db/leases-repo.ts';
import type { Database } from '../src/db/schema.ts';
import type { Kysely } from 'kysely';
import { SnapshotHandler } from '../api/live/snapshot-handler.ts';
import { roleCan } from '../api/permissions.ts';
import type { AuditSink } from '../src/audit/audit-types.ts';
import type { Clock } from '../src/clock.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';

/**
 * Live view for browsers on the API's server: the WebSocket (`/api/v1/cameras/<id>/live`) on
 * the http server's upgrade event and the snapshot wall route. The source is the recorder's
 * hub in the all-in-one process, else the recorder's live endpoint (`live.recorderUrl`).
 * Authentication is the API's own (session cookie or bearer token); a camera outside the
 * caller's role or sites answers 404, as everywhere in the API.
 */
export interface LiveWiring {
  close(): Promise<void>;
}

/**
 * Where this API's live view comes from:
 *  - a fixed `live.recorderUrl`: that one recorder (one separate recorder), unless the recorder
 *    runs in this process on SQLite (all-in-one), whose hub is used directly;
 *  - on PostgreSQL without it: the node holding each camera's lease (api/live/lease-live-source.ts),
 *    this process's own hub for the cameras it records itself, followed when a lease moves;
 *  - on SQLite: the hub of the recorder in this process.
 */
export function liveSourceFor(
  config: ResolvedConfig,
  local: LiveSource | null,
  log: Logger,
  many?: { db: Kysely<Database>; clock: Clock; localNodeId: string | null },
): (LiveSource & { close?(): void }) | null {
  if (!config.live.enabled) return null;
  const secret = config.live.secret;
  if (config.database.driver === 'postgres' && !config.live.recorderUrl && many) {
    const repo = new LeasesRepo(many.db);
    return new LeaseLiveSource({
      lookup: (ids) => repo.liveHolders(ids),
      local: local && many.localNodeId ? { nodeId: many.localNodeId, source: local } : null,
      remote: secret ? (url) => new RemoteLiveSource({ url, secret, log }) : null,
      clock: many.clock,
      log,
    });
  }
  if (local) return local;
  if (config.live.recorderUrl && secret) return new RemoteLiveSource({ url: config.live.recorderUrl, secret, log });
  return null;
}

export function wireLive(o: {
  app: OpenAPIHono<AppEnv>;
  ctx: AppContext;
  server: Server;
  source: LiveSource;
  config: ResolvedConfig;
  audit: AuditSink;
  clock: Clock;
  log: Logger;
  registry: Registry;
}): LiveWiring {
  const authenticate = async (req: IncomingMessage): Promise<Principal | null> => {
    const cookie = parseCookie(req.headers.cookie, SESSION_COOKIE);
    return o.ctx.authenticator.authenticate({ authorization: req.headers.authorization, sessionCookie: cookie }).catch(() => null);
  };
  const mayWatch = async (p: Principal, cameraId: string): Promise<boolean> => {
    if (!roleCan(p.user.role, 'live.view')) return false;
    const cam = await o.ctx.cameras.get(cameraId);
    return cam !== null && o.ctx.sites.covers(p.user.siteScopes, cam.siteId);
  };
  const common = {
    source: o.source,
    audit: o.audit,
    clock: o.clock,
    log: o.log,
    metrics: createApiLiveMetrics(o.registry),
    authenticate,
    mayWatch,
    actorOf: (p: Principal) => ({ userId: p.user.id, username: p.user.username }),
    clientIp: (req: IncomingMessage) =>
      clientOrigin({
        peerIp: req.socket.remoteAddress ?? '',
        urlProtocol: 'http:',
        forwardedFor: headerText(req.headers['x-forwarded-for']),
        forwardedProto: headerText(req.headers['x-forwarded-proto']),
        trustedProxies: o.config.api.trustedProxies,
      }).ip,
  };
  const ws = new LiveWsHandler(common);
  const detach = ws.attach(o.server);
  const snapshots = new SnapshotHandler(common);
  o.app.get('/api/v1/cameras/:id/live/snapshot.jpg', async (c) => {
    const env = c.env as { incoming: IncomingMessage; outgoing: import('node:http').ServerResponse };
    await snapshots.handle(env.incoming, env.outgoing);
    return RESPONSE_ALREADY_SENT;
  });
  return {
    async close() {
      detach();
      await ws.close();
      await snapshots.close();
    },
  };
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function parseCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}
