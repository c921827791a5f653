import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/logger.ts';
import type { ReadinessReport } from '../src/health/readiness.ts';

/**
 * A tiny HTTP server for roles without the API (recorder, retention, or both in one process):
 *   GET /metrics  Prometheus text of the role's registries (optionally behind a bearer token)
 *   GET /healthz  200 while the process answers (liveness)
 *   GET /readyz   200 when database, object store and ffmpeg answer, else 503, with the checks
 * Registries are concatenated, not merged, so each keeps its `role` default label; a metric
 * name in two of them is refused at start (the exposition would be invalid).
 */
export interface MetricsServerOptions {
  host: string;
  port: number;
  registries: readonly Registry[];
  readiness: () => Promise<ReadinessReport>;
  log: Logger;
  bearerToken?: string | undefined;
}

export interface RunningMetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(o: MetricsServerOptions): Promise<RunningMetricsServer> {
  const names = new Map<string, number>();
  o.registries.forEach((r, i) => {
    for (const m of r.getMetricsAsArray()) {
      if (names.has(m.name) && names.get(m.name) !== i) throw new Error(`metric ${m.name} is registered in two registries served together`);
      names.set(m.name, i);
    }
  });
  const tokenHash = o.bearerToken ? createHash('sha256').update(`Bearer ${o.bearerToken}`).digest() : null;
  const authorised = (req: IncomingMessage) => {
    if (!tokenHash) return true;
    const given = createHash('sha256').update(req.headers.authorization ?? '').digest();
    return timingSafeEqual(given, tokenHash);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      o.log.error({ err, path: req.url }, 'metrics server request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'only GET\n', { allow: 'GET, HEAD' });
    switch (path) {
      case '/metrics': {
        if (!authorised(req)) return send(res, 401, 'text/plain; charset=utf-8', 'bearer token required\n', { 'www-authenticate': 'Bearer realm="vigil-metrics"' });
        const texts = await Promise.all(o.registries.map((r) => r.metrics()));
        return send(res, 200, o.registries[0]?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8', texts.map((t) => t.trimEnd()).filter(Boolean).join('\n') + '\n');
      }
      case '/healthz':
        return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }) + '\n');
      case '/readyz': {
        const report = await o.readiness();
        return send(res, report.ready ? 200 : 503, 'application/json', JSON.stringify({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks }) + '\n');
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /healthz or /readyz\n');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  o.log.info({ url, metrics: `${url}/metrics` }, 'metrics server listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
