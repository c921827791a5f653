import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MinioServer } from '../test/helpers/minio.ts';
import { freePort } from '../test/helpers/ports.ts';
import { addAdmin, startRole, type RoleProcess } from '../test/helpers/vigil-roles.ts';
import { apiToken } from '../test/helpers/api-token.ts';
import { childPids } from './proc-stats.ts';
import type { SimCameraInfo } from './sim-process.ts';

/**
 * Vigil as the whole-system bench runs it: `vigil` with every role in one process (recorder,
 * API, retention) as an operator starts it, SQLite index, MinIO store, the simulator's
 * cameras declared as ONVIF cameras, default segment length; live view on (the default) or off.
 * Ready when the API answers; then the bench waits for every camera to record.
 */
export interface BenchVigil {
  role: RoleProcess;
  url: string;
  token: string;
  dbFile: string;
  /** Vigil's node process and its ffmpeg children. */
  pids(): number[];
  nodePid: number;
  /** Waits until `count` cameras record (or the bound passes); resolves with how many do. */
  waitRecording(count: number, timeoutMs: number): Promise<number>;
  stop(): Promise<{ code: number | null; ms: number }>;
}

const PASSWORD = 'bench horse battery staple';

export async function startBenchVigil(o: { cams: readonly SimCameraInfo[]; minio: MinioServer; bucket: string; segmentMs: number; live: boolean }): Promise<BenchVigil> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-system-'));
  const configFile = path.join(dir, 'vigil.json');
  const port = await freePort();
  writeFileSync(configFile, JSON.stringify({
    dataDir: dir,
    http: { port },
    log: { level: 'warn' },
    metrics: { enabled: false },
    storage: { driver: 'minio', minio: { endPoint: o.minio.endPoint, port: o.minio.port, useSSL: false, accessKey: o.minio.accessKey, secretKey: o.minio.secretKey, bucket: o.bucket } },
    recorder: { segmentMs: o.segmentMs },
    live: { enabled: o.live },
    cameras: o.cams.map((c) => ({ id: c.id, onvif: { host: '127.0.0.1', port: c.onvifPort, username: c.username, password: c.password } })),
  }));
  try {
    addAdmin(configFile, { username: 'bench', name: 'Bench', password: PASSWORD });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const role = startRole('run', configFile);
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    const failed = role.proc.exitCode !== null ? 'exited' : Date.now() - t0 > 120_000 ? 'did not answer within 2 minutes' : null;
    if (failed) {
      await role.kill9();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`vigil ${failed}: ${role.output().slice(-2000)}`);
    }
    if (await fetch(`${url}/api/openapi.json`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const token = await apiToken(url, 'bench', PASSWORD);
  const nodePid = role.proc.pid!;
  return {
    role, url, token, nodePid,
    dbFile: path.join(dir, 'vigil.db'),
    pids: () => [nodePid, ...childPids(nodePid)],
    async waitRecording(count, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let n = 0;
      while (Date.now() < until) {
        const res = await fetch(`${url}/api/v1/cameras`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
        if (res?.ok) n = ((await res.json()) as { cameras: Array<{ state: string }> }).cameras.filter((c) => c.state === 'recording').length;
        if (n >= count) return n;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      return n;
    },
    async stop() {
      const t = Date.now();
      const code = await role.stop(60_000);
      const took = Date.now() - t;
      rmSync(dir, { recursive: true, force: true });
      return { code, ms: took };
    },
  };
}
