import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createCameraAdminService } from '../../bin/camera-admin-service.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { ensureLoopbackMulticast } from '../../recorder/sim/ws-discovery.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { freePort } from '../helpers/ports.ts';
import { problemOf, SITES, startApiHarness, type ApiHarness, type Credential } from './api-harness.ts';

// The camera admin routes against a real simulated ONVIF camera, with createApp on real
// SQLite and the real service of bin/ (onboarding, WS-Discovery, the `vigil camera add` file
// edit): a connection test gives what Vigil would record or the plain reason it cannot; adding
// writes the camera to the YAML file (comments kept, mode 0600) and never echoes the password.
// The retention settings routes validate with the configuration's rules and are audited.
// With a card of its own (ONVIF Profile G recording search and replay).
const SPEC = defaultSpec(0, { id: 'sim-door', name: 'Quầy số 7', video: 'h264', audio: 'pcma', password: 'door-secret-2026', edge: { retentionMs: 3_600_000 } });
const WRONG = 'not-the-door-password';
const YAML_HEAD = '# Vigil of the test office\n# (kept by every edit)\n';

describe('camera administration API', () => {
  let sim: CameraSimulator;
  let h: ApiHarness;
  let admin: Credential;
  let configFile: string;
  beforeAll(async () => {
    await ensureLoopbackMulticast();
    sim = await CameraSimulator.start({ cameras: [SPEC], media: { loopSeconds: 4 } });
    h = await startApiHarness({
      cameraAdmin: (config, _clock, dir) => {
        configFile = path.join(dir, 'vigil.yaml');
        writeFileSync(configFile, `${YAML_HEAD}sites:\n${SITES.map((s) => `  - { id: ${s.id}, name: "${s.name}"${s.parent ? `, parent: ${s.parent}` : ''} }`).join('\n')}\ncameras: []\n`);
        return createCameraAdminService({ config, env: { VIGIL_CONFIG: configFile }, cwd: dir, clock: systemClock, log: createLogger({ level: 'silent' }), recorder: null });
      },
    });
    admin = await h.session(await h.createUser({ username: 'quantri', role: 'admin' }));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await sim?.stop();
  });

  const port = () => sim.camera('sim-door').onvif.port;
  const post = (p: string, json: unknown, cred: Credential = admin) => h.fetch(p, { method: 'POST', headers: cred.headers(), json });
  const secretsIn = (text: string) => [SPEC.password, WRONG].filter((s) => text.includes(s));

  it('tests a good connection: model, firmware, streams and clock offset, no secret in the answer', async () => {
    const res = await post('/api/v1/admin/cameras/test', { host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const r = JSON.parse(text) as Record<string, any>;
    expect(r).toMatchObject({ kind: 'onvif', main: { codec: 'H264', width: 1920, height: 1080 }, sub: { codec: 'H264', width: 640, height: 360 }, clockWarning: false });
    expect(r.model).not.toBe('');
    expect(typeof r.clockOffsetMs).toBe('number');
    expect(text).not.toMatch(/rtsp:\/\//);
    expect(r.profileG).toBe(true); // the simulated camera answers Profile G recording search
    expect(secretsIn(text)).toEqual([]);
  });

  it('says in plain words that the password is wrong, without the password anywhere', async () => {
    const res = await post('/api/v1/admin/cameras/test', { host: '127.0.0.1', port: port(), username: 'admin', password: WRONG });
    expect(res.status).toBe(502);
    const p = await problemOf(res);
    expect(p.code).toBe('camera_auth_failed');
    expect(p.detail).toMatch(/rejected the user name or password/);
    expect(secretsIn(JSON.stringify(p))).toEqual([]);
    const audit = JSON.stringify(await h.auditRows());
    expect(audit).toContain('camera.test');
    expect(audit).toContain('camera_auth_failed');
    expect(secretsIn(audit)).toEqual([]);
    expect(secretsIn(JSON.stringify(h.logLines()))).toEqual([]);
  });

  it('warns of a camera clock far off, and says so when the camera then refuses the login', async () => {
    sim.camera('sim-door').faults.set({ clockSkewMs: 20 * 60_000 });
    try {
      const ok = await post('/api/v1/admin/cameras/test', { host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ clockWarning: true });
      sim.camera('sim-door').faults.set({ clockSkewMs: 20 * 60_000, wrongCredentials: true });
      const p = await problemOf(await post('/api/v1/admin/cameras/test', { host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password }));
      expect([p.status, p.code]).toEqual([502, 'camera_clock_skew']);
      expect(p.detail).toMatch(/clock is 20 min off.*enable NTP/);
      expect(secretsIn(JSON.stringify(p))).toEqual([]);
    } finally {
      sim.camera('sim-door').faults.clear();
    }
  });

  it('says in plain words that nothing answers at a wrong address', async () => {
    const res = await post('/api/v1/admin/cameras/test', { host: '127.0.0.1', port: await freePort(), username: 'admin', password: WRONG });
    expect(res.status).toBe(502);
    const p = await problemOf(res);
    expect(p.code).toBe('camera_unreachable');
    expect(p.detail).toMatch(/does not answer ONVIF.*Check the address and port/);
    expect(secretsIn(JSON.stringify(p))).toEqual([]);
  });

  it('tests a plain RTSP camera with ffprobe: codec and size, or the wrong password in plain words', async () => {
    const url = sim.camera('sim-door').rtspUrl('main');
    const ok = await post('/api/v1/admin/cameras/test', { rtspUrl: url, username: 'admin', password: SPEC.password });
    const text = await ok.text();
    expect(ok.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ kind: 'rtsp', main: { codec: 'H264', width: 1920, height: 1080 }, clockOffsetMs: null });
    expect(secretsIn(text)).toEqual([]);
    const wrong = await problemOf(await post('/api/v1/admin/cameras/test', { rtspUrl: url, username: 'admin', password: WRONG }));
    expect([wrong.status, wrong.code]).toEqual([502, 'camera_auth_failed']);
    expect(secretsIn(JSON.stringify(wrong))).toEqual([]);
    const inline = await problemOf(await post('/api/v1/admin/cameras/test', { rtspUrl: url.replace('rtsp://', `rtsp://admin:${WRONG}@`) }));
    expect([inline.status, inline.code]).toEqual([502, 'camera_auth_failed']);
    expect(secretsIn(JSON.stringify(inline))).toEqual([]);
    expect(secretsIn(JSON.stringify(await h.auditRows()))).toEqual([]);
  });

  it('refuses a body that is neither an address nor an RTSP URL (400)', async () => {
    const p = await problemOf(await post('/api/v1/admin/cameras/test', { username: 'admin', password: WRONG }));
    expect(p.status).toBe(400);
    expect(JSON.stringify(p.invalidParams)).toContain('host');
  });

  it('finds the simulated camera by WS-Discovery, with name, address and profile', async () => {
    const res = await post('/api/v1/admin/cameras/discover', { timeoutMs: 1500 });
    expect(res.status).toBe(200);
    const { cameras } = (await res.json()) as { cameras: Array<Record<string, unknown>> };
    const mine = cameras.find((c) => c.port === port());
    expect(mine).toMatchObject({ host: '127.0.0.1', address: `127.0.0.1:${port()}`, name: 'Quầy số 7', configuredAs: null });
    expect(mine!.profiles).toContain('S');
  });

  it('adds a camera: config file written (comments kept, 0600), listed, no password in the answer', async () => {
    const res = await post('/api/v1/admin/cameras', { id: 'ward-a-door', name: 'Cửa chính', site: 'ward-a', host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(secretsIn(text)).toEqual([]);
    const r = JSON.parse(text) as Record<string, any>;
    expect(r).toMatchObject({ id: 'ward-a-door', configFile, recording: 'after_restart', test: { main: { codec: 'H264' } } });
    expect(r.note).toMatch(/restart/);
    const written = readFileSync(configFile, 'utf8');
    expect(written.startsWith(YAML_HEAD)).toBe(true);
    expect((parseYaml(written) as { cameras: unknown[] }).cameras).toEqual([
      { id: 'ward-a-door', name: 'Cửa chính', site: 'ward-a', onvif: { host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password } },
    ]);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    // The API lists it at once, in its site.
    const listed = (await (await h.fetch('/api/v1/cameras', { headers: admin.headers() })).json()) as { cameras: Array<{ id: string; site: { id: string } | null }> };
    expect(listed.cameras.find((c) => c.id === 'ward-a-door')?.site?.id).toBe('ward-a');
    const audit = await h.auditRows();
    expect(audit.some((a) => a.action === 'camera.add' && a.detail.includes('"recording":"after_restart"'))).toBe(true);
    expect(secretsIn(JSON.stringify(audit))).toEqual([]);
    expect(secretsIn(JSON.stringify(h.logLines()))).toEqual([]);
  });

  it('refuses a taken id (409), a bad id or unknown site (400) and a wrong password (502), writing nothing', async () => {
    const before = readFileSync(configFile, 'utf8');
    const body = { name: 'Cửa phụ', host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password };
    expect((await problemOf(await post('/api/v1/admin/cameras', { ...body, id: 'ward-a-door', site: 'ward-a' }))).status).toBe(409);
    expect((await problemOf(await post('/api/v1/admin/cameras', { ...body, id: 'ward-a-counter-1', site: 'ward-a' }))).status).toBe(409);
    const badId = await problemOf(await post('/api/v1/admin/cameras', { ...body, id: 'Cửa Phụ', site: 'ward-a' }));
    expect(badId.status).toBe(400);
    expect(JSON.stringify(badId.invalidParams)).toMatch(/lowercase letters, digits and dashes/);
    expect((await problemOf(await post('/api/v1/admin/cameras', { ...body, id: 'ward-x-door', site: 'ward-x' }))).status).toBe(400);
    const wrong = await problemOf(await post('/api/v1/admin/cameras', { ...body, id: 'ward-a-door-2', site: 'ward-a', password: WRONG }));
    expect([wrong.status, wrong.code]).toEqual([502, 'camera_auth_failed']);
    expect(secretsIn(JSON.stringify(wrong))).toEqual([]);
    expect(readFileSync(configFile, 'utf8')).toBe(before);
  });

  it('lets a site-scoped admin add cameras to their own sites only', async () => {
    const district2 = await h.session(await h.createUser({ username: 'quantri-q2', role: 'admin', sites: ['district-2'] }));
    const p = await problemOf(await post('/api/v1/admin/cameras', { id: 'ward-a-door-3', site: 'ward-a', host: '127.0.0.1', port: port(), username: 'admin', password: SPEC.password }, district2));
    expect(p.status).toBe(403);
  });
});

describe('retention settings API', () => {
  let h: ApiHarness;
  let admin: Credential;
  beforeAll(async () => {
    h = await startApiHarness({ config: { retention: { days: 30 }, sites: SITES.map((s) => (s.id === 'district-1' ? { ...s, retentionDays: 60 } : s)) } });
    admin = await h.session(await h.createUser({ username: 'quantri', role: 'admin' }));
  });
  afterAll(async () => h?.close());

  const put = (json: unknown, cred: Credential = admin) => h.fetch('/api/v1/admin/retention', { method: 'PUT', headers: cred.headers(), json });
  const view = async () => (await (await h.fetch('/api/v1/admin/retention', { headers: admin.headers() })).json()) as Record<string, any>;

  it('shows each value with where it comes from', async () => {
    const v = await view();
    expect(v.default.days).toMatchObject({ effective: 30, source: 'config' });
    expect(v.default.quotaBytes).toMatchObject({ effective: null, source: 'none' });
    expect(v.sites.find((s: any) => s.id === 'district-1').days).toMatchObject({ effective: 60, source: 'config' });
    expect(v.sites.find((s: any) => s.id === 'ward-a').days).toMatchObject({ effective: 60, source: 'inherited', from: 'district-1' });
    expect(v.cameras.find((c: any) => c.id === 'ward-c-counter-1').days).toMatchObject({ effective: 30, source: 'inherited', from: 'default' });
  });

  it('refuses values the configuration would refuse, naming each, and changes nothing', async () => {
    const bad = await problemOf(await put({ days: 0, quotaBytes: -5, sites: [{ id: 'ward-a', days: 1.5 }] }));
    expect(bad.status).toBe(400);
    const names = (bad.invalidParams as Array<{ name: string; reason: string }>).map((p) => p.name).sort();
    expect(names).toEqual(['days', 'quotaBytes', 'sites[0].days'].sort());
    expect(JSON.stringify(bad.invalidParams)).toContain('must be at least 1 day');
    const unknown = await problemOf(await put({ sites: [{ id: 'ward-z', days: 5 }] }));
    expect(unknown.status).toBe(400);
    expect(unknown.detail).toContain('ward-z');
    expect((await view()).default.days.source).toBe('config');
  });

  it('saves days and quotas over the configuration, audited, and clears them with null', async () => {
    const res = await put({ days: 45, quotaBytes: 500 * 1024 ** 3, sites: [{ id: 'ward-a', days: 90 }], cameras: [{ id: 'ward-c-counter-1', days: 7 }] });
    expect(res.status, await res.clone().text()).toBe(200);
    const v = (await res.json()) as Record<string, any>;
    expect(v.default.days).toMatchObject({ config: 30, saved: 45, effective: 45, source: 'saved' });
    expect(v.default.quotaBytes).toMatchObject({ saved: 500 * 1024 ** 3, source: 'saved' });
    expect(v.sites.find((s: any) => s.id === 'ward-a').days).toMatchObject({ saved: 90, source: 'saved' });
    expect(v.cameras.find((c: any) => c.id === 'ward-a-counter-1').days).toMatchObject({ effective: 90, source: 'inherited', from: 'ward-a' });
    expect(v.cameras.find((c: any) => c.id === 'ward-c-counter-1').days).toMatchObject({ effective: 7, source: 'saved' });
    const audit = (await h.auditRows()).filter((a) => a.action === 'retention.update');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_name).toBe('quantri');
    expect(JSON.parse(audit[0]!.detail).after).toContainEqual({ scope: 'site', targetId: 'ward-a', days: 90, quotaBytes: null });

    const cleared = (await (await put({ days: null, sites: [{ id: 'ward-a', days: null }] })).json()) as Record<string, any>;
    expect(cleared.default.days).toMatchObject({ effective: 30, source: 'config', saved: null });
    expect(cleared.default.quotaBytes.source).toBe('saved'); // untouched
    expect(cleared.sites.find((s: any) => s.id === 'ward-a').days).toMatchObject({ effective: 60, source: 'inherited', from: 'district-1' });
  });

  it('lets a site-scoped admin change only their own sites', async () => {
    const district1 = await h.session(await h.createUser({ username: 'quantri-q1', role: 'admin', sites: ['district-1'] }));
    expect((await put({ sites: [{ id: 'ward-b', days: 20 }] }, district1)).status).toBe(200);
    expect((await problemOf(await put({ days: 20 }, district1))).status).toBe(403);
    expect((await problemOf(await put({ cameras: [{ id: 'ward-c-counter-1', days: 3 }] }, district1))).status).toBe(403);
  });
});
