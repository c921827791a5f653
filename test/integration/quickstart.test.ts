import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .mp4 object under the fs store, by camera folder. */
function objectsByCamera(root: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(root)) return out;
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.mp4')) continue;
    const camera = path.relative(root, e.parentPath).split(path.sep)[0]!;
    out.set(camera, (out.get(camera) ?? 0) + 1);
  }
  return out;
}

// The README's first command, `vigil --simulate N` on the embedded defaults (SQLite + a folder),
// as a newcomer runs it: every role in one process, simulated cameras recorded into the folder,
// the API answering with those cameras, and Ctrl-C finalising and uploading what is open.
describe('quick start: vigil --simulate', () => {
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-quickstart-'));
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('records two simulated cameras into ./data-like folders and stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'vigil.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: path.join(dir, 'data'), http: { port }, recorder: { segmentMs: 2_000 } }));
    // The first admin, created by the CLI (there is no default password anywhere).
    execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'user', 'add', '--username', 'admin', '--role', 'admin', '--password', '-', '--config', configFile], { cwd: repoRoot, input: 'correct horse battery\n' });
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', '--simulate', '2', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    const objects = path.join(dir, 'data', 'objects');
    await waitFor('segments of both simulated cameras in the object folder', () => {
      const m = objectsByCamera(objects);
      return m.size === 2 && [...m.values()].every((n) => n >= 2);
    }, { timeoutMs: 90_000, intervalMs: 250 });
    // The API of the same process answers and knows the simulated cameras.
    const doc = await fetch(`http://127.0.0.1:${port}/api/openapi.json`);
    expect(doc.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/cameras`)).status).toBe(401);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const cams = (await (await fetch(`http://127.0.0.1:${port}/api/v1/cameras`, { headers: { cookie } })).json()) as { cameras: Array<{ id: string }> };
    expect(cams.cameras.map((c) => c.id).sort()).toEqual(['cam-1', 'cam-2']);
    // Live view of the same process: the API serves the recorder's own stream (no second camera session).
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/cameras/cam-1/live`, { headers: { cookie, origin: `http://127.0.0.1:${port}` } });
    const firstMessages = await new Promise<{ text: string[]; binary: number }>((resolve, reject) => {
      const got = { text: [] as string[], binary: 0 };
      ws.on('message', (data, isBinary) => {
        if (isBinary) got.binary++;
        else got.text.push(String(data));
        if (got.binary >= 2) resolve(got);
      });
      ws.once('error', reject);
      setTimeout(() => reject(new Error(`no live media within 20 s: ${JSON.stringify(got)}`)), 20_000).unref();
    });
    ws.close();
    expect(firstMessages.text.some((t) => t.includes('"stream"'))).toBe(true);
    const snap = await fetch(`http://127.0.0.1:${port}/api/v1/cameras/cam-1/live/snapshot.jpg?width=320`, { headers: { cookie } });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect((await snap.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
    expect(code, output.slice(-3000)).toBe(0);
    // What was open at Ctrl-C was finalised and uploaded: nothing waits in the spool.
    const spool = path.join(dir, 'data', 'spool');
    const waiting = existsSync(spool) ? readdirSync(spool, { recursive: true }).filter((f) => String(f).endsWith('.mp4')) : [];
    expect(waiting).toEqual([]);
    expect(output).not.toMatch(/sim-pass-\d/); // simulated camera passwords never logged
  }, 150_000);
});
