import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { serve } from '@hono/node-server';
import type { Kysely } from 'kysely';
import { createApp, type VigilApi } from '../../api/app.ts';
import type { CameraAdminService } from '../../api/camera-admin.ts';
import type { ResolvedConfig } from '../../src/config/load.ts';
import type { AppContext } from '../../api/app-context.ts';
import { hashPassword } from '../../api/auth/password-hash.ts';
import { csrfTokenFor, newApiToken, newSessionSecret, newTokenId, secretHash } from '../../api/auth/secret-tokens.ts';
import type { ApiRouteDef } from '../../api/route-def.ts';
import { buildFootageServices, type FootageServices } from '../../bin/footage-services.ts';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { ManualClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import type { UserRecord, UserRole } from '../../src/db/users-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { createObjectStore, type ObjectStore } from '../../src/store/object-store.ts';
import { envTestDialect, TestDatabases, type TestDialect } from '../helpers/test-db.ts';

/**
 * A real API for tests: a SQLite file in a temp dir, the real audit log, a manual clock, and
 * the app served by @hono/node-server on 127.0.0.1 (port chosen by the OS). Users are made
 * straight in the database; `session()` and `token()` mint credentials the way login and
 * POST /tokens do (same hashing), so the authorisation tests need no scrypt per request.
 * The footage and evidence services (bin/footage-services.ts) are built over the configured
 * store (an fs store in the temp dir unless a store is given), so every route is served.
 */
export const T0 = Date.UTC(2026, 2, 3, 2, 0, 0); // 2026-03-03 09:00 +07:00

/** Cheap scrypt (N=2^4) for test accounts; the stored parameters make verify use them. */
export const TEST_SCRYPT = { ln: 4, r: 8, p: 1 };

export const SITES = [
  { id: 'hn', name: 'Hà Nội' },
  { id: 'district-1', name: 'Quận 1', parent: 'hn' },
  { id: 'ward-a', name: 'Phường A', parent: 'district-1' },
  { id: 'ward-b', name: 'Phường B', parent: 'district-1' },
  { id: 'district-2', name: 'Quận 2', parent: 'hn' },
  { id: 'ward-c', name: 'Phường C', parent: 'district-2' },
];

export const CAMERAS = [
  { id: 'ward-a-counter-1', name: 'Counter 1', site: 'ward-a', rtspUrl: 'rtsp://10.0.0.1/stream' },
  { id: 'ward-c-counter-1', name: 'Counter 1 (C)', site: 'ward-c', rtspUrl: 'rtsp://10.0.0.2/stream' },
];

export interface Credential {
  user: UserRecord;
  /** Headers to send: a cookie (plus X-CSRF-Token when csrf) or an Authorization header. */
  headers(opts?: { csrf?: boolean }): Record<string, string>;
}

export interface ApiHarness {
  url: string;
  api: VigilApi;
  ctx: AppContext;
  db: Kysely<Database>;
  clock: ManualClock;
  logLines(): Record<string, unknown>[];
  fetch(pathAndQuery: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  createUser(o: { username: string; role: UserRole; sites?: string[]; password?: string }): Promise<UserRecord>;
  session(user: UserRecord): Promise<Credential>;
  token(user: UserRecord): Promise<Credential>;
  auditRows(): Promise<{ action: string; actor_name: string | null; ip: string | null; detail: string }[]>;
  store: ObjectStore;
  footage: FootageServices;
  close(): Promise<void>;
}

export async function startApiHarness(o: { config?: Record<string, unknown>; extraRoutes?: (ctx: AppContext) => ApiRouteDef[]; sqlitePath?: string; store?: ObjectStore; database?: TestDialect; cameraAdmin?: (config: ResolvedConfig, clock: ManualClock, dir: string) => CameraAdminService } = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-api-'));
  const config = validateConfig({ sites: SITES, cameras: CAMERAS, ...o.config }, { cwd: dir });
  // PostgreSQL when asked (or TEST_DB_DIALECT=postgres for a whole run): a server of its own, removed by close().
  const pgDbs = o.sqlitePath === undefined && (o.database ?? envTestDialect()) === 'postgres' ? new TestDatabases() : null;
  const db = await openDatabase(pgDbs ? await pgDbs.fresh('postgres') : { driver: 'sqlite', sqlitePath: o.sqlitePath ?? path.join(dir, 'vigil.db') });
  const clock = new ManualClock(T0);
  const lines: Record<string, unknown>[] = [];
  const logStream = new PassThrough();
  let buffered = '';
  logStream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
  });
  const logger = createLogger({ level: 'debug', destination: logStream });
  const audit = new AuditLog({ db, clock });
  const store = o.store ?? createObjectStore(config);
  const footage = buildFootageServices({ config, db, store, clock, audit, log: logger });
  await footage.start();
  const cameraAdmin = o.cameraAdmin?.(config, clock, dir);
  const api = createApp({ config, db, clock, logger, metrics: createMetricsRegistry({ defaultMetrics: false }), audit, media: footage.media, evidence: footage.evidence, store, ...(cameraAdmin ? { cameraAdmin } : {}) }, o.extraRoutes);
  const server = serve({ fetch: api.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const credential = (user: UserRecord, headers: (csrf: boolean) => Record<string, string>): Credential => ({ user, headers: (opts = {}) => headers(opts.csrf ?? true) });

  return {
    url,
    api,
    ctx: api.ctx,
    db,
    clock,
    logLines: () => lines,
    fetch(pathAndQuery, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(url + pathAndQuery, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    async createUser(u) {
      return api.ctx.users.create({ username: u.username, displayName: u.username, role: u.role, siteScopes: u.sites ?? [], passwordHash: await hashPassword(u.password ?? 'test password 1', TEST_SCRYPT) });
    },
    async session(user) {
      const secret = newSessionSecret();
      const now = clock.nowMs();
      await api.ctx.sessions.create({ tokenHash: secretHash(secret), userId: user.id, createdMs: now, expiresMs: now + config.api.sessionTtlMs, lastSeenMs: now, ip: '127.0.0.1', userAgent: 'test' });
      return credential(user, (csrf) => ({ cookie: `vigil_session=${secret}`, ...(csrf ? { 'x-csrf-token': csrfTokenFor(secret) } : {}) }));
    },
    async token(user) {
      const token = newApiToken();
      await api.ctx.tokens.create({ id: newTokenId(), tokenHash: secretHash(token), userId: user.id, name: 'test', createdMs: clock.nowMs(), expiresMs: null });
      return credential(user, () => ({ authorization: `Bearer ${token}` }));
    },
    async auditRows() {
      return db.selectFrom('audit_log').select(['action', 'actor_name', 'ip', 'detail']).orderBy('seq').execute();
    },
    store,
    footage,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await footage.stop();
      await db.destroy();
      await pgDbs?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The body of a problem response, after checking it is one. */
export async function problemOf(res: Response): Promise<Record<string, unknown> & { status: number; code: string; detail: string }> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) throw new Error(`expected a problem+json answer, got ${res.status} ${type}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown> & { status: number; code: string; detail: string };
}
