import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import { chaosRandom } from './chaos-random.ts';
import { apiToken, bearer, iso } from '../helpers/api-token.ts';
import { checkSystem } from './system-check.ts';
import { addAdmin, processesMentioning, startRole, waitForApi, type RoleProcess } from '../helpers/vigil-roles.ts';

// The recorder and the API run as their own processes over one SQLite index and one MinIO
// bucket, as on a small office server. Each is killed with SIGKILL twice, in a seeded order at
// seeded moments (while clips, thumbnails and timelines are being fetched and an evidence
// export runs), and started again. Afterwards: every second accounted for (the outages are
// recorder_down gaps), index and bucket identical, no ffmpeg left over, the audit chain
// intact, no export stuck "running", and no 5xx answer from the API while it was up.
const CAMERAS = ['door', 'desk'] as const;

describe('chaos: kill -9 of the recorder and of the API', () => {
  let minio: MinioServer;
  let sim: CameraSimulator;
  let dir: string;
  let configFile: string;
  let url: string;
  let db: Kysely<Database>;
  const roles: RoleProcess[] = [];
  const bucket = 'chaos-kill';

  beforeAll(async () => {
    minio = await startMinio();
    sim = await CameraSimulator.start({
      cameras: [defaultSpec(0, { id: 'door', video: 'h264', audio: 'pcma' }), defaultSpec(1, { id: 'desk', video: 'h264-bframes', audio: 'aac' })],
      discoveryPort: null,
      media: { loopSeconds: 4 },
    });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-chaos-kill-'));
    configFile = path.join(dir, 'vigil.json');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(configFile, JSON.stringify({
      dataDir: dir,
      http: { port },
      log: { level: 'info' },
      metrics: { enabled: false },
      storage: { driver: 'minio', minio: { endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket } },
      recorder: { segmentMs: 2_000 },
      sites: [{ id: 'ward-1', name: 'Phường 1' }],
      cameras: sim.cameras.map((c) => ({ id: c.spec.id, site: 'ward-1', onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password } })),
    }));
    addAdmin(configFile, { username: 'chief', name: 'Chánh văn phòng', password: 'correct horse battery' });
  }, 90_000);
  afterAll(async () => {
    for (const r of roles) await r.kill9();
    await db?.destroy();
    await sim?.stop();
    await minio?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (role: 'recorder' | 'api') => {
    const r = startRole(role, configFile);
    roles.push(r);
    return r;
  };
  const apiUp = (api: RoleProcess) => waitForApi(api, url);
  const footageAfter = (atMs: number) =>
    waitFor(`new footage of ${CAMERAS.join(' and ')} indexed`, async () => {
      const rows = await db.selectFrom('segments').select(['camera_id']).where('start_ms', '>=', atMs).execute();
      return CAMERAS.every((id) => rows.some((r) => r.camera_id === id));
    }, { timeoutMs: 60_000, intervalMs: 200 });

  it('loses nothing, corrupts nothing and answers no 5xx', async () => {
    const rng = chaosRandom('kill -9 of recorder and API');
    let api = start('api');
    await apiUp(api);
    db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
    let recorder = start('recorder');
    await waitFor('a few segments of each camera', async () => {
      const rows = await db.selectFrom('segments').select(['camera_id']).execute();
      return CAMERAS.every((id) => rows.filter((r) => r.camera_id === id).length >= 3);
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const token = await apiToken(url, 'chief', 'correct horse battery');
    const auth = bearer(token);

    // Someone works with footage the whole time; answers while the API is down do not count.
    const serverErrors: string[] = [];
    let answered = 0;
    let working = true;
    const work = (async () => {
      for (let i = 0; working; i++) {
        const now = Date.now();
        const cam = CAMERAS[i % 2];
        const paths = [
          `/api/v1/cameras/${cam}/timeline?start=${iso(now - 120_000)}&end=${iso(now)}`,
          `/api/v1/cameras/${cam}/clip?start=${iso(now - 14_000)}&end=${iso(now - 6_000)}`,
          `/api/v1/cameras/${cam}/thumbnail?at=${iso(now - 8_000)}`,
        ];
        for (const p of paths) {
          try {
            const res = await fetch(`${url}${p}`, { headers: auth });
            await res.arrayBuffer();
            answered++;
            if (res.status >= 500) serverErrors.push(`${res.status} ${p}`);
          } catch {
            // connection refused or cut: the API is down (killed) at this moment
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const kase = await (await fetch(`${url}/api/v1/cases`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ reference: 'KN-CHAOS-1', title: 'Chaos', site: 'ward-1' }) })).json() as { id: string };
    const kills = ['recorder', 'recorder', 'api', 'api'].map((x) => ({ x, k: rng.next() })).sort((a, b) => a.k - b.k).map((a) => a.x as 'recorder' | 'api');
    const downs: Array<{ role: string; killedAt: number; restartedAt: number }> = [];
    for (const role of kills) {
      if (role === 'api') {
        // An evidence export is queued just before; the kill may land while it runs.
        const last = await db.selectFrom('segments').select(['start_ms', 'duration_ms']).where('camera_id', '=', 'door').orderBy('start_ms', 'desc').limit(1).executeTakeFirstOrThrow();
        const body = { cameraId: 'door', start: iso(last.start_ms - 6_000), end: iso(last.start_ms + last.duration_ms), reason: 'chaos' };
        const ex = await fetch(`${url}/api/v1/cases/${kase.id}/exports`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(ex.status, await ex.clone().text()).toBe(202);
      }
      // The API goes down soon after the export is queued (often while it runs).
      const waitMs = role === 'recorder' ? rng.int(300, 4_000) : rng.int(20, 1_500);
      const downMs = role === 'recorder' ? rng.int(3_000, 5_000) : rng.int(200, 2_000);
      console.log(`kill -9 ${role} after ${waitMs} ms, down ${downMs} ms`);
      await new Promise((r) => setTimeout(r, waitMs));
      const target = role === 'api' ? api : recorder;
      await target.kill9();
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, downMs));
      if (role === 'api') {
        api = start('api');
        await apiUp(api);
      } else {
        recorder = start('recorder');
      }
      downs.push({ role, killedAt, restartedAt: Date.now() });
      if (role === 'recorder') await footageAfter(Date.now());
    }
    await footageAfter(Date.now());
    working = false;
    await work;

    // No export is left running or queued: the restarted API's runner failed or finished them.
    const exports = await waitFor('every export to end', async () => {
      const { exports: list } = (await (await fetch(`${url}/api/v1/cases/${kase.id}/exports`, { headers: auth })).json()) as { exports: Array<{ id: string; status: string; error: string | null }> };
      return list.every((e) => e.status === 'done' || e.status === 'failed') ? list : false;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    console.log(`exports: ${exports.map((e) => `${e.status}${e.error ? ` (${e.error})` : ''}`).join('; ')}`);
    expect(exports).toHaveLength(2);
    const audit = (await (await fetch(`${url}/api/v1/audit/verify`, { headers: auth })).json()) as { ok: boolean; message: string };
    expect(audit.ok, audit.message).toBe(true);

    expect(await recorder.stop()).toBe(0);
    const stoppedAt = Date.now();
    expect(await api.stop()).toBe(0);
    expect(processesMentioning(path.join(dir, 'spool'))).toEqual([]);
    expect(serverErrors).toEqual([]);
    expect(answered).toBeGreaterThan(20);

    const store = new MinioObjectStore({ endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket });
    const check = await checkSystem(db, store, { cameraIds: CAMERAS, stoppedAtMs: stoppedAt });
    console.log(`kill -9: ${check.segments} segments, ${check.objects} objects, gaps by reason (ms) ${JSON.stringify(check.gapMsByReason)}`);
    expect(check.problems).toEqual([]);
    // Each recorder outage is recorder_down footage on every camera, less at most a GOP (2 s)
    // that a new session gets at once.
    const recorderDownMs = downs.filter((d) => d.role === 'recorder').reduce((s, d) => s + d.restartedAt - d.killedAt - 2_500, 0);
    for (const id of CAMERAS) expect(check.accounting.get(id)!.gapMsByReason.recorder_down ?? 0, id).toBeGreaterThanOrEqual(recorderDownMs);
    // Evidence packages are the only objects without an index row: one per finished export
    // (plus, at most, the package of an export killed between its upload and its "done").
    const done = exports.filter((e) => e.status === 'done').length;
    expect(check.objects - check.segments).toBeGreaterThanOrEqual(done);
    expect(check.objects - check.segments).toBeLessThanOrEqual(exports.length);
  }, 280_000);
});
