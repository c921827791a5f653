import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isVigilError } from '../../src/errors.ts';
import { httpProblem } from '../problem.ts';
import { LIVE_CLOSE_CODES, parseAck, type LiveAccessOptions, type LiveSink, type LiveWatch } from './live-source.ts';

/**
 * Live view for browsers: `GET /api/v1/cameras/<id>/live` upgraded to a WebSocket (ws package,
 * on the node http server's 'upgrade' event), speaking the live protocol: binary fMP4 pieces
 * for Media Source Extensions, JSON control messages, acks from the browser.
 *
 * Before the upgrade: the Origin must be this server (a cookie-authenticated WebSocket is not
 * protected by CORS, so a foreign page could otherwise open one) → 403; the caller must be
 * authenticated → 401; and may watch this camera (role and site scope) → else 404, the same
 * answer as for a camera that does not exist. Each viewer is one 'live.view' audit entry
 * with its start and end, written when the viewer ends (or at close()).
 */
export interface LiveWsHandlerOptions<P> extends LiveAccessOptions<P> {
  /** Default: no Origin header (not a browser), or one whose host is the request's Host. */
  originAllowed?: (req: IncomingMessage) => boolean;
  /** WebSocket pings find dead connections (default every 15 s; two missed: ended). */
  pingIntervalMs?: number;
}

export const LIVE_WS_PATH = /^\/api\/v1\/cameras\/([^/]+)\/live$/;

interface ActiveViewer {
  ws: WebSocket;
  finish: (endedBy: 'viewer' | 'server', code: number) => Promise<void>;
  alive: boolean;
}

export class LiveWsHandler<P> {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly active = new Set<ActiveViewer>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly o: LiveWsHandlerOptions<P>) {
    this.pinger = setInterval(() => this.ping(), o.pingIntervalMs ?? 15_000);
    this.pinger.unref();
  }

  get viewers(): number {
    return this.active.size;
  }

  /** Listens on the server's 'upgrade' event; returns a function that stops listening. */
  attach(server: Server): () => void {
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.handleUpgrade(req, socket, head)) return;
      // Not ours: end it unless someone else serves upgrades on this server.
      if (server.listenerCount('upgrade') === 1) socket.destroy();
    };
    server.on('upgrade', onUpgrade);
    return () => server.off('upgrade', onUpgrade);
  }

  /** True when the request is a live request (answered or upgraded); false: not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://vigil');
    const m = LIVE_WS_PATH.exec(url.pathname);
    if (!m) return false;
    socket.on('error', () => undefined);
    let cameraId: string;
    try {
      cameraId = decodeURIComponent(m[1]!);
    } catch {
      refuse(socket, 404, 'There is no such camera.', url.pathname);
      return true;
    }
    void this.admit(req, socket, head, cameraId, url.pathname);
    return true;
  }

  /** Ends every viewer (server stopping); their audit entries are written before it resolves. */
  async close(): Promise<void> {
    clearInterval(this.pinger);
    await Promise.all([...this.active].map((v) => v.finish('server', LIVE_CLOSE_CODES.goingAway)));
    this.wss.close();
  }

  private async admit(req: IncomingMessage, socket: Duplex, head: Buffer, cameraId: string, path: string): Promise<void> {
    try {
      if (!(this.o.originAllowed ?? sameOrigin)(req)) return refuse(socket, 403, 'Live view may only be opened from Vigil\'s own pages.', path);
      const principal = await this.o.authenticate(req);
      if (principal === null) return refuse(socket, 401, 'Log in to watch live.', path);
      if (!(await this.o.mayWatch(principal, cameraId))) return refuse(socket, 404, 'There is no such camera.', path);
      if (socket.destroyed) return;
      this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, req, principal, cameraId));
    } catch (e) {
      if (isVigilError(e, 'unauthenticated')) return refuse(socket, 401, 'Log in to watch live.', path);
      this.o.log.error({ err: e, cameraId }, 'live view could not start');
      refuse(socket, 500, 'Vigil could not start live view.', path);
    }
  }

  private serve(ws: WebSocket, req: IncomingMessage, principal: P, cameraId: string): void {
    const startMs = this.o.clock.nowMs();
    const camera = { camera: cameraId };
    const ip = this.o.clientIp?.(req) ?? req.socket.remoteAddress ?? '';
    let bytesSent = 0;
    let finished: Promise<void> | null = null;
    let watch: LiveWatch | null = null;
    this.o.metrics?.viewers.inc(camera);
    const viewer: ActiveViewer = {
      ws,
      alive: true,
      finish: (endedBy, code) => {
        finished ??= (async () => {
          this.active.delete(viewer);
          watch?.stop();
          this.o.metrics?.viewers.dec(camera);
          if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, endedBy === 'server' ? 'the server is stopping' : undefined);
          try {
            await this.o.audit.append({
              actor: this.o.actorOf(principal), action: 'live.view', cameraId, startMs, endMs: this.o.clock.nowMs(), ip,
              detail: { via: 'stream', bytesSent, endedBy, closeCode: code },
            });
          } catch (err) {
            this.o.log.error({ err, cameraId }, 'audit entry of a live view could not be written');
          }
        })();
        return finished;
      },
    };
    this.active.add(viewer);
    const sink: LiveSink = {
      sendMedia: (bytes) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(bytes, { binary: true });
        bytesSent += bytes.length;
        this.o.metrics?.bytesOut.inc(camera, bytes.length);
      },
      sendControl: (msg) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
      },
      bufferedBytes: () => ws.bufferedAmount,
      close: (code, reason) => {
        const why = code === LIVE_CLOSE_CODES.dropped ? 'behind' : code === LIVE_CLOSE_CODES.recorderUnreachable ? 'recorder_unreachable' : code === LIVE_CLOSE_CODES.recorderChanged ? 'recorder_changed' : code === LIVE_CLOSE_CODES.tooManyViewers ? 'too_many_viewers' : code === LIVE_CLOSE_CODES.goingAway ? 'recorder_stopping' : 'other';
        this.o.metrics?.dropped.inc({ ...camera, reason: why });
        if (ws.readyState === ws.OPEN) ws.close(code, cutReason(reason));
        // A stalled peer never answers the close frame: do not wait ws's 30 s for it.
        setTimeout(() => ws.terminate(), 2_000).unref();
        void viewer.finish('server', code);
      },
    };
    watch = this.o.source.watch(cameraId, sink);
    if (finished) watch.stop(); // the source ended the viewer at once (unknown camera, too many viewers)
    ws.on('pong', () => (viewer.alive = true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const count = parseAck(String(data));
      if (count !== null) watch?.ack(count);
    });
    ws.on('close', (code) => void viewer.finish('viewer', code));
    ws.on('error', () => void viewer.finish('viewer', 1006));
  }

  private ping(): void {
    for (const v of this.active) {
      if (!v.alive) {
        v.ws.terminate();
        continue;
      }
      v.alive = false;
      try {
        v.ws.ping();
      } catch {
        /* closing */
      }
    }
  }
}

/** No Origin (not a browser), or an Origin whose host:port is the Host the request was sent to. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (req.headers.host ?? '');
  } catch {
    return false;
  }
}

function cutReason(text: string): string {
  let t = text;
  while (Buffer.byteLength(t) > 123) t = t.slice(0, -1);
  return t;
}

function refuse(socket: Duplex, status: 401 | 403 | 404 | 500, detail: string, path: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(httpProblem(status, detail, path, randomUUID()));
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
