import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import type { SimCameraSpec } from '../../recorder/sim/camera-spec.ts';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

/**
 * A real Vigil for end-to-end tests, started the way an operator starts it: `vigil user add`
 * for the first admin (password on standard input), then `node --import tsx bin/vigil.ts
 * --config <file>` as a child process (every role: recorder, API with the web UI, retention)
 * on a temp dataDir with 2 s segments, SQLite and the fs store.
 *
 * Its cameras are simulated cameras run by the test process itself (instead of
 * `--simulate N` inside Vigil), declared as ONVIF cameras in the configuration with their
 * sites, so a test can inject faults (`sim.cameras[i].faults.set({ refuse: true })`) and watch
 * the outage reach the UI.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface VigilSite {
  id: string;
  name: string;
  parent?: string;
}

export interface VigilUnderTest {
  url: string;
  dataDir: string;
  configFile: string;
  sim: CameraSimulator;
  /** Everything Vigil printed (JSON log lines), for failure messages. */
  output(): string;
  /** Logs in through the API; the cookie and CSRF token for further calls. */
  login(username: string, password: string): Promise<{ cookie: string; csrf: string }>;
  /** `vigil <args>` against this Vigil's configuration (e.g. verify), with its exit status. */
  cli(args: string[], input?: string): { status: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startVigil(o: {
  cameras: SimCameraSpec[];
  sites: VigilSite[];
  /** Camera id → site id. */
  cameraSites: Record<string, string>;
  admin: { username: string; password: string };
  segmentMs?: number;
  /** More top-level configuration sections (e.g. backfill), written as given. */
  config?: Record<string, unknown>;
}): Promise<VigilUnderTest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-'));
  const sim = await CameraSimulator.start({ cameras: o.cameras, discoveryPort: null, media: { loopSeconds: 4 } });
  let child: ChildProcess | undefined;
  let out = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const configFile = path.join(dir, 'vigil.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir: path.join(dir, 'data'),
        timeZone: 'Asia/Ho_Chi_Minh',
        http: { port },
        recorder: { segmentMs: o.segmentMs ?? 2_000 },
        // The metrics port of the recorder role would collide between parallel test files.
        metrics: { enabled: false },
        sites: o.sites,
        cameras: sim.cameras.map((c) => ({
          id: c.spec.id,
          name: c.spec.name,
          ...(o.cameraSites[c.spec.id] ? { site: o.cameraSites[c.spec.id] } : {}),
          onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password },
        })),
        ...o.config,
      }),
    );
    const vigil = (args: string[], input?: string) => {
      try {
        const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', ...args, '--config', configFile], { cwd: repoRoot, input: input ?? '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
        return { status: 0, stdout, stderr: '' };
      } catch (e) {
        const err = e as { status?: number; stdout?: string; stderr?: string };
        return { status: err.status ?? 1, stdout: String(err.stdout ?? ''), stderr: String(err.stderr ?? '') };
      }
    };
    const made = vigil(['user', 'add', '--username', o.admin.username, '--role', 'admin', '--name', 'Quản trị', '--password', '-'], `${o.admin.password}\n`);
    if (made.status !== 0) throw new Error(`vigil user add failed: ${made.stderr || made.stdout}`);
    child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out = (out + String(d)).slice(-200_000)));
    child.stderr!.on('data', (d) => (out = (out + String(d)).slice(-200_000)));
    const url = `http://127.0.0.1:${port}`;
    await waitFor('Vigil to answer HTTP', async () => child!.exitCode === null && (await fetch(`${url}/api/openapi.json`)).ok, { timeoutMs: 60_000, intervalMs: 200 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${out.slice(-3000)}`);
    });
    const login = async (username: string, password: string) => {
      const res = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      if (!res.ok) throw new Error(`login of ${username} failed: ${res.status} ${await res.text()}`);
      const me = (await res.json()) as { csrfToken: string };
      return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, csrf: me.csrfToken };
    };
    return { url, dataDir: path.join(dir, 'data'), configFile, sim, output: () => out, login, cli: vigil, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits until every camera has recorded for a while (the timeline shows spans). */
export async function waitForRecording(v: VigilUnderTest, auth: { cookie: string }, cameraIds: string[], minFootageMs = 6_000): Promise<void> {
  await waitFor(
    `cameras ${cameraIds.join(', ')} recording with ${minFootageMs} ms of footage`,
    async () => {
      const { cameras } = (await (await fetch(`${v.url}/api/v1/cameras`, { headers: { cookie: auth.cookie } })).json()) as { cameras: Array<{ id: string; state: string; lastFootageEndMs: number | null; stateSinceMs: number | null }> };
      return cameraIds.every((id) => {
        const c = cameras.find((x) => x.id === id);
        return c && c.state === 'recording' && c.lastFootageEndMs !== null && c.stateSinceMs !== null && c.lastFootageEndMs - c.stateSinceMs >= minFootageMs;
      });
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${v.output().slice(-3000)}`);
  });
}
