import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeKey } from '../../api/route-def.ts';
import { USER_ROLES, type UserRecord, type UserRole } from '../../src/db/users-repo.ts';
import { startApiHarness, T0, type ApiHarness, type Credential } from './api-harness.ts';
import { seedSegments } from './api-footage-harness.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCameraAdminService } from '../../bin/camera-admin-service.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';

/**
 * The authorisation matrix, generated from the route table: every route × every role × in
 * and out of site scope × session cookie or API token, plus no credentials at all, against
 * the expected 2xx/401/403/404 over real HTTP. The entries below are the policy written down
 * independently of the code (which roles may call a route, what an out-of-scope caller
 * gets); a route added to the table without an entry here fails the first test.
 *
 * Scopes: "in" users are scoped to district-1 (which holds ward-a and its camera
 * ward-a-counter-1: the subtree rule), "out" users to district-2. Footage routes serve real
 * footage: 12 s of ffmpeg-made segments of ward-a-counter-1 from T0 (seedSegments). Cases are
 * at ward-a; an export for the download entry is made once and finished before it is asked.
 */
type Via = 'session' | 'token';
interface Caller {
  user: UserRecord;
  cred: Credential;
}
interface Entry {
  /** Roles allowed; 'public' for routes that need no credentials. */
  roles: readonly UserRole[] | 'public';
  /** Status of a successful call. */
  ok: number;
  /** Status for an allowed role outside the resource's scope (default: ok). */
  out?: number;
  /** Only from a browser session. */
  sessionOnly?: boolean;
  /** Builds a fresh, valid request for this caller (null: anonymous). */
  request(h: ApiHarness, caller: Caller | null): Promise<{ path: string; init?: RequestInit & { json?: unknown } }>;
}

const ALL = USER_ROLES;
const CAMERA = 'ward-a-counter-1';
const DAY = '?start=2026-03-03T00:00:00%2B07:00&end=2026-03-04T00:00:00%2B07:00';
let seq = 0;
const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
const CLIP = `?start=${iso(T0 + 1_000)}&end=${iso(T0 + 6_000)}`;
const SYSTEM = { actor: { userId: 'setup', username: 'setup' } };
const REASON = 'Công dân phản ánh lúc 9 giờ';

async function newCase(h: ApiHarness): Promise<string> {
  const c = await h.footage.evidence.cases.createCase({ reference: `KN-${++seq}`, title: 'Thái độ phục vụ', siteId: 'ward-a' }, SYSTEM);
  return c.id;
}
let sharedCase: Promise<string> | null = null;
const theCase = (h: ApiHarness) => (sharedCase ??= newCase(h));
let finishedExport: Promise<string> | null = null;
const doneExport = (h: ApiHarness) =>
  (finishedExport ??= (async () => {
    const e = await h.footage.evidence.exports.create({ caseId: await theCase(h), cameraId: CAMERA, startMs: T0, endMs: T0 + 5_000, reason: REASON }, SYSTEM);
    await h.footage.exportJobs.idle();
    const done = await h.footage.evidence.exports.get(e.id);
    if (done?.status !== 'done') throw new Error(`the matrix's export did not finish: ${done?.status} ${done?.error}`);
    return e.id;
  })());
const clipBody = (reason = REASON) => ({ cameraId: CAMERA, start: new Date(T0).toISOString(), end: new Date(T0 + 5_000).toISOString(), reason });
const FOOTAGE_VIEWERS: readonly UserRole[] = ['viewer', 'investigator', 'admin'];
// Camera admin routes reach a real simulated camera (started in beforeAll).
let sim: CameraSimulator | undefined;
const simCamera = () => ({ host: '127.0.0.1', port: sim!.cameras[0]!.onvif.port, username: sim!.cameras[0]!.spec.username, password: sim!.cameras[0]!.spec.password });
const CASE_WORKERS: readonly UserRole[] = ['investigator', 'admin'];

const ENTRIES: Record<string, Entry> = {
  'POST /api/v1/auth/login': {
    roles: 'public',
    ok: 200,
    async request(h) {
      const u = await h.createUser({ username: `login-${++seq}`, role: 'viewer', password: 'login password 1' });
      return { path: '/api/v1/auth/login', init: { method: 'POST', json: { username: u.username, password: 'login password 1' } } };
    },
  },
  'POST /api/v1/auth/logout': { roles: ALL, ok: 204, request: async () => ({ path: '/api/v1/auth/logout', init: { method: 'POST' } }) },
  'GET /api/v1/me': { roles: ALL, ok: 200, request: async () => ({ path: '/api/v1/me' }) },
  'POST /api/v1/me/password': {
    roles: ALL,
    ok: 204,
    sessionOnly: true,
    request: async () => ({ path: '/api/v1/me/password', init: { method: 'POST', json: { currentPassword: 'test password 1', newPassword: 'test password 1' } } }),
  },
  'GET /api/v1/tokens': { roles: ALL, ok: 200, request: async () => ({ path: '/api/v1/tokens' }) },
  'POST /api/v1/tokens': { roles: ALL, ok: 201, sessionOnly: true, request: async () => ({ path: '/api/v1/tokens', init: { method: 'POST', json: { name: 'script' } } }) },
  'DELETE /api/v1/tokens/{id}': {
    roles: ALL,
    ok: 204,
    async request(h, caller) {
      // A token of the caller's own (anonymous callers aim at someone's real token).
      const owner = caller?.user ?? (await h.createUser({ username: `owner-${++seq}`, role: 'viewer' }));
      await h.token(owner);
      const [t] = await h.ctx.tokens.list(owner.id);
      return { path: `/api/v1/tokens/${t!.id}`, init: { method: 'DELETE' } };
    },
  },
  'GET /api/v1/users': { roles: ['admin'], ok: 200, request: async () => ({ path: '/api/v1/users' }) },
  'POST /api/v1/users': {
    roles: ['admin'],
    ok: 201,
    out: 403, // a district-2 admin may not grant ward-a
    request: async () => ({ path: '/api/v1/users', init: { method: 'POST', json: { username: `new-${++seq}`, displayName: 'Chị Lan', role: 'viewer', sites: ['ward-a'], password: 'a long password' } } }),
  },
  'PATCH /api/v1/users/{id}': {
    roles: ['admin'],
    ok: 200,
    out: 404, // an account of ward-a is not the district-2 admin's to see
    async request(h) {
      const target = await h.createUser({ username: `target-${++seq}`, role: 'viewer', sites: ['ward-a'] });
      return { path: `/api/v1/users/${target.id}`, init: { method: 'PATCH', json: { role: 'investigator' } } };
    },
  },
  'POST /api/v1/users/{id}/password': {
    roles: ['admin'],
    ok: 204,
    out: 404,
    async request(h) {
      const target = await h.createUser({ username: `target-${++seq}`, role: 'viewer', sites: ['ward-a'] });
      return { path: `/api/v1/users/${target.id}/password`, init: { method: 'POST', json: { password: 'another long password' } } };
    },
  },
  'GET /api/v1/sites': { roles: ALL, ok: 200, request: async () => ({ path: '/api/v1/sites' }) },
  'GET /api/v1/cameras': { roles: ALL, ok: 200, request: async () => ({ path: '/api/v1/cameras' }) },
  'GET /api/v1/cameras/{id}': { roles: ALL, ok: 200, out: 404, request: async () => ({ path: `/api/v1/cameras/${CAMERA}` }) },
  'GET /api/v1/cameras/{id}/timeline': { roles: ALL, ok: 200, out: 404, request: async () => ({ path: `/api/v1/cameras/${CAMERA}/timeline${DAY}` }) },
  'GET /api/v1/cameras/{id}/events': { roles: ['ops', 'admin'], ok: 200, out: 404, request: async () => ({ path: `/api/v1/cameras/${CAMERA}/events${DAY}` }) },
  'GET /api/v1/metrics': { roles: ['ops', 'admin'], ok: 200, request: async () => ({ path: '/api/v1/metrics' }) },
  'GET /api/v1/healthz': { roles: 'public', ok: 200, request: async () => ({ path: '/api/v1/healthz' }) },
  'GET /api/v1/readyz': { roles: 'public', ok: 200, request: async () => ({ path: '/api/v1/readyz' }) },
  // The report's site is a query parameter: a caller of another district is refused (403).
  'GET /api/v1/reports/uptime': { roles: ALL, ok: 200, out: 403, request: async () => ({ path: '/api/v1/reports/uptime?from=2026-03-03&site=district-1' }) },
  'GET /api/v1/cameras/{id}/clip': { roles: CASE_WORKERS, ok: 200, out: 404, request: async () => ({ path: `/api/v1/cameras/${CAMERA}/clip${CLIP}` }) },
  'GET /api/v1/cameras/{id}/playback.m3u8': { roles: FOOTAGE_VIEWERS, ok: 200, out: 404, request: async () => ({ path: `/api/v1/cameras/${CAMERA}/playback.m3u8${CLIP}` }) },
  'GET /api/v1/cameras/{id}/playback/segments/{segment}': {
    roles: FOOTAGE_VIEWERS,
    ok: 200,
    out: 404,
    request: async () => ({ path: `/api/v1/cameras/${CAMERA}/playback/segments/${T0 + 4_000}-4000.mp4?run=${T0}&first=0` }),
  },
  'GET /api/v1/cameras/{id}/thumbnail': { roles: FOOTAGE_VIEWERS, ok: 200, out: 404, request: async () => ({ path: `/api/v1/cameras/${CAMERA}/thumbnail?at=${iso(T0 + 2_500)}&width=160` }) },
  'POST /api/v1/cases': {
    roles: CASE_WORKERS,
    ok: 201,
    out: 403, // a district-2 investigator may not open a case at ward-a
    request: async () => ({ path: '/api/v1/cases', init: { method: 'POST', json: { reference: `KN-${++seq}`, title: 'Thái độ phục vụ', site: 'ward-a' } } }),
  },
  'GET /api/v1/cases': { roles: CASE_WORKERS, ok: 200, request: async () => ({ path: '/api/v1/cases' }) },
  'GET /api/v1/cases/{id}': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}` }) },
  'PATCH /api/v1/cases/{id}': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}`, init: { method: 'PATCH', json: { description: `ghi chú ${++seq}` } } }) },
  'POST /api/v1/cases/{id}/close': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await newCase(h)}/close`, init: { method: 'POST', json: {} } }) },
  'POST /api/v1/cases/{id}/reopen': {
    roles: CASE_WORKERS,
    ok: 200,
    out: 404,
    async request(h) {
      const id = await newCase(h);
      await h.footage.evidence.cases.closeCase(id, SYSTEM);
      return { path: `/api/v1/cases/${id}/reopen`, init: { method: 'POST' } };
    },
  },
  'POST /api/v1/cases/{id}/clips': { roles: CASE_WORKERS, ok: 201, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}/clips`, init: { method: 'POST', json: clipBody() } }) },
  'GET /api/v1/cases/{id}/clips': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}/clips` }) },
  'GET /api/v1/cases/{id}/holds': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}/holds?includeReleased=true` }) },
  'POST /api/v1/cases/{id}/holds/{holdId}/release': {
    roles: CASE_WORKERS,
    ok: 200,
    out: 404,
    async request(h) {
      const id = await theCase(h);
      const { hold } = await h.footage.evidence.cases.addClip(id, { cameraId: CAMERA, startMs: T0, endMs: T0 + 5_000, reason: REASON }, SYSTEM);
      return { path: `/api/v1/cases/${id}/holds/${hold.id}/release`, init: { method: 'POST', json: { reason: 'đã giải quyết' } } };
    },
  },
  'POST /api/v1/cases/{id}/exports': { roles: CASE_WORKERS, ok: 202, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}/exports`, init: { method: 'POST', json: clipBody() } }) },
  'GET /api/v1/cases/{id}/exports': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/cases/${await theCase(h)}/exports` }) },
  'GET /api/v1/exports/{id}': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/exports/${await doneExport(h)}` }) },
  'GET /api/v1/exports/{id}/package': { roles: CASE_WORKERS, ok: 200, out: 404, request: async (h) => ({ path: `/api/v1/exports/${await doneExport(h)}/package` }) },
  'GET /api/v1/audit': { roles: ['admin'], ok: 200, request: async () => ({ path: '/api/v1/audit?limit=5' }) },
  'GET /api/v1/audit/verify': { roles: ['admin'], ok: 200, request: async () => ({ path: '/api/v1/audit/verify' }) },
  'POST /api/v1/admin/cameras/discover': { roles: ['admin'], ok: 200, request: async () => ({ path: '/api/v1/admin/cameras/discover', init: { method: 'POST', json: { timeoutMs: 500 } } }) },
  'POST /api/v1/admin/cameras/test': { roles: ['admin'], ok: 200, request: async () => ({ path: '/api/v1/admin/cameras/test', init: { method: 'POST', json: simCamera() } }) },
  'POST /api/v1/admin/cameras': {
    roles: ['admin'],
    ok: 201,
    out: 403, // a district-2 admin may not add a camera to ward-a
    request: async () => ({ path: '/api/v1/admin/cameras', init: { method: 'POST', json: { id: `ward-a-new-${++seq}`, site: 'ward-a', ...simCamera() } } }),
  },
  'GET /api/v1/admin/retention': { roles: ['admin'], ok: 200, request: async () => ({ path: '/api/v1/admin/retention' }) },
  'PUT /api/v1/admin/retention': {
    roles: ['admin'],
    ok: 200,
    out: 403, // a district-2 admin may not change ward-a's retention
    request: async () => ({ path: '/api/v1/admin/retention', init: { method: 'PUT', json: { sites: [{ id: 'ward-a', days: 30 + (++seq % 50) }] } } }),
  },
};

function expected(e: Entry, role: UserRole | null, scope: 'in' | 'out', via: Via | null): number {
  if (e.roles === 'public') return e.ok;
  if (role === null || via === null) return 401;
  if (!e.roles.includes(role)) return 403;
  if (e.sessionOnly && via === 'token') return 403;
  return scope === 'out' ? (e.out ?? e.ok) : e.ok;
}

describe('authorisation matrix', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 1, discoveryPort: null, media: { loopSeconds: 4 } });
    h = await startApiHarness({
      cameraAdmin: (config, _clock, dir) => {
        // The file the camera add writes: the harness's sites, no cameras yet.
        const file = path.join(dir, 'vigil.json');
        writeFileSync(file, JSON.stringify({ sites: config.sites }));
        return createCameraAdminService({ config, env: { VIGIL_CONFIG: file }, cwd: dir, clock: systemClock, log: createLogger({ level: 'silent' }), recorder: null });
      },
    });
    await seedSegments(h, CAMERA, T0, 3);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await sim?.stop();
  });

  it('has an entry for every route of the table, and none for a route that does not exist', () => {
    const table = h.api.routes.map((r) => routeKey(r.route)).sort();
    expect(Object.keys(ENTRIES).sort()).toEqual(table);
  });

  it('every entry agrees with the access the route declares', () => {
    for (const r of h.api.routes) {
      const e = ENTRIES[routeKey(r.route)]!;
      expect(e.roles === 'public', routeKey(r.route)).toBe(r.access.public === true);
      if (!r.access.public) expect(Boolean(e.sessionOnly), routeKey(r.route)).toBe(Boolean(r.access.sessionOnly));
    }
  });

  it('answers every route × role × scope × credential as the policy says', async () => {
    const callers = new Map<string, UserRecord>();
    for (const role of USER_ROLES) {
      callers.set(`${role}/in`, await h.createUser({ username: `${role}-in`, role, sites: ['district-1'] }));
      callers.set(`${role}/out`, await h.createUser({ username: `${role}-out`, role, sites: ['district-2'] }));
    }
    const mismatches: string[] = [];
    const counts: Record<number, number> = {};
    const check = async (key: string, e: Entry, label: string, want: number, caller: Caller | null) => {
      const { path, init = {} } = await e.request(h, caller);
      const headers = { ...(caller?.cred.headers() ?? {}), ...(init.headers as Record<string, string> | undefined) };
      const res = await h.fetch(path, { ...init, headers });
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      const body = await res.text();
      if (res.status !== want) mismatches.push(`${key} as ${label}: got ${res.status}, expected ${want}: ${body.slice(0, 200)}`);
      else if (res.status >= 400 && !(res.headers.get('content-type') ?? '').startsWith('application/problem+json')) mismatches.push(`${key} as ${label}: ${res.status} is not problem+json`);
    };
    for (const r of h.api.routes) {
      const key = routeKey(r.route);
      const e = ENTRIES[key]!;
      await check(key, e, 'anonymous', expected(e, null, 'in', null), null);
      for (const role of USER_ROLES) {
        for (const scope of ['in', 'out'] as const) {
          for (const via of ['session', 'token'] as const) {
            const user = (await h.ctx.users.byId(callers.get(`${role}/${scope}`)!.id))!;
            const cred = via === 'session' ? await h.session(user) : await h.token(user);
            await check(key, e, `${role}/${scope}/${via}`, expected(e, role, scope, via), { user, cred });
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The matrix exercised every kind of answer, not only one.
    for (const status of [200, 201, 202, 204, 401, 403, 404]) expect(counts[status], `answers with status ${status}`).toBeGreaterThan(0);
  });

  it('a changed role takes effect on the next request of an existing session', async () => {
    const u = await h.createUser({ username: 'promoted', role: 'viewer' });
    const cred = await h.session(u);
    expect((await h.fetch(`/api/v1/cameras/${CAMERA}/events${DAY}`, { headers: cred.headers() })).status).toBe(403);
    await h.ctx.users.update(u.id, { role: 'ops' });
    expect((await h.fetch(`/api/v1/cameras/${CAMERA}/events${DAY}`, { headers: cred.headers() })).status).toBe(200);
  });

  it('an unknown camera and a camera of another site get the same answer', async () => {
    const u = await h.createUser({ username: 'ward-c-viewer', role: 'viewer', sites: ['ward-c'] });
    const cred = await h.token(u);
    const other = await h.fetch(`/api/v1/cameras/${CAMERA}`, { headers: cred.headers() });
    const missing = await h.fetch('/api/v1/cameras/no-such-camera', { headers: cred.headers() });
    expect([other.status, missing.status]).toEqual([404, 404]);
    const [a, b] = [(await other.json()) as Record<string, unknown>, (await missing.json()) as Record<string, unknown>];
    const strip = (p: Record<string, unknown>) => ({ ...p, requestId: undefined, instance: undefined, detail: String(p.detail).replace(/"[^"]+"/, '"X"') });
    expect(strip(a)).toEqual(strip(b));
  });
});
