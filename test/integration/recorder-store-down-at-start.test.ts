import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { waitFor } from '../helpers/wait.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// A power cut brings the recorder back before the object store: it must record anyway, into
// its spool, say what is wrong, and upload everything once the store answers. No gap.
describe('object store down when the recorder starts', () => {
  let minio: MinioServer;
  let sim: CameraSimulator;
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-storedown-'));
  beforeAll(async () => {
    minio = await startMinio();
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { id: 'door', video: 'h264', audio: 'none' })], discoveryPort: null, media: { loopSeconds: 4 } });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await sim?.stop();
    await minio?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records into the spool, says the store does not answer, and uploads all once it is back', async () => {
    await minio.stop();
    const cam = sim.camera('door');
    const configFile = path.join(dir, 'vigil.json');
    writeFileSync(configFile, JSON.stringify({
      dataDir: dir,
      metrics: { enabled: false },
      storage: { driver: 'minio', minio: { endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: 'late' } },
      recorder: { segmentMs: 2_000 },
      cameras: [{ id: 'door', onvif: { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password } }],
    }));
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'recorder', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    const ready = path.join(dir, 'spool/door/ready');
    await waitFor('three segments waiting in the spool', () => existsSync(ready) && readdirSync(ready).length >= 3, { timeoutMs: 60_000, intervalMs: 250 });
    expect(output).toContain('the object store does not answer; recording into the spool');
    expect(output).not.toContain(minio.secretKey);
    await minio.restart();
    const rows = () => {
      if (!existsSync(path.join(dir, 'vigil.db'))) return { segments: 0, gaps: 0 };
      const db = new Database(path.join(dir, 'vigil.db'), { readonly: true });
      try {
        return {
          segments: (db.prepare("select count(*) as n from segments where camera_id = 'door'").get() as { n: number }).n,
          gaps: (db.prepare("select count(*) as n from gaps where camera_id = 'door'").get() as { n: number }).n,
        };
      } finally {
        db.close();
      }
    };
    await waitFor('the spool drained into the store and the index', () => readdirSync(ready).length === 0 && rows().segments >= 3, { timeoutMs: 60_000, intervalMs: 250 });
    expect(rows().gaps).toBe(0);
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }, 150_000);
});
