import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../src/logger.ts';
import { isVigilError, VigilError } from '../../src/errors.ts';
import type { LiveHub } from './live-hub.ts';
import { parseClientMessage, type LiveSink } from './live-protocol.ts';

/**
 * The recorder's live endpoint, for an API that runs as another process (or on another
 * machine): the same watch() and snapshot() as in-process, over HTTP on a private address.
 *
 *   GET /live/v1/cameras                          JSON: cameras and whether they are live
 *   GET /live/v1/cameras/<id>/stream  (WebSocket) the live protocol (live-protocol.ts)
 *   GET /live/v1/cameras/<id>/snapshot?width=320  image/jpeg
 *
 * Every request carries `Authorization: Bearer <live.secret>`; anything else is 401 with no
 * detail. The endpoint knows camera ids only: no camera address ever leaves the recorder.
 * Viewer lag is judged here from the browser's acks, which the API relays unchanged.
 */
export interface LiveEndpointOptions {
  hub: LiveHub;
  secret: string;
  log: Logger;
  /** TCP host and port, or a unix socket path. */
  listen: { host: string; port: number } | { socketPath: string };
}

export const LIVE_ENDPOINT_PREFIX = '/live/v1/cameras';

export class LiveEndpoint {
  private server: Server | null = null;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly secretDigest: Buffer;

  constructor(private readonly o: LiveEndpointOptions) {
    if (o.secret.length < 32) throw new VigilError('config_invalid', 'live.secret must be at least 32 characters', { hint: 'Generate one with: openssl rand -base64 32' });
    this.secretDigest = digest(o.secret);
  }

  /** The bound TCP port (0 before listen, or for a unix socket). */
  port = 0;

  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve();
      };
      if ('socketPath' in this.o.listen) server.listen(this.o.listen.socketPath, done);
      else server.listen(this.o.listen.port, this.o.listen.host, done);
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.server = server;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private authorised(req: IncomingMessage): boolean {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), this.secretDigest);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://recorder');
    if (!this.authorised(req)) return reply(res, 401, { code: 'unauthenticated', message: 'the live endpoint needs the shared live secret' });
    if (req.method !== 'GET') return reply(res, 405, { code: 'invalid_request', message: 'only GET is served here' });
    if (url.pathname === LIVE_ENDPOINT_PREFIX) return reply(res, 200, { cameras: this.o.hub.cameras() });
    const m = new RegExp(`^${LIVE_ENDPOINT_PREFIX}/([^/]+)/snapshot$`).exec(url.pathname);
    if (!m) return reply(res, 404, { code: 'not_found', message: 'no such live resource' });
    const cameraId = decodeURIComponent(m[1]!);
    const width = Number(url.searchParams.get('width') ?? '320');
    try {
      const snap = await this.o.hub.snapshot(cameraId, { widthPx: width });
      res.writeHead(200, {
        'content-type': 'image/jpeg',
        'content-length': snap.jpeg.length,
        'cache-control': 'no-store',
        'x-vigil-captured-at-ms': String(snap.capturedAtMs),
        'x-vigil-width-px': String(snap.widthPx),
        'x-vigil-height-px': String(snap.heightPx),
      });
      res.end(snap.jpeg);
    } catch (e) {
      if (isVigilError(e)) return reply(res, e.code === 'not_found' ? 404 : e.code === 'invalid_request' ? 400 : 503, { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
      this.o.log.error({ err: e, cameraId }, 'live snapshot failed');
      return reply(res, 500, { code: 'internal', message: 'the snapshot could not be made' });
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://recorder');
    const m = new RegExp(`^${LIVE_ENDPOINT_PREFIX}/([^/]+)/stream$`).exec(url.pathname);
    if (!this.authorised(req)) return rejectUpgrade(socket, 401);
    if (!m) return rejectUpgrade(socket, 404);
    const cameraId = decodeURIComponent(m[1]!);
    if (!this.o.hub.hasCamera(cameraId)) return rejectUpgrade(socket, 404);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, cameraId));
  }

  private serve(ws: WebSocket, cameraId: string): void {
    const watch = this.o.hub.watch(cameraId, wsSink(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = parseClientMessage(String(data));
      if (msg) watch.ack(msg.count);
    });
    ws.on('close', () => watch.stop());
    ws.on('error', () => watch.stop());
  }
}

/**
 * The endpoint the configuration asks for (live.endpointPort set), listening; null when none.
 * For bin/: `const ep = await startLiveEndpointFromConfig(config.live, recorder.live, log)`.
 */
export async function startLiveEndpointFromConfig(
  live: { endpointHost: string; endpointPort?: number | undefined; secret?: string | undefined },
  hub: LiveHub | null,
  log: Logger,
): Promise<LiveEndpoint | null> {
  if (live.endpointPort === undefined || !hub) return null;
  if (!live.secret) throw new VigilError('config_invalid', 'live.secret is required when live.endpointPort is set', { hint: 'Generate one with: openssl rand -base64 32' });
  const endpoint = new LiveEndpoint({ hub, secret: live.secret, log, listen: { host: live.endpointHost, port: live.endpointPort } });
  await endpoint.listen();
  log.info({ host: live.endpointHost, port: endpoint.port }, 'live endpoint listening for the API');
  return endpoint;
}

/** A LiveSink over a WebSocket (close reasons are cut to the 123 bytes a close frame holds). */
export function wsSink(ws: WebSocket): LiveSink {
  return {
    sendMedia: (bytes) => ws.send(bytes, { binary: true }),
    sendControl: (msg) => ws.send(JSON.stringify(msg)),
    bufferedBytes: () => ws.bufferedAmount,
    close: (code, reason) => {
      ws.close(code, closeReason(reason));
      // A stalled peer never answers the close frame: do not wait ws's 30 s for it.
      setTimeout(() => ws.terminate(), 2_000).unref();
    },
  };
}

/** A close frame holds 123 bytes of reason; cut at a character boundary. */
export function closeReason(text: string): string {
  let t = text;
  while (Buffer.byteLength(t) > 123) t = t.slice(0, -1);
  return t;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function rejectUpgrade(socket: Duplex, status: 401 | 404): void {
  const text = status === 401 ? 'Unauthorized' : 'Not Found';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
