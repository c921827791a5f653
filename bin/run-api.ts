import { STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';
import { systemClock, type Clock } from '../src/clock.ts';
import { createMetricsRegistry } from '../src/metrics.ts';
import { openDatabase } from '../src/db/database.ts';
import { AuditLog } from '../src/audit/audit-log.ts';
import { VigilError } from '../src/errors.ts';
import { createObjectStore } from '../src/store/object-store.ts';
import { createApp } from '../api/app.ts';
import type { LiveSource } from '../api/live/live-source.ts';
import { liveSourceFor, wireLive } from './live-wiring.ts';
import { LeaseLiveSource } from '../api/live/lease-live-source.ts';
import type { Server } from 'node:http';
import { httpProblem, PROBLEM_CONTENT_TYPE } from '../api/problem.ts';
import { buildFootageServices } from './footage-services.ts';
import { createCameraAdminService, type CameraAdminDeps } from './camera-admin-service.ts';

/**
 * The api role: the Hono app of api/ served by @hono/node-server on config.http host:port,
 * with the footage (clips, playback, thumbnails) and evidence services (cases, export jobs,
 * audit log) over the configured object store and index (bin/footage-services.ts).
 * startApi() returns once it listens (the all-in-one `vigil` runs it beside the recorder) and
 * the export job runner has recovered; runApiRole() serves until SIGINT/SIGTERM.
 */
export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function startApi(o: { config: ResolvedConfig; log: Logger; clock?: Clock; liveSource?: LiveSource | null; liveNodeId?: string | null; recorder?: CameraAdminDeps['recorder'] }): Promise<RunningApi> {
  const clock = o.clock ?? systemClock;
  const db = await openDatabase(o.config.database);
  const metrics = createMetricsRegistry({ defaultLabels: { role: 'api' } });
  const audit = new AuditLog({ db, clock });
  const store = createObjectStore(o.config);
  // The API starts without the store (logins, cases and timelines need only the index); footage answers 503 until it is back.
  store.ping().catch((e: unknown) => o.log.warn({ err: (e as Error).message }, 'the object store does not answer; footage requests will fail until it does'));
  const footage = buildFootageServices({ config: o.config, db, store, clock, audit, log: o.log });
  // Camera admin of the web UI: writes the configuration file; records at once when this process's recorder can take the camera.
  const cameraAdmin = createCameraAdminService({ config: o.config, env: process.env, cwd: process.cwd(), clock, log: o.log, recorder: o.recorder ?? null });
  const { app, ctx } = createApp({ config: o.config, db, clock, logger: o.log, metrics, audit, media: footage.media, evidence: footage.evidence, store, cameraAdmin });
  try {
    await footage.start();
  } catch (e) {
    await db.destroy();
    throw e;
  }
  const server = serve({ fetch: app.fetch, hostname: o.config.http.host, port: o.config.http.port });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (e: NodeJS.ErrnoException) => {
    await footage.stop();
    await db.destroy();
    const why = e.code === 'EADDRINUSE' ? 'the port is already in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : e.message;
    throw new VigilError('config_invalid', `the API cannot listen on ${o.config.http.host}:${o.config.http.port}: ${why}`, { hint: 'Change http.host / http.port (or VIGIL_HTTP_PORT).' });
  });
  // Live view: the recorder's hub in this process, or the recorder's live endpoint.
  const liveSource = liveSourceFor(o.config, o.liveSource ?? null, o.log, { db, clock, localNodeId: o.liveNodeId ?? null });
  const live = liveSource ? wireLive({ app, ctx, server: server as Server, source: liveSource, config: o.config, audit, clock, log: o.log, registry: metrics }) : null;
  if (!liveSource && o.config.live.enabled) o.log.info('live view is off in this API: no recorder in this process and no live.recorderUrl');
  if (liveSource instanceof LeaseLiveSource) o.log.info('live view follows the camera leases: each camera is watched through the recorder node that records it now');
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  o.log.info({ url, openapi: `${url}/api/openapi.json` }, 'api listening');
  return {
    url,
    async close() {
      await live?.close();
      liveSource?.close?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await footage.stop();
      await db.destroy();
    },
  };
}

/**
 * Requests Node's HTTP parser refuses before the app sees them (a request line or headers over
 * 16 KiB, malformed HTTP) get a problem+json like every other refusal, not a bare status line
 * (found by the chaos suite's hostile input).
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail = status === 431 ? 'the request line or headers are larger than 16 KiB; shorten the query string' : status === 408 ? 'the request did not arrive in time' : 'the request is not valid HTTP';
  const body = JSON.stringify(httpProblem(status, detail, '', 'none'));
  // A HEAD request gets the headers only: a body after them breaks the client's parser (found
  // by the chaos suite's fuzzer: HEAD with an oversized query string).
  const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`);
}

export async function runApiRole(o: { config: ResolvedConfig; log: Logger }): Promise<void> {
  const api = await startApi(o);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  o.log.info('stopping the api');
  await api.close();
}
