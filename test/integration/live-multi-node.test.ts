import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { connectDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { LiveViewerClient } from './live-viewer-client.ts';

// Live view follows the camera lease: two `vigil recorder` nodes and one `vigil api` (another
// process, no live.recorderUrl) on one real PostgreSQL, one simulated camera. The camera is
// recorded by node B; the API serves its live view and snapshot through B's published live
// endpoint. B is paused (SIGSTOP, its ffmpeg too) past its lease: A takes the camera, the API
// ends the old viewer with 4503 and its reason, and a new view and snapshot come from A.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'live-secret-for-the-multi-node-test-0123456789';
const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

interface Proc { name: string; config: string; child: ChildProcess | null; out: string }

let pg: PostgresServer;
let sim: CameraSimulator;
let db: Kysely<Database>;
let dir: string;
let apiUrl: string;
const procs: Record<'a' | 'b' | 'api', Proc> = {} as never;

function start(p: Proc, role: 'recorder' | 'api'): void {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', role, '--config', p.config], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  p.out = '';
  child.stdout!.on('data', (d) => (p.out = (p.out + String(d)).slice(-200_000)));
  child.stderr!.on('data', (d) => (p.out = (p.out + String(d)).slice(-200_000)));
  p.child = child;
}

async function stop(p: Proc | undefined): Promise<void> {
  const c = p?.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  try { process.kill(-c.pid!, 'SIGCONT'); } catch { /* gone */ }
  c.kill('SIGINT');
  const t = setTimeout(() => { try { process.kill(-c.pid!, 'SIGKILL'); } catch { /* gone */ } }, 20_000);
  await exited;
  clearTimeout(t);
}

function logs(): string {
  return Object.values(procs).map((p) => `--- ${p.name}\n${p.out.slice(-3000)}`).join('\n');
}

async function holder(cameraId: string): Promise<string | null> {
  const l = await db.selectFrom('camera_leases').selectAll().where('camera_id', '=', cameraId).executeTakeFirst();
  return l && Number(l.expires_ms) > Date.now() ? l.node_id : null;
}

async function login(): Promise<string> {
  const res = await fetch(`${apiUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** A viewer through the API that got `stream`, an init segment and a fragment; else null (closed first). */
async function watch(cookie: string): Promise<LiveViewerClient | null> {
  const v = new LiveViewerClient(`${apiUrl.replace(/^http/, 'ws')}/api/v1/cameras/cam-1/live`, { headers: { cookie } });
  await waitFor('the live view to play or end', () => v.closed !== null || (v.controls.some((c) => c.type === 'stream') && v.inits.length > 0 && v.fragments.length > 0), { timeoutMs: 20_000, intervalMs: 100 });
  if (v.closed) return null;
  return v;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-live-multi-'));
  [pg, sim] = await Promise.all([
    startPostgres(),
    CameraSimulator.start({ cameras: [defaultSpec(0, { video: 'h264', audio: 'none' })], discoveryPort: null, media: { loopSeconds: 4 } }),
  ]);
  const url = await pg.createDatabase();
  const cameras = sim.cameras.map((c) => ({ id: 'cam-1', rtspUrl: c.rtspUrl('main'), username: c.spec.username, password: c.spec.password }));
  const common = {
    log: { level: 'info' },
    database: { driver: 'postgres', postgresUrl: url },
    storage: { driver: 'fs', fsRoot: path.join(dir, 'objects') },
    metrics: { enabled: false },
    cameras,
  };
  for (const name of ['a', 'b'] as const) {
    const port = await freePort();
    const config = path.join(dir, `rec-${name}.json`);
    writeFileSync(config, JSON.stringify({
      ...common,
      dataDir: path.join(dir, `rec-${name}`),
      recorder: { nodeId: `rec-${name}`, segmentMs: 2_000, leaseTtlMs: 4_000, leaseRenewMs: 1_000 },
      live: { endpointHost: '127.0.0.1', endpointPort: port, advertiseUrl: `http://127.0.0.1:${port}`, secret: SECRET },
    }));
    procs[name] = { name: `rec-${name}`, config, child: null, out: '' };
  }
  const httpPort = await freePort();
  const apiConfig = path.join(dir, 'api.json');
  writeFileSync(apiConfig, JSON.stringify({ ...common, dataDir: path.join(dir, 'api'), http: { port: httpPort }, live: { secret: SECRET } }));
  procs.api = { name: 'api', config: apiConfig, child: null, out: '' };
  apiUrl = `http://127.0.0.1:${httpPort}`;
  execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'migrate', '--config', apiConfig], { cwd: repoRoot, stdio: 'pipe' });
  execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'user', 'add', '--username', ADMIN.username, '--role', 'admin', '--name', 'Admin', '--password', '-', '--config', apiConfig], { cwd: repoRoot, input: `${ADMIN.password}\n`, stdio: 'pipe' });
  db = (await connectDatabase({ driver: 'postgres', postgresUrl: url })).db;
  // B first, alone: it takes the camera; A joins after and (one camera) leaves it there.
  start(procs.b, 'recorder');
  await waitFor('node B to hold the camera', async () => (await holder('cam-1')) === 'rec-b', { timeoutMs: 60_000, intervalMs: 250 }).catch((e: Error) => { throw new Error(`${e.message}\n${logs()}`); });
  start(procs.a, 'recorder');
  start(procs.api, 'api');
  await waitFor('node A to heartbeat and the API to answer', async () => {
    const a = await db.selectFrom('recorder_nodes').selectAll().where('node_id', '=', 'rec-a').executeTakeFirst();
    return a !== undefined && Number(a.expires_ms) > Date.now() && (await fetch(`${apiUrl}/api/openapi.json`).then((r) => r.ok, () => false));
  }, { timeoutMs: 60_000, intervalMs: 250 }).catch((e: Error) => { throw new Error(`${e.message}\n${logs()}`); });
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(procs).map((p) => stop(p)));
  await db?.destroy();
  await Promise.allSettled([sim?.stop(), pg?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('live view across recorder nodes (PostgreSQL leases)', () => {
  it('serves the camera from the node that records it, ends the view when the lease moves, and serves it from the new node', async () => {
    const nodes = await db.selectFrom('recorder_nodes').select(['node_id', 'live_url']).orderBy('node_id').execute();
    expect(nodes.map((n) => [n.node_id, n.live_url?.startsWith('http://127.0.0.1:')])).toEqual([['rec-a', true], ['rec-b', true]]);
    expect(await holder('cam-1')).toBe('rec-b');
    const cookie = await login();

    // Through the API, from B.
    const first = await waitFor('a live view of cam-1 through the API (from node B)', () => watch(cookie), { timeoutMs: 60_000 }).catch((e: Error) => { throw new Error(`${e.message}\n${logs()}`); });
    const snap = await fetch(`${apiUrl}/api/v1/cameras/cam-1/live/snapshot.jpg`, { headers: { cookie } });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await snap.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');

    // B paused past its lease (node and ffmpeg): A takes the camera; the old view ends with its reason.
    process.kill(-procs.b.child!.pid!, 'SIGSTOP');
    await waitFor('node A to take the camera', async () => (await holder('cam-1')) === 'rec-a', { timeoutMs: 30_000, intervalMs: 250 });
    await waitFor('the old live view to end', () => first!.closed, { timeoutMs: 15_000 });
    expect(first!.closed!.code).toBe(4503);
    expect(first!.closed!.reason).toMatch(/camera cam-1 moved to recorder node rec-a|no recorder holds camera cam-1 now/);
    expect(procs.api.out).toContain('the camera changed recorder');

    // A new view goes to A (B is paused: it cannot be B answering).
    const second = await waitFor('a new live view of cam-1 through the API (from node A)', () => watch(cookie), { timeoutMs: 60_000 }).catch((e: Error) => { throw new Error(`${e.message}\n${logs()}`); });
    expect(second!.closed).toBeNull();
    const snap2 = await waitFor('a snapshot from node A', async () => {
      const r = await fetch(`${apiUrl}/api/v1/cameras/cam-1/live/snapshot.jpg`, { headers: { cookie } });
      return r.status === 200 ? Buffer.from(await r.arrayBuffer()) : (await r.body?.cancel(), null);
    }, { timeoutMs: 30_000, intervalMs: 250 });
    expect(snap2.subarray(0, 2).toString('hex')).toBe('ffd8');
    second!.ws.close();
    // The live secret never reaches the API's logs.
    expect(procs.api.out).not.toContain(SECRET);
  });
});
