import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from './app-deps.ts';
import { SESSION_COOKIE } from './auth/authenticator.ts';

/**
 * Serves the web UI (api/web/, built by `npm run build:web` into api/web/dist) at `/`:
 *
 * - `/assets/*`: Vite's output, named by content hash → cached a year, `immutable`;
 * - other files of dist (favicon): revalidated each time (ETag);
 * - any other GET of a page (a path without a file extension from a browser asking for HTML)
 *   → index.html, the single-page app's fallback, `no-cache` with an ETag, so a new build is
 *   picked up on the next visit while an unchanged one costs a 304;
 * - `/api/*` is never answered here (unknown API paths stay problem+json 404s).
 *
 * index.html carries the settings the page needs before its first API call (office time zone,
 * Grafana address, whether live is switched on, whether a session cookie came with the request, so a first visit does not
 * start with a 401) in <meta name="vigil-settings">, and a Content-Security-Policy allowing
 * only this origin (plus blob: for MSE/hls.js media and hls.js's worker). Text assets are
 * gzipped once, in memory. When the UI was not built, pages answer 503 saying how to build it.
 */
export interface WebStaticOptions {
  timeZone: string;
  grafanaUrl?: string | undefined;
  /** Live view and snapshots are switched on (config live.enabled); false: the UI does not offer them. */
  live?: boolean;
  /** Default: api/web/dist next to this file. */
  distDir?: string;
}

export const DEFAULT_DIST_DIR = fileURLToPath(new URL('./web/dist/', import.meta.url));
export const ASSET_CACHE = 'public, max-age=31536000, immutable';
export const PAGE_CACHE = 'no-cache';
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.svg', '.json', '.txt']);

/** What a request is, for the UI. Pure. */
export type StaticPlan = { kind: 'asset'; rel: string } | { kind: 'file'; rel: string } | { kind: 'page' } | { kind: 'skip' };

export function staticPlan(method: string, pathname: string, accept: string): StaticPlan {
  if (method !== 'GET' && method !== 'HEAD') return { kind: 'skip' };
  if (pathname === '/api' || pathname.startsWith('/api/')) return { kind: 'skip' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'skip' };
  }
  const parts = decoded.split('/').filter(Boolean);
  if (decoded.includes('\0') || decoded.includes('\\') || parts.some((p) => p === '..' || p === '.' || p.startsWith('.'))) return { kind: 'skip' };
  const rel = parts.join('/');
  if (parts[0] === 'assets' && parts.length === 2) return { kind: 'asset', rel };
  if (parts.length === 1 && path.extname(rel) !== '' && rel !== 'index.html') return { kind: 'file', rel };
  const last = parts[parts.length - 1] ?? '';
  if (path.extname(last) === '' || rel === 'index.html') return accept.includes('text/html') || accept === '' ? { kind: 'page' } : { kind: 'skip' };
  return { kind: 'skip' };
}

interface Loaded {
  body: Buffer;
  gz: Buffer | null;
  etag: string;
  mtimeMs: number;
  type: string;
}

function fromBody(body: Buffer, ext: string, mtimeMs: number): Loaded {
  return {
    body,
    gz: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body, { level: 6 }) : null,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    mtimeMs,
    type: TYPES[ext] ?? 'application/octet-stream',
  };
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function registerWebStatic(app: Hono<AppEnv>, o: WebStaticOptions): void {
  const dist = path.resolve(o.distDir ?? DEFAULT_DIST_DIR);
  const cache = new Map<string, Loaded>();

  /** A file of dist, from memory unless it changed on disk (a rebuild); null when absent. */
  const get = (rel: string, immutable: boolean): Loaded | null => {
    const file = path.join(dist, rel);
    if (!file.startsWith(dist + path.sep)) return null;
    const hit = cache.get(rel);
    if (hit && immutable) return hit;
    let st;
    try {
      st = statSync(file);
    } catch {
      cache.delete(rel);
      return null;
    }
    if (!st.isFile()) return null;
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const loaded = fromBody(readFileSync(file), path.extname(file), st.mtimeMs);
    cache.set(rel, loaded);
    return loaded;
  };

  const send = (c: Context<AppEnv>, f: { body: Buffer; gz: Buffer | null; etag: string; type: string }, cacheControl: string, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { 'Content-Type': f.type, 'Cache-Control': cacheControl, ETag: f.etag, Vary: 'Accept-Encoding', ...extra };
    if ((c.req.header('if-none-match') ?? '').split(',').some((t) => t.trim() === f.etag)) return c.body(null, 304, headers);
    const gzip = f.gz !== null && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    if (gzip) headers['Content-Encoding'] = 'gzip';
    return c.body(new Uint8Array(gzip ? f.gz! : f.body), 200, headers);
  };

  const pages = new Map<string, Loaded>();
  const page = (c: Context<AppEnv>) => {
    const index = get('index.html', false);
    if (!index) {
      const text = 'Giao diện web của Vigil chưa được dựng: chạy "npm run build:web" (hoặc "bash ops/setup.sh") rồi tải lại trang.\n' + 'The Vigil web UI is not built: run "npm run build:web" (or "bash ops/setup.sh"), then reload.\n';
      return c.body(text, 503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    }
    const settings = { timeZone: o.timeZone, ...(o.grafanaUrl ? { grafanaUrl: o.grafanaUrl } : {}), live: o.live !== false, session: getCookie(c, SESSION_COOKIE) !== undefined };
    const key = `${index.etag}|${JSON.stringify(settings)}`;
    let filled = pages.get(key);
    if (!filled) {
      const html = index.body.toString('utf8').replace('__VIGIL_SETTINGS__', escapeAttr(JSON.stringify(settings)));
      filled = fromBody(Buffer.from(html, 'utf8'), '.html', 0);
      if (pages.size > 16) pages.clear();
      pages.set(key, filled);
    }
    return send(c, filled, PAGE_CACHE, { 'Content-Security-Policy': UI_CSP, Vary: 'Accept-Encoding, Cookie' });
  };

  app.get('*', async (c, next) => {
    const plan = staticPlan(c.req.method, c.req.path, c.req.header('accept') ?? '');
    if (plan.kind === 'page') return page(c);
    if (plan.kind === 'asset' || plan.kind === 'file') {
      const f = get(plan.rel, plan.kind === 'asset');
      if (f) return send(c, f, plan.kind === 'asset' ? ASSET_CACHE : PAGE_CACHE);
    }
    await next();
  });
}
