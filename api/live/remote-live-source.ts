import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import type { Logger } from '../../src/logger.ts';
import { VigilError, type ErrorCode } from '../../src/errors.ts';
import { LIVE_CLOSE_CODES, type LiveControlMessage, type LiveSink, type LiveSnapshotResult, type LiveSource, type LiveWatch } from './live-source.ts';

/**
 * Live from a recorder running as another process: its live endpoint
 * (recorder/live/live-endpoint.ts), reached with the shared live secret. Each browser viewer
 * is one WebSocket to the recorder; pieces and control messages are relayed as they come and
 * the browser's acks go back unchanged, so the recorder judges the browser's own lag and
 * skips or drops it there. Nothing is queued here beyond maxRelayBufferedBytes per viewer.
 */
export interface RemoteLiveOptions {
  /** http(s)://host:port of the recorder's live endpoint, or unix:/path/of/its.sock */
  url: string;
  secret: string;
  log: Logger;
  connectTimeoutMs?: number;
  snapshotTimeoutMs?: number;
  maxRelayBufferedBytes?: number;
}

const PREFIX = '/live/v1/cameras';
const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;

export class RemoteLiveSource implements LiveSource {
  constructor(private readonly o: RemoteLiveOptions) {}

  watch(cameraId: string, sink: LiveSink): LiveWatch {
    const path = `${PREFIX}/${encodeURIComponent(cameraId)}/stream`;
    const upstream = new WebSocket(this.wsUrl(path), {
      headers: { authorization: `Bearer ${this.o.secret}` },
      handshakeTimeout: this.o.connectTimeoutMs ?? 5_000,
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
    });
    let stopped = false;
    let ended = false;
    let pendingAck: number | null = null;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      if (!stopped) sink.close(code, reason);
      if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    };
    upstream.on('open', () => {
      if (pendingAck !== null) upstream.send(JSON.stringify({ type: 'ack', count: pendingAck }));
      pendingAck = null;
    });
    upstream.on('message', (data, isBinary) => {
      if (ended) return;
      if (isBinary) {
        if (sink.bufferedBytes() > (this.o.maxRelayBufferedBytes ?? 8 * 1024 * 1024)) {
          return end(LIVE_CLOSE_CODES.dropped, 'viewer stayed behind the live stream (buffer_full)');
        }
        sink.sendMedia(toBuffer(data));
        return;
      }
      try {
        const msg = JSON.parse(String(data)) as LiveControlMessage;
        if (msg && typeof msg.type === 'string') sink.sendControl(msg);
      } catch {
        /* not ours to judge: the recorder sends JSON */
      }
    });
    upstream.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      if (status === 404) end(LIVE_CLOSE_CODES.unknownCamera, `camera ${cameraId} is not recorded by the recorder`);
      else {
        if (status === 401) this.o.log.error({ cameraId }, 'the recorder refused the live secret; set the same live.secret on the API and the recorder');
        end(LIVE_CLOSE_CODES.recorderUnreachable, 'the recorder serving this camera refused live');
      }
    });
    upstream.on('error', (err) => {
      this.o.log.warn({ cameraId, err: err.message }, 'live endpoint of the recorder unreachable');
      end(LIVE_CLOSE_CODES.recorderUnreachable, 'the recorder serving this camera cannot be reached');
    });
    upstream.on('close', (code, reason) => {
      const usable = code >= 1000 && code !== 1005 && code !== 1006 && code < 5000;
      end(usable ? code : LIVE_CLOSE_CODES.recorderUnreachable, String(reason) || 'the recorder ended live');
    });
    return {
      ack: (count) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(JSON.stringify({ type: 'ack', count }));
        else pendingAck = count;
      },
      stop: () => {
        stopped = true;
        if (upstream.readyState === WebSocket.OPEN) upstream.close(LIVE_CLOSE_CODES.normal);
        else end(LIVE_CLOSE_CODES.normal, 'viewer left');
      },
    };
  }

  snapshot(cameraId: string, opts: { widthPx: number }): Promise<LiveSnapshotResult> {
    const path = `${PREFIX}/${encodeURIComponent(cameraId)}/snapshot?width=${encodeURIComponent(String(opts.widthPx))}`;
    return new Promise((resolve, reject) => {
      const unreachable = (why: string) =>
        new VigilError('camera_unreachable', `the recorder serving camera ${cameraId} cannot be reached for a live picture (${why})`, {
          hint: 'Check that the recorder runs and that live.recorderUrl and live.secret match its live endpoint.',
          cameraId,
        });
      const req = this.httpRequest(path, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_SNAPSHOT_BYTES) req.destroy(new Error('answer too large'));
          else chunks.push(d);
        });
        res.on('error', (e: Error) => reject(unreachable(e.message)));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          if (res.statusCode === 200) {
            return resolve({
              jpeg: body,
              widthPx: Number(res.headers['x-vigil-width-px']),
              heightPx: Number(res.headers['x-vigil-height-px']),
              capturedAtMs: Number(res.headers['x-vigil-captured-at-ms']),
            });
          }
          if (res.statusCode === 401) return reject(unreachable('it refused the live secret'));
          let problem: { code?: string; message?: string; hint?: string } = {};
          try {
            problem = JSON.parse(body.toString('utf8')) as typeof problem;
          } catch {
            /* not JSON */
          }
          const code: ErrorCode = problem.code === 'not_found' || problem.code === 'invalid_request' || problem.code === 'camera_unreachable' ? problem.code : 'camera_unreachable';
          reject(new VigilError(code, problem.message ?? `the recorder answered ${res.statusCode}`, { ...(problem.hint ? { hint: problem.hint } : {}), cameraId }));
        });
      });
      req.setTimeout(this.o.snapshotTimeoutMs ?? 10_000, () => req.destroy(new Error('no answer in time')));
      req.on('error', (e: Error) => reject(unreachable(e.message)));
      req.end();
    });
  }

  private wsUrl(path: string): string {
    if (this.o.url.startsWith('unix:')) return `ws+unix:${this.o.url.slice(5)}:${path}`;
    return this.o.url.replace(/\/+$/, '').replace(/^http/, 'ws') + path;
  }

  private httpRequest(path: string, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const headers = { authorization: `Bearer ${this.o.secret}` };
    if (this.o.url.startsWith('unix:')) return httpRequest({ socketPath: this.o.url.slice(5), path, headers }, onResponse);
    const base = new URL(this.o.url);
    const request = base.protocol === 'https:' ? httpsRequest : httpRequest;
    return request({ hostname: base.hostname, port: base.port, path: `${base.pathname.replace(/\/+$/, '')}${path}`, headers }, onResponse);
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
