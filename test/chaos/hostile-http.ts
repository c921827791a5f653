import { request } from 'node:http';
import type { HostileRequest } from './hostile-requests.ts';

/**
 * Sends one request exactly as written (the path unnormalised, the body as given) and reads at
 * most 2 MiB of the answer. A refused or cut connection comes back as { error }, never thrown.
 */
export type HostileAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer } | { error: string };

const MAX_READ_BYTES = 2 * 1024 * 1024;

export function hostileHttp(baseUrl: string, req: HostileRequest): Promise<HostileAnswer> {
  const u = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: HostileAnswer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    const r = request({ host: u.hostname, port: Number(u.port), method: req.method, path: req.path, headers: { ...(req.headers ?? {}), ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        if (n < MAX_READ_BYTES) chunks.push(c);
        n += c.length;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => done({ error: `answer cut: ${e.message}` }));
    });
    r.on('timeout', () => {
      r.destroy();
      done({ error: 'no answer within 30 s' });
    });
    r.on('error', (e) => done({ error: e.message }));
    r.end(req.body);
  });
}
