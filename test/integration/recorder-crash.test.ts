import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { waitFor } from '../helpers/wait.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { checkAccounting, describeAccounting } from '../../src/accounting.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// kill -9 of the recorder process while it uploads a backlog, then a restart: nothing lost
// (every spooled segment reaches the store and the index), nothing duplicated, one
// recorder_down gap, no ffmpeg left behind from the killed process.
describe('recorder killed with SIGKILL mid-upload', () => {
  let minio: MinioServer;
  let sim: CameraSimulator;
  let dir: string;
  let configFile: string;
  const bucket = 'crash-test';
  const procs: ChildProcess[] = [];

  const startRecorder = () => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'recorder', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d) => (out += String(d)));
    p.stderr!.on('data', (d) => (out += String(d)));
    procs.push(p);
    return { p, output: () => out };
  };
  const rows = () => {
    const db = new Database(path.join(dir, 'vigil.db'), { readonly: true, fileMustExist: true });
    try {
      return {
        segments: db.prepare('select object_key as key, sha256, start_ms as startMs, duration_ms as durationMs from segments where camera_id = ?').all('door') as Array<{ key: string; sha256: string; startMs: number; durationMs: number }>,
        gaps: db.prepare('select start_ms as startMs, end_ms as endMs, reason from gaps where camera_id = ?').all('door') as Array<{ startMs: number; endMs: number; reason: string }>,
      };
    } finally {
      db.close();
    }
  };
  const segmentCount = () => (existsSync(path.join(dir, 'vigil.db')) ? rows().segments.length : 0);
  const readyFiles = () => (existsSync(path.join(dir, 'spool/door/ready')) ? readdirSync(path.join(dir, 'spool/door/ready')).length : 0);

  beforeAll(async () => {
    minio = await startMinio();
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { id: 'door', video: 'h264', audio: 'pcma' })], discoveryPort: null, media: { loopSeconds: 4 } });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
    configFile = path.join(dir, 'vigil.json');
    const cam = sim.camera('door');
    writeFileSync(configFile, JSON.stringify({
      dataDir: dir,
      log: { level: 'debug' },
      storage: { driver: 'minio', minio: { endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket } },
      recorder: { segmentMs: 4000 },
      cameras: [{ id: 'door', name: 'Cửa chính', onvif: { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password } }],
    }));
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await sim?.stop();
    await minio?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing, duplicates nothing and records one recorder_down gap', async () => {
    const a = startRecorder();
    await waitFor('two indexed segments', () => segmentCount() >= 2, { timeoutMs: 40_000, intervalMs: 250 });
    await minio.stop({ hard: true });
    await waitFor('a backlog of three segments in the spool', () => readyFiles() >= 3, { timeoutMs: 40_000, intervalMs: 250 });
    // Killed while its uploader holds a backlog and retries against the dead store.
    const backlogAtKill = readyFiles();
    const orphanPid = Number(readFileSync(path.join(dir, 'spool/door/incoming/ffmpeg.pid'), 'utf8'));
    expect(orphanPid).toBeGreaterThan(1);
    a.p.kill('SIGKILL');
    await new Promise((r) => a.p.once('exit', r));
    expect(backlogAtKill).toBeGreaterThanOrEqual(3);
    const killedAt = Date.now();
    await minio.restart();
    // The scenario: the recorder stays down for 6 s (longer than a GOP, which a new RTSP
    // session receives at once and so could cover a very short outage with real footage).
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 6_000 - Date.now())));

    const b = startRecorder();
    const restartedAt = Date.now();
    await waitFor('the backlog uploaded and new footage indexed', () => readyFiles() === 0 && rows().segments.some((s) => s.startMs > restartedAt), { timeoutMs: 60_000, intervalMs: 250 });
    b.p.kill('SIGTERM');
    await new Promise((r) => b.p.once('exit', r));
    // The killed recorder's ffmpeg (its pid file names it) is gone: it died of its broken
    // pipes, or the new recorder killed it before recording the camera again.
    expect(existsSync(`/proc/${orphanPid}/cmdline`) && readFileSync(`/proc/${orphanPid}/cmdline`, 'utf8').includes(dir)).toBe(false);

    const { segments, gaps } = rows();
    // Index and bucket agree, object by object, byte for byte.
    const objects = new Map<string, Buffer>();
    for await (const o of minio.client.listObjectsV2(bucket, '', true) as AsyncIterable<{ name: string }>) {
      const chunks: Buffer[] = [];
      for await (const c of await minio.client.getObject(bucket, o.name)) chunks.push(c as Buffer);
      objects.set(o.name, Buffer.concat(chunks));
    }
    expect([...objects.keys()].sort()).toEqual(segments.map((s) => s.key).sort());
    for (const s of segments) expect(createHash('sha256').update(objects.get(s.key)!).digest('hex')).toBe(s.sha256);
    expect(new Set(segments.map((s) => s.key)).size).toBe(segments.length);
    const down = gaps.filter((g) => g.reason === 'recorder_down');
    expect(down, JSON.stringify({ gaps, segments: segments.map((s) => [s.startMs, s.durationMs]) })).toHaveLength(1);
    // It covers the outage: from before the kill (the killed run's unfinished segment) to
    // after the restart, less at most a GOP (2 s) that the new session got at once.
    expect(down[0]!.startMs).toBeLessThanOrEqual(killedAt);
    expect(down[0]!.endMs).toBeGreaterThanOrEqual(killedAt + 6_000 - 2_500);
    const pieces = [
      ...segments.map((s) => ({ kind: 'segment' as const, startMs: s.startMs, endMs: s.startMs + s.durationMs, label: s.key })),
      ...gaps.map((g) => ({ kind: 'gap' as const, startMs: g.startMs, endMs: g.endMs, label: g.reason })),
    ];
    const report = checkAccounting({ startMs: Math.min(...pieces.map((p) => p.startMs)), endMs: Math.max(...pieces.map((p) => p.endMs)) }, pieces);
    expect(describeAccounting(report)).toEqual([]);
    // No ffmpeg of this test's spool survives.
    const leftovers = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    });
    expect(leftovers).toEqual([]);
  }, 200_000);
});
