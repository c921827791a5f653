import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { chaosRandom } from './chaos-random.ts';
import { apiToken, bearer } from '../helpers/api-token.ts';
import { hostileHttp } from './hostile-http.ts';
import { hostileRequests, type HostileRequest } from './hostile-requests.ts';
import { checkSystem } from './system-check.ts';
import { addAdmin, startRole, waitForApi, type RoleProcess } from '../helpers/vigil-roles.ts';

// A whole Vigil (every role in one process) with two wards, one camera each, and a complaint
// handler limited to ward A. Seeded hostile requests — fuzzed query values, path tricks in
// ids, huge and reversed ranges, odd Range headers, bodies too big, too deep or malformed —
// from her, from an unscoped admin and from nobody. Every answer is below 500, every refusal
// is problem+json, she never gets a byte of ward B's camera, and Vigil keeps running: it
// stops cleanly after, with its footage accounted for and its store intact.
const REQUESTS = 600;
const PASSWORD = 'correct horse battery staple';

describe('chaos: malformed and hostile API input', () => {
  let sim: CameraSimulator;
  let dir: string;
  let configFile: string;
  let url: string;
  let vigil: RoleProcess | undefined;
  let db: Kysely<Database>;

  beforeAll(async () => {
    sim = await CameraSimulator.start({
      cameras: [defaultSpec(0, { id: 'cam-a', video: 'h264', audio: 'pcma' }), defaultSpec(1, { id: 'cam-b', video: 'h264', audio: 'none' })],
      discoveryPort: null,
      media: { loopSeconds: 4 },
    });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-chaos-api-'));
    configFile = path.join(dir, 'vigil.json');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(configFile, JSON.stringify({
      dataDir: dir,
      http: { port },
      metrics: { enabled: false },
      recorder: { segmentMs: 2_000 },
      sites: [{ id: 'quan-1', name: 'Quận 1' }, { id: 'ward-a', name: 'Phường A', parent: 'quan-1' }, { id: 'ward-b', name: 'Phường B', parent: 'quan-1' }],
      cameras: sim.cameras.map((c) => ({ id: c.spec.id, site: c.spec.id === 'cam-a' ? 'ward-a' : 'ward-b', onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password } })),
    }));
    addAdmin(configFile, { username: 'root', name: 'Quản trị', password: PASSWORD });
    vigil = startRole('run', configFile);
    await waitForApi(vigil, url);
    db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
  }, 90_000);
  afterAll(async () => {
    await vigil?.kill9();
    await db?.destroy();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every hostile request with a 4xx problem, never another ward’s footage, and keeps running', async () => {
    const rng = chaosRandom('hostile API input');
    const admin = await apiToken(url, 'root', PASSWORD);
    const made = await fetch(`${url}/api/v1/users`, {
      method: 'POST', headers: bearer(admin, { 'content-type': 'application/json' }),
      body: JSON.stringify({ username: 'clerk-a', displayName: 'Cán bộ phường A', role: 'investigator', sites: ['ward-a'], password: PASSWORD }),
    });
    expect(made.status, await made.clone().text()).toBe(201);
    const clerk = await apiToken(url, 'clerk-a', PASSWORD);
    const kase = await (await fetch(`${url}/api/v1/cases`, { method: 'POST', headers: bearer(clerk, { 'content-type': 'application/json' }), body: JSON.stringify({ reference: 'KN-A-1', title: 'Phản ánh quầy A', site: 'ward-a' }) })).json() as { id: string };
    const rows = await waitFor('footage of both cameras', async () => {
      const r = await db.selectFrom('segments').select(['camera_id', 'start_ms', 'duration_ms']).orderBy('start_ms').execute();
      return ['cam-a', 'cam-b'].every((id) => r.filter((x) => x.camera_id === id).length >= 4) ? r : false;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    const of = (id: string) => rows.filter((r) => r.camera_id === id);
    const seg = (id: string) => ({ name: `${of(id)[2]!.start_ms}-${of(id)[2]!.duration_ms}.mp4`, runStartMs: of(id)[0]!.start_ms });
    const lastEnd = (id: string) => of(id).at(-1)!.start_ms + of(id).at(-1)!.duration_ms;
    const ctx = { ownCamera: 'cam-a', otherCamera: 'cam-b', ownSegment: seg('cam-a'), otherSegment: seg('cam-b'), recordedMs: Math.min(lastEnd('cam-a'), lastEnd('cam-b')) - 1_000, caseId: kase.id };

    // The scoped user is refused the other ward's camera by its plain id (the fuzz then tries disguises).
    expect((await fetch(`${url}/api/v1/cameras/cam-b`, { headers: bearer(clerk) })).status).toBe(404);
    expect((await fetch(`${url}/api/v1/cameras/cam-a`, { headers: bearer(clerk) })).status).toBe(200);

    const requests = hostileRequests(rng, ctx, REQUESTS);
    const actors = requests.map(() => rng.pick(['clerk', 'clerk', 'clerk', 'clerk', 'clerk', 'clerk', 'clerk', 'admin', 'admin', 'nobody'] as const));
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const i = next++;
        const req = requests[i]!;
        const actor = actors[i]!;
        const headers = { ...(req.headers ?? {}), ...(actor === 'nobody' ? {} : bearer(actor === 'clerk' ? clerk : admin)) };
        const res = await hostileHttp(url, { ...req, headers });
        const what = `${actor} ${req.method} ${req.path.slice(0, 160)}`;
        if ('error' in res) {
          // An oversized body may be cut off by the server's 413 + close before it is all sent.
          if (!(typeof req.body !== 'undefined' && req.body.length > 256 * 1024)) problems.push(`${what}: ${res.error}`);
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        problems.push(...judge(req, actor, res).map((p) => `${what}: ${p}`));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    console.log(`hostile input: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(problems.slice(0, 30)).toEqual([]);
    expect(vigil!.proc.exitCode).toBeNull();
    // Both kinds of answer happened: the fuzz reached the routes' logic, not only their validators.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);

    // What the clerk may see lists her ward's camera only; the audit log names no view of
    // the other ward's camera by her; the chain is intact.
    const cams = (await (await fetch(`${url}/api/v1/cameras`, { headers: bearer(clerk) })).json()) as { cameras: Array<{ id: string }> };
    expect(cams.cameras.map((c) => c.id)).toEqual(['cam-a']);
    const leaked = await db.selectFrom('audit_log').select(['seq', 'action']).where('actor_name', '=', 'clerk-a').where('camera_id', '=', 'cam-b').execute();
    expect(leaked).toEqual([]);
    const audit = (await (await fetch(`${url}/api/v1/audit/verify`, { headers: bearer(admin) })).json()) as { ok: boolean; message: string };
    expect(audit.ok, audit.message).toBe(true);

    expect(await vigil!.stop()).toBe(0);
    const stoppedAt = Date.now();
    expect(vigil!.output()).not.toContain('unexpected error');
    const check = await checkSystem(db, new FsObjectStore(path.join(dir, 'objects')), { cameraIds: ['cam-a', 'cam-b'], stoppedAtMs: stoppedAt });
    expect(check.problems).toEqual([]);
  }, 200_000);
});

/** What must hold of one answer. */
function judge(req: HostileRequest, actor: 'clerk' | 'admin' | 'nobody', res: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }): string[] {
  const out: string[] = [];
  const type = String(res.headers['content-type'] ?? '');
  if (res.status >= 500) out.push(`answered ${res.status} ${res.body.toString('utf8', 0, 300)}`);
  if (res.status >= 400 && req.method !== 'HEAD') {
    if (!type.startsWith('application/problem+json')) out.push(`refusal ${res.status} as ${type || 'no content type'}`);
    else {
      try {
        const p = JSON.parse(res.body.toString('utf8')) as { status?: number };
        if (p.status !== res.status) out.push(`problem says status ${p.status}, HTTP says ${res.status}`);
      } catch {
        out.push(`problem+json that is not JSON: ${res.body.toString('utf8', 0, 100)}`);
      }
    }
  }
  if (actor === 'nobody' && res.status < 400) out.push(`answered ${res.status} without credentials`);
  if (actor === 'clerk' && res.status >= 200 && res.status < 300) {
    if (req.cameraId !== undefined && decodedId(req.cameraId) !== 'cam-a') out.push(`ward A's clerk got ${res.status} for camera id ${req.cameraId.slice(0, 60)}`);
    if (!type.startsWith('video/') && !type.startsWith('image/') && res.body.toString('utf8').includes('cam-b')) out.push('ward A\'s clerk was shown ward B\'s camera');
  }
  return out;
}

function decodedId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
