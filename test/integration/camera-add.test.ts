import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import { vigilFailure } from '../helpers/vigil-error.ts';
import { cameraAdd, CONFIG_FILE_MODE } from '../../bin/camera-add.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// `vigil camera add` against a simulated ONVIF camera: a good camera is onboarded and written
// to the configuration (comments kept, mode 0600); a wrong password, a duplicate id or an
// unknown site writes nothing and says why; the password never appears in what it prints.
describe('vigil camera add', () => {
  let sim: CameraSimulator;
  let dir: string;
  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 1, discoveryPort: null, media: { loopSeconds: 4 } });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const fresh = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-camadd-'));
    return dir;
  };
  const cam = () => sim.camera('cam-1');
  const run = (cwd: string, options: Record<string, string | undefined>) => {
    const lines: string[] = [];
    const p = cameraAdd({ options, env: {}, cwd, clock: systemClock, print: (l) => lines.push(l) });
    return { p, lines };
  };
  const failure = (p: Promise<unknown>) => vigilFailure(p, 'camera add');

  it('onboards an ONVIF camera and adds it to the YAML file, keeping comments', async () => {
    const cwd = fresh();
    const file = path.join(cwd, 'vigil.yaml');
    writeFileSync(file, '# office of ward 3\nsites:\n  - id: ward-3\n    name: Ward 3 # the one-stop office\n');
    const { p, lines } = run(cwd, { id: 'counter-1', site: 'ward-3', onvif: `127.0.0.1:${cam().onvif.port}`, user: cam().spec.username, password: cam().spec.password });
    await p;
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# office of ward 3');
    expect(text).toContain('# the one-stop office');
    expect(statSync(file).mode & 0o777).toBe(CONFIG_FILE_MODE);
    const cfg = loadConfig({ file, env: {}, cwd });
    expect(cfg.cameras).toHaveLength(1);
    expect(cfg.cameras[0]).toMatchObject({ id: 'counter-1', site: 'ward-3', onvif: { host: '127.0.0.1', port: cam().onvif.port, password: cam().spec.password } });
    const printed = lines.join('\n');
    expect(printed).toContain('main stream:  H264 1920x1080');
    expect(printed).toContain('sub stream:   H264 640x360');
    expect(printed).not.toContain(cam().spec.password);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('refuses a wrong password in plain words and writes nothing', async () => {
    const cwd = fresh();
    const file = path.join(cwd, 'vigil.json');
    const before = '{\n    "cameras": []\n}\n';
    writeFileSync(file, before);
    const e = await failure(run(cwd, { id: 'counter-2', onvif: `127.0.0.1:${cam().onvif.port}`, user: 'admin', password: 'not-the-password' }).p);
    expect(e.code).toBe('camera_auth_failed');
    expect(e.message).not.toContain('not-the-password');
    expect(readFileSync(file, 'utf8')).toBe(before);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('refuses a duplicate id or an unknown site before contacting the camera', async () => {
    const cwd = fresh();
    const file = path.join(cwd, 'vigil.yaml');
    const before = 'cameras:\n  - id: counter-1\n    rtspUrl: rtsp://127.0.0.1:1/x\n';
    writeFileSync(file, before);
    // Port 1 answers nothing: a camera contact would fail as unreachable, not as config_invalid.
    const dup = await failure(run(cwd, { id: 'counter-1', onvif: '127.0.0.1:1', user: 'u', password: 'p' }).p);
    expect(dup.code).toBe('config_invalid');
    expect(dup.message).toContain('repeats camera id "counter-1"');
    expect(dup.message).toContain('Nothing was written');
    const site = await failure(run(cwd, { id: 'counter-9', site: 'nowhere', onvif: '127.0.0.1:1', user: 'u', password: 'p' }).p);
    expect(site.message).toContain('names site "nowhere"');
    expect(readFileSync(file, 'utf8')).toBe(before);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('adds a plain RTSP camera to a JSON file with its indentation', async () => {
    const cwd = fresh();
    const file = path.join(cwd, 'vigil.json');
    writeFileSync(file, '{\n    "log": { "level": "warn" }\n}\n');
    await run(cwd, { id: 'lobby', rtsp: 'rtsp://10.0.0.9/stream1', user: 'viewer', password: 's3cret' }).p;
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('{\n    "log"')).toBe(true);
    expect(JSON.parse(text).cameras).toEqual([{ id: 'lobby', rtspUrl: 'rtsp://10.0.0.9/stream1', username: 'viewer', password: 's3cret' }]);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('reads --password - from standard input in the real command, and exits 1 with the reason on failure', async () => {
    const cwd = fresh();
    const file = path.join(cwd, 'vigil.yaml');
    const runCli = (args: string[], stdin: string) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/vigil.ts'), ...args], { cwd: repoRoot, timeout: 30_000 }, (err, out, errText) => {
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errText });
        });
        child.stdin!.end(stdin);
      });
    const ok = await runCli(['camera', 'add', '--config', file, '--id', 'counter-5', '--onvif', `127.0.0.1:${cam().onvif.port}`, '--user', cam().spec.username, '--password', '-'], `${cam().spec.password}\n`);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('camera "counter-5" added');
    expect(loadConfig({ file, env: {}, cwd }).cameras[0]?.onvif?.password).toBe(cam().spec.password);
    const bad = await runCli(['camera', 'add', '--config', file, '--id', 'counter-6', '--onvif', `127.0.0.1:${cam().onvif.port}`, '--user', 'admin', '--password', '-'], 'wrong-one\n');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/password|credentials/i);
    expect(bad.err).not.toContain('wrong-one');
    rmSync(cwd, { recursive: true, force: true });
  });
});
