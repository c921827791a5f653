import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CAMERAS, problemOf, SITES, startApiHarness, type ApiHarness, type Credential } from './api-harness.ts';

/**
 * Account administration over the API, and the first admin made by `vigil user add` (a real
 * child process reading the password from a pipe) who then logs in through the API.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function runVigil(args: string[], stdin: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/vigil.ts'), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('account administration', () => {
  let h: ApiHarness;
  let root: Credential;
  beforeAll(async () => {
    h = await startApiHarness();
    root = await h.session(await h.createUser({ username: 'root', role: 'admin' }));
  });
  afterAll(async () => h?.close());

  it('creates an account that can log in, lists it, and audits the creation', async () => {
    const res = await h.fetch('/api/v1/users', { method: 'POST', headers: root.headers(), json: { username: ' Nguyen.Lan ', displayName: 'Nguyễn Thị Lan', role: 'investigator', sites: ['ward-a'], password: 'một hai ba bốn năm' } });
    expect(res.status).toBe(201);
    const u = (await res.json()) as Record<string, unknown>;
    expect(u).toMatchObject({ username: 'nguyen.lan', displayName: 'Nguyễn Thị Lan', role: 'investigator', sites: ['ward-a'], disabled: false });
    expect(JSON.stringify(u)).not.toMatch(/scrypt|password/i);
    const list = (await (await h.fetch('/api/v1/users', { headers: root.headers() })).json()) as { users: { username: string }[] };
    expect(list.users.map((x) => x.username)).toEqual(['nguyen.lan', 'root']);
    const login = await h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: 'NGUYEN.LAN', password: 'một hai ba bốn năm' } });
    expect(login.status).toBe(200);
    const row = (await h.auditRows()).find((r) => r.action === 'user.create')!;
    expect(row.actor_name).toBe('root');
    expect(JSON.parse(row.detail)).toMatchObject({ username: 'nguyen.lan', role: 'investigator', sites: ['ward-a'] });
    expect(row.detail).not.toContain('một hai');
  });

  it('refuses a taken username (409), an unknown site and a weak password (400)', async () => {
    const taken = await h.fetch('/api/v1/users', { method: 'POST', headers: root.headers(), json: { username: 'ROOT', displayName: 'x', role: 'viewer', password: 'long enough password' } });
    expect(taken.status).toBe(409);
    expect((await problemOf(taken)).code).toBe('conflict');
    const site = await problemOf(await h.fetch('/api/v1/users', { method: 'POST', headers: root.headers(), json: { username: 'someone', displayName: 'x', role: 'viewer', sites: ['ward-z'], password: 'long enough password' } }));
    expect(site).toMatchObject({ status: 400, invalidParams: [{ name: 'sites', in: 'body', reason: expect.stringContaining('ward-z') }] });
    const weak = await problemOf(await h.fetch('/api/v1/users', { method: 'POST', headers: root.headers(), json: { username: 'someone', displayName: 'x', role: 'viewer', password: 'short' } }));
    expect(weak).toMatchObject({ status: 400, invalidParams: [{ name: 'password', in: 'body', reason: expect.stringContaining('at least 10') }] });
    expect(await h.ctx.users.byUsername('someone')).toBeNull();
  });

  it('changes role, sites and the disabled flag; disabling ends the sessions at once', async () => {
    const u = await h.createUser({ username: 'changing', role: 'viewer', sites: ['ward-a'] });
    const their = await h.session(u);
    expect((await h.fetch('/api/v1/me', { headers: their.headers() })).status).toBe(200);
    const patched = await h.fetch(`/api/v1/users/${u.id}`, { method: 'PATCH', headers: root.headers(), json: { role: 'ops', sites: ['district-1'] } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ role: 'ops', sites: ['district-1'] });
    expect((await (await h.fetch('/api/v1/me', { headers: their.headers() })).json()) as object).toMatchObject({ user: { role: 'ops' } });
    expect((await h.fetch(`/api/v1/users/${u.id}`, { method: 'PATCH', headers: root.headers(), json: { disabled: true } })).status).toBe(200);
    expect((await h.fetch('/api/v1/me', { headers: their.headers() })).status).toBe(401);
    const audit = (await h.auditRows()).filter((r) => r.action === 'user.update').map((r) => JSON.parse(r.detail) as { changes: object; sessionsEnded: number });
    expect(audit.at(-2)!.changes).toEqual({ role: ['viewer', 'ops'], sites: [['ward-a'], ['district-1']] });
    expect(audit.at(-1)).toMatchObject({ changes: { disabled: [false, true] }, sessionsEnded: 1 });
  });

  it('resets a password: the old one stops working and the sessions end', async () => {
    const u = await h.createUser({ username: 'forgetful', role: 'viewer', password: 'old password 123' });
    const their = await h.session(u);
    expect((await h.fetch(`/api/v1/users/${u.id}/password`, { method: 'POST', headers: root.headers(), json: { password: 'new password 456' } })).status).toBe(204);
    expect((await h.fetch('/api/v1/me', { headers: their.headers() })).status).toBe(401);
    expect((await h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: 'forgetful', password: 'old password 123' } })).status).toBe(401);
    expect((await h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: 'forgetful', password: 'new password 456' } })).status).toBe(200);
  });

  it('never leaves the service without an enabled admin of every site, nor lets one disable themself', async () => {
    const me = (await h.ctx.users.byUsername('root'))!;
    const self = await problemOf(await h.fetch(`/api/v1/users/${me.id}`, { method: 'PATCH', headers: root.headers(), json: { disabled: true } }));
    expect(self).toMatchObject({ status: 409, code: 'conflict' });
    const demote = await problemOf(await h.fetch(`/api/v1/users/${me.id}`, { method: 'PATCH', headers: root.headers(), json: { role: 'ops' } }));
    expect(demote.status).toBe(409);
    expect(demote.detail).toContain('last enabled admin');
    const second = await h.createUser({ username: 'root2', role: 'admin' });
    expect((await h.fetch(`/api/v1/users/${me.id}`, { method: 'PATCH', headers: root.headers(), json: { sites: ['hn'] } })).status).toBe(200);
    // root is now scoped to hn: it can no longer manage root2 (who sees every site).
    expect((await h.fetch(`/api/v1/users/${second.id}`, { method: 'PATCH', headers: root.headers(), json: { role: 'ops' } })).status).toBe(404);
  });

  it('lets a district admin manage only the district’s accounts and grant only its sites', async () => {
    const d1 = await h.session(await h.createUser({ username: 'd1-admin', role: 'admin', sites: ['district-1'] }));
    const ok = await h.fetch('/api/v1/users', { method: 'POST', headers: d1.headers(), json: { username: 'ward-b-staff', displayName: 'B', role: 'viewer', sites: ['ward-b'], password: 'long enough password' } });
    expect(ok.status).toBe(201);
    for (const sites of [[], ['ward-c'], ['hn']]) {
      const r = await h.fetch('/api/v1/users', { method: 'POST', headers: d1.headers(), json: { username: `x-${sites.join('-') || 'all'}`, displayName: 'x', role: 'viewer', sites, password: 'long enough password' } });
      expect(r.status, JSON.stringify(sites)).toBe(403);
    }
    const seen = (await (await h.fetch('/api/v1/users', { headers: d1.headers() })).json()) as { users: { username: string }[] };
    expect(seen.users.map((u) => u.username)).toEqual(expect.arrayContaining(['d1-admin', 'ward-b-staff']));
    expect(seen.users.map((u) => u.username)).not.toContain('root2');
  });

  it('lets the owner change their own password with the current one, keeping this session only', async () => {
    const u = await h.createUser({ username: 'self-service', role: 'viewer', password: 'first password 1' });
    const here = await h.session(u);
    const elsewhere = await h.session(u);
    const wrong = await h.fetch('/api/v1/me/password', { method: 'POST', headers: here.headers(), json: { currentPassword: 'not it at all', newPassword: 'second password 2' } });
    expect(wrong.status).toBe(403);
    expect((await h.fetch('/api/v1/me/password', { method: 'POST', headers: here.headers(), json: { currentPassword: 'first password 1', newPassword: 'second password 2' } })).status).toBe(204);
    expect((await h.fetch('/api/v1/me', { headers: here.headers() })).status).toBe(200);
    expect((await h.fetch('/api/v1/me', { headers: elsewhere.headers() })).status).toBe(401);
  });
});

describe('vigil user add (the first admin)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-user-cli-'));
    writeFileSync(path.join(dir, 'vigil.yaml'), stringify({ dataDir: dir, sites: SITES, cameras: CAMERAS }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an admin from a password on standard input, who can then log in through the API', async () => {
    const env = { VIGIL_CONFIG: path.join(dir, 'vigil.yaml') };
    const bad = await runVigil(['user', 'add', '--username', 'chief', '--role', 'admin', '--password', 'hunter2hunter2'], '', env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('standard input');
    const unknownSite = await runVigil(['user', 'add', '--username', 'chief', '--role', 'admin', '--site', 'ward-z', '--password', '-'], 'chief password 1\n', env);
    expect(unknownSite.code).toBe(2);
    expect(unknownSite.stderr).toContain('ward-z');
    const ok = await runVigil(['user', 'add', '--username', 'Chief', '--name', 'Trưởng phòng', '--role', 'admin', '--site', 'district-1', '--site', 'district-2', '--password', '-'], 'chief password 1\n', env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Created admin "chief" for sites district-1, district-2');
    expect(ok.stdout + ok.stderr).not.toContain('chief password 1');

    const h = await startApiHarness({ sqlitePath: path.join(dir, 'vigil.db') });
    try {
      const login = await h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: 'chief', password: 'chief password 1' } });
      expect(login.status).toBe(200);
      expect(await login.json()).toMatchObject({ user: { username: 'chief', displayName: 'Trưởng phòng', role: 'admin', sites: ['district-1', 'district-2'] } });
      const rows = await h.auditRows();
      expect(rows[0]).toMatchObject({ action: 'user.create', actor_name: null });
      expect(JSON.parse(rows[0]!.detail)).toMatchObject({ via: 'cli', username: 'chief' });
    } finally {
      await h.close();
    }
  });
});
