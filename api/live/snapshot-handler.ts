import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isVigilError, VigilError } from '../../src/errors.ts';
import { toIsoUtc } from '../../src/time.ts';
import { httpProblem, internalProblem, problemFromVigilError, type Problem } from '../problem.ts';
import type { LiveAccessOptions } from './live-source.ts';
import { SnapshotAudit } from './snapshot-audit.ts';

/**
 * `GET /api/v1/cameras/<id>/live/snapshot.jpg?width=320`: the camera's latest live picture
 * as a JPEG, for a wall of many cameras refreshed every few seconds (the recorder decodes at
 * most one per camera, width and interval however many walls ask). Authenticated, scoped
 * like live (out of scope = 404) and audited per viewing (snapshot-audit.ts). The answer is
 * `Cache-Control: no-store` (footage is personal data) and says when the picture was taken
 * (`X-Vigil-Captured-At`, ISO 8601 UTC).
 */
export interface SnapshotHandlerOptions<P> extends LiveAccessOptions<P> {
  /** A viewing ends after this long without an ask (default 60 s). */
  auditIdleMs?: number;
}

export const SNAPSHOT_PATH = /^\/api\/v1\/cameras\/([^/]+)\/live\/snapshot\.jpg$/;
export const DEFAULT_SNAPSHOT_WIDTH_PX = 320;

export class SnapshotHandler<P> {
  private readonly audit: SnapshotAudit;

  constructor(private readonly o: SnapshotHandlerOptions<P>) {
    this.audit = new SnapshotAudit({ audit: o.audit, clock: o.clock, log: o.log, ...(o.auditIdleMs ? { idleMs: o.auditIdleMs } : {}) });
  }

  /** Answers the request if it is a snapshot request; false when it is not one (not answered). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://vigil');
    const m = SNAPSHOT_PATH.exec(url.pathname);
    if (!m) return false;
    const started = performance.now();
    const requestId = randomUUID();
    try {
      await this.answer(req, res, url, m[1]!, requestId);
    } catch (e) {
      if (isVigilError(e)) sendProblem(res, problemFromVigilError(e, url.pathname, requestId));
      else {
        this.o.log.error({ err: e, requestId }, 'live snapshot request failed');
        sendProblem(res, internalProblem(url.pathname, requestId));
      }
    }
    this.o.metrics?.snapshotSeconds.observe((performance.now() - started) / 1000);
    return true;
  }

  private async answer(req: IncomingMessage, res: ServerResponse, url: URL, rawId: string, requestId: string): Promise<void> {
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendProblem(res, httpProblem(405, 'Snapshots are read with GET.', path, requestId));
    const principal = await this.o.authenticate(req);
    if (principal === null) return sendProblem(res, httpProblem(401, 'Log in to see live pictures.', path, requestId));
    let cameraId: string;
    try {
      cameraId = decodeURIComponent(rawId);
    } catch {
      return sendProblem(res, httpProblem(404, 'There is no such camera.', path, requestId));
    }
    if (!(await this.o.mayWatch(principal, cameraId))) return sendProblem(res, httpProblem(404, 'There is no such camera.', path, requestId));
    const widthParam = url.searchParams.get('width');
    const widthPx = widthParam === null ? DEFAULT_SNAPSHOT_WIDTH_PX : Number(widthParam);
    if (!Number.isInteger(widthPx)) throw new VigilError('invalid_request', `width must be a whole number of pixels (got "${widthParam}")`);
    const snap = await this.o.source.snapshot(cameraId, { widthPx });
    this.audit.seen(this.o.actorOf(principal), cameraId, this.o.clientIp?.(req) ?? req.socket.remoteAddress ?? '');
    res.writeHead(200, {
      'content-type': 'image/jpeg',
      'content-length': snap.jpeg.length,
      'cache-control': 'no-store',
      'x-vigil-captured-at': toIsoUtc(snap.capturedAtMs),
      'x-request-id': requestId,
    });
    res.end(req.method === 'HEAD' ? undefined : snap.jpeg);
  }

  /** Writes the audit entries of viewings still open. */
  close(): Promise<void> {
    return this.audit.close();
  }
}

function sendProblem(res: ServerResponse, p: Problem): void {
  const body = JSON.stringify(p);
  res.writeHead(p.status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...(p.requestId ? { 'x-request-id': p.requestId } : {}) });
  res.end(body);
}
