/**
 * The simulator's ONVIF side against the real `onvif` npm client (v0.8.3): discovery, connect,
 * profiles, stream and snapshot URIs, and the faults a recorder must survive.
 *
 * Observed behaviour of the onvif package, pinned here so a change shows up:
 * - connect() = GetSystemDateAndTime (unauthenticated) → GetServices → GetProfiles and
 *   GetVideoSources in parallel; GetCapabilities only if GetServices fails.
 * - With a wrong password connect() still calls back WITHOUT an error: GetServices is pre-auth,
 *   the NotAuthorized faults of GetProfiles/GetVideoSources only become a 'warning' event and an
 *   empty profile list. A following getStreamUri() without a profileToken then throws a
 *   TypeError synchronously (no activeSource) and never calls back; with a token it calls back
 *   with "ONVIF SOAP Fault: Sender not Authorized".
 * - Clock skew is compensated: the client stamps Created with the camera's time (timeShift from
 *   GetSystemDateAndTime), but only once per Cam; if the camera clock jumps after connect, every
 *   later call fails NotAuthorized until a new Cam connects.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cam, Discovery, type CamOptions } from 'onvif';
import { systemClock } from '../../src/clock.ts';
import { defaultSpec, type SimCameraSpec, type StreamName } from '../../recorder/sim/camera-spec.ts';
import { CameraFaults } from '../../recorder/sim/faults.ts';
import {
  OnvifDeviceServer,
  type AuthFailureEvent,
  type OnvifRequestEvent,
} from '../../recorder/sim/onvif-service.ts';
import { WsDiscoveryResponder, ensureLoopbackMulticast } from '../../recorder/sim/ws-discovery.ts';
import { passwordDigest } from '../../recorder/sim/wsse.ts';

const RTSP = (spec: SimCameraSpec, stream: StreamName) => `rtsp://127.0.0.1:8554/${spec.id}/${stream}`;

let jpeg: Buffer;
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vigil-sim-onvif-'));
  const file = join(tmp, 'snap.jpg');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=320x180', '-frames:v', '1', '-y', file]);
  jpeg = readFileSync(file);
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface SimCamera {
  spec: SimCameraSpec;
  faults: CameraFaults;
  server: OnvifDeviceServer;
  requests: OnvifRequestEvent[];
  authFailures: AuthFailureEvent[];
}

const running: SimCamera[] = [];

async function startCamera(index = 0, overrides: Partial<SimCameraSpec> = {}): Promise<SimCamera> {
  const spec = defaultSpec(index, overrides);
  const faults = new CameraFaults(systemClock);
  const server = new OnvifDeviceServer({
    spec,
    faults,
    clock: systemClock,
    streamUri: (stream) => RTSP(spec, stream),
    snapshotJpeg: async () => jpeg,
  });
  const cam: SimCamera = { spec, faults, server, requests: [], authFailures: [] };
  server.on('request', (e: OnvifRequestEvent) => cam.requests.push(e));
  server.on('authFailure', (e: AuthFailureEvent) => cam.authFailures.push(e));
  await server.start();
  running.push(cam);
  return cam;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.server.stop()));
});

interface Connected {
  cam: Cam;
  err: Error | null;
  warnings: string[];
}

/** new Cam(...) with its connect callback bounded in time. */
function connect(sim: SimCamera, options: Partial<CamOptions> = {}, boundMs = 8000): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const warnings: string[] = [];
    const timer = setTimeout(() => reject(new Error(`connect did not call back within ${boundMs} ms`)), boundMs);
    const cam: Cam = new Cam(
      {
        hostname: '127.0.0.1',
        port: sim.server.port,
        username: sim.spec.username,
        password: sim.spec.password,
        timeout: 5000,
        ...options,
      },
      (err) => {
        clearTimeout(timer);
        resolve({ cam, err: err ?? null, warnings });
      },
    );
    cam.on('warning', (w: unknown) => warnings.push(String(w)));
  });
}

/** Calls a callback-style onvif method; resolves with (err, value), rejects if it never calls back. */
function call<T = unknown>(what: string, fn: (cb: (err: Error | null, value?: T) => void) => void, boundMs = 6000) {
  return new Promise<{ err: Error | null; value: T | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not call back within ${boundMs} ms`)), boundMs);
    fn((err, value) => {
      clearTimeout(timer);
      resolve({ err: err ?? null, value });
    });
  });
}

/** A hand-built SOAP request, as the onvif package would send it, with a chosen Created. */
async function rawSoap(
  sim: SimCamera,
  bodyXml: string,
  token?: { created: string; nonce?: Buffer; password?: string },
): Promise<{ status: number; text: string; headers: Headers }> {
  let security = '';
  if (token) {
    const nonce = token.nonce ?? Buffer.from(`${Math.random()}`.padEnd(16, '0').slice(0, 16));
    const digest = passwordDigest(nonce, token.created, token.password ?? sim.spec.password);
    security =
      `<Security s:mustUnderstand="1" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
      `<UsernameToken><Username>${sim.spec.username}</Username>` +
      `<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</Password>` +
      `<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</Nonce>` +
      `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${token.created}</Created>` +
      `</UsernameToken></Security>`;
  }
  const envelope =
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${security}</s:Header>` +
    `<s:Body>${bodyXml}</s:Body></s:Envelope>`;
  const res = await fetch(sim.server.mediaXaddr, {
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    body: envelope,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const GET_PROFILES = '<GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/>';

interface ProfileView {
  token: string;
  encoding: string;
  width: number;
  height: number;
  audio: string | undefined;
}

function profileView(cam: Cam): ProfileView[] {
  return (cam.profiles ?? []).map((p: any) => ({
    token: p.$.token,
    encoding: p.videoEncoderConfiguration.encoding,
    width: p.videoEncoderConfiguration.resolution.width,
    height: p.videoEncoderConfiguration.resolution.height,
    audio: p.audioEncoderConfiguration?.encoding,
  }));
}

describe('ONVIF device service with the onvif package', () => {
  it.each([
    { index: 0, video: 'h264', audio: 'pcma', encoding: 'H264', audioEncoding: 'G711' },
    { index: 1, video: 'h264-bframes', audio: 'aac', encoding: 'H264', audioEncoding: 'AAC' },
    { index: 2, video: 'h265', audio: 'none', encoding: 'H265', audioEncoding: undefined },
  ] as const)('connects to a $video/$audio camera and lists main and sub profiles', async (c) => {
    const sim = await startCamera(c.index);
    expect([sim.spec.video, sim.spec.audio]).toEqual([c.video, c.audio]);

    const { cam, err, warnings } = await connect(sim);

    expect(err).toBeNull();
    expect(warnings).toEqual([]);
    expect(sim.authFailures).toEqual([]);
    const actions = sim.requests.map((r) => r.action);
    expect(actions.slice(0, 2)).toEqual(['GetSystemDateAndTime', 'GetServices']);
    expect(actions.slice(2).sort()).toEqual(['GetProfiles', 'GetVideoSources']);
    expect(profileView(cam)).toEqual([
      { token: 'profile_main', encoding: c.encoding, width: 1920, height: 1080, audio: c.audioEncoding },
      { token: 'profile_sub', encoding: c.encoding, width: 640, height: 360, audio: c.audioEncoding },
    ]);
    expect(cam.activeSource).toMatchObject({ profileToken: 'profile_main', fps: 25 });
  });

  it('gives the RTSP URL from the callback, without credentials, for each profile', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();

    const main = await call<{ uri: string }>('getStreamUri main', (cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb));
    const sub = await call<{ uri: string }>('getStreamUri sub', (cb) =>
      cam.getStreamUri({ protocol: 'RTSP', profileToken: 'profile_sub' }, cb),
    );
    const unknown = await call('getStreamUri unknown', (cb) => cam.getStreamUri({ profileToken: 'nope' }, cb));

    expect(main.err).toBeNull();
    expect(main.value?.uri).toBe(RTSP(sim.spec, 'main'));
    expect(sub.value?.uri).toBe(RTSP(sim.spec, 'sub'));
    expect(main.value?.uri).not.toContain(sim.spec.password);
    expect(unknown.err?.message).toMatch(/profile token does not exist/i);
  });

  it('serves the snapshot URI it advertises, behind HTTP Digest like a camera', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    const snap = await call<{ uri: string }>('getSnapshotUri', (cb) => cam.getSnapshotUri({}, cb));
    expect(snap.err).toBeNull();
    const uri = snap.value!.uri;
    expect(uri).toBe(`http://127.0.0.1:${sim.server.port}/onvif/snapshot.jpg`);

    const bare = await fetch(uri, { signal: AbortSignal.timeout(5000) });
    expect(bare.status).toBe(401);
    const challenge = bare.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Digest realm="[^"]+", qop="auth", nonce="[^"]+"/);

    // The onvif package's own Digest implementation answers the challenge (an independent client).
    const authorization = cam.digestAuth([challenge], { method: 'GET', path: new URL(uri).pathname });
    const withDigest = await fetch(uri, { headers: { authorization }, signal: AbortSignal.timeout(5000) });
    expect(withDigest.status).toBe(200);
    expect(withDigest.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await withDigest.arrayBuffer()).equals(jpeg)).toBe(true);

    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const withBasic = await fetch(uri, { headers: { authorization: basic(sim.spec.username, sim.spec.password) } });
    expect(withBasic.status).toBe(200);
    const wrongBasic = await fetch(uri, { headers: { authorization: basic(sim.spec.username, 'guess') } });
    expect(wrongBasic.status).toBe(401);

    const liar = new Cam({ hostname: '127.0.0.1', port: sim.server.port, username: sim.spec.username, password: 'guess', autoconnect: false });
    const wrongDigest = await fetch(uri, {
      headers: { authorization: liar.digestAuth([challenge], { method: 'GET', path: '/onvif/snapshot.jpg' }) },
    });
    expect(wrongDigest.status).toBe(401);
  });

  it('reports identity and capabilities', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    const info = await call<any>('getDeviceInformation', (cb) => cam.getDeviceInformation(cb));
    expect(info.value).toMatchObject({ manufacturer: 'Vigil Simulator', serialNumber: sim.spec.id });
    expect(String(info.value.model)).toMatch(/\S/);
    expect(String(info.value.firmwareVersion)).toMatch(/\S/);
    expect(String(info.value.hardwareId)).toMatch(/\S/);

    const caps = await call<any>('getCapabilities', (cb) => cam.getCapabilities(cb));
    expect(caps.value.media.XAddr).toBe(sim.server.mediaXaddr);
    expect(caps.value.device.XAddr).toBe(sim.server.xaddr);
    const scopes = await call<any[]>('getScopes', (cb) => cam.getScopes(cb));
    expect(scopes.value!.map((s) => s.scopeItem)).toContain(`onvif://www.onvif.org/name/${encodeURIComponent(sim.spec.name)}`);
  });

  it('authenticates the onvif package over HTTP Digest when WS-Security is off', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim, { useWSSecurity: false });
    expect(err).toBeNull();
    expect(profileView(cam).map((p) => p.token)).toEqual(['profile_main', 'profile_sub']);
    // Each protected call was first challenged (401), then answered with Digest.
    expect(sim.requests.filter((r) => r.action === 'GetProfiles').map((r) => r.status)).toEqual([401, 200]);
  });

  it('reports 1280x720 on the main profile while altResolution is set', async () => {
    const sim = await startCamera(0);
    sim.faults.set({ altResolution: true });
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    expect(profileView(cam).map((p) => [p.token, p.width, p.height])).toEqual([
      ['profile_main', 1280, 720],
      ['profile_sub', 640, 360],
    ]);
    sim.faults.set({ altResolution: false });
    const again = await call('getProfiles', (cb) => cam.getProfiles(cb));
    expect(again.err).toBeNull();
    expect(profileView(cam)[0]).toMatchObject({ width: 1920, height: 1080 });
  });
});

describe('authentication failures', () => {
  it('wrong password: connect "succeeds" with no profiles, then calls fail NotAuthorized', async () => {
    const sim = await startCamera(0);
    const { cam, err, warnings } = await connect(sim, { password: 'not-the-password' });

    expect(err).toBeNull(); // the onvif package does not report it as an error
    expect(cam.profiles).toEqual([]);
    expect(warnings).toEqual(['ONVIF SOAP Fault: Sender not Authorized']);
    expect(() => cam.getStreamUri({ protocol: 'RTSP' }, () => undefined)).toThrow(TypeError);

    const stream = await call('getStreamUri', (cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'profile_main' }, cb));
    expect(stream.err?.message).toBe('ONVIF SOAP Fault: Sender not Authorized');
    expect(sim.requests.filter((r) => r.action === 'GetStreamUri').map((r) => r.status)).toEqual([400]);
    expect(new Set(sim.authFailures.map((f) => f.reason))).toEqual(new Set(['wrong-credentials']));
  });

  it('wrongCredentials fault: the right password is refused too, and accepted again when cleared', async () => {
    const sim = await startCamera(0);
    sim.faults.set({ wrongCredentials: true });
    const refused = await connect(sim);
    expect(refused.cam.profiles).toEqual([]);
    expect(sim.authFailures.map((f) => f.reason)).toContain('credentials-changed');

    const basic = `Basic ${Buffer.from(`${sim.spec.username}:${sim.spec.password}`).toString('base64')}`;
    const snapshot = () => fetch(sim.server.snapshotUri, { headers: { authorization: basic }, signal: AbortSignal.timeout(5000) });
    expect((await snapshot()).status).toBe(401);

    sim.faults.clear();
    const ok = await connect(sim);
    expect(ok.err).toBeNull();
    expect(ok.cam.profiles).toHaveLength(2);
    expect((await snapshot()).status).toBe(200);
  });

  it('answers raw requests as a camera does: pre-auth, missing auth, unknown action, bad XML, replay', async () => {
    const sim = await startCamera(0);
    const now = () => new Date(sim.faults.cameraNowMs()).toISOString();

    const time = await rawSoap(sim, '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>');
    expect(time.status).toBe(200);

    const noAuth = await rawSoap(sim, GET_PROFILES);
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Digest /);
    expect(noAuth.text).toContain('ter:NotAuthorized');

    const unknown = await rawSoap(sim, '<GetOSDs xmlns="http://www.onvif.org/ver10/media/wsdl"/>', { created: now() });
    expect(unknown.status).toBe(500);
    expect(unknown.text).toContain('ter:ActionNotSupported');

    const res = await fetch(sim.server.xaddr, { method: 'POST', body: '<s:Envelope><oops>' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('ter:WellFormed');

    const nonce = Buffer.from('fixed-nonce-0001');
    const created = now();
    const first = await rawSoap(sim, GET_PROFILES, { created, nonce });
    const replay = await rawSoap(sim, GET_PROFILES, { created, nonce });
    expect([first.status, replay.status]).toEqual([200, 400]);
    expect(sim.authFailures.at(-1)).toEqual({ action: 'GetProfiles', reason: 'replayed-nonce' });
  });
});

describe('camera clock skew', () => {
  const SKEW_MS = 2 * 3600_000;

  it('reports the skewed clock, and the onvif package compensates for it', async () => {
    const sim = await startCamera(0);
    sim.faults.set({ clockSkewMs: SKEW_MS });
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    expect(cam.profiles).toHaveLength(2);
    expect(sim.authFailures).toEqual([]);

    const time = await call<Date>('getSystemDateAndTime', (cb) => cam.getSystemDateAndTime(cb));
    const reportedSkew = time.value!.getTime() - Date.now();
    expect(Math.abs(reportedSkew - SKEW_MS)).toBeLessThan(3000); // whole seconds, plus the round trip
  });

  it('refuses a request stamped with true time instead of the camera time', async () => {
    const sim = await startCamera(0);
    sim.faults.set({ clockSkewMs: SKEW_MS });
    const stale = await rawSoap(sim, GET_PROFILES, { created: new Date().toISOString() });
    expect(stale.status).toBe(400);
    expect(stale.text).toContain('ter:NotAuthorized');
    expect(sim.authFailures).toEqual([{ action: 'GetProfiles', reason: 'created-too-old' }]);

    const onCameraTime = await rawSoap(sim, GET_PROFILES, { created: new Date(Date.now() + SKEW_MS).toISOString() });
    expect(onCameraTime.status).toBe(200);
  });

  it('a clock jump after connect breaks the connected client until it reconnects', async () => {
    const sim = await startCamera(0);
    const first = await connect(sim);
    expect(first.err).toBeNull();

    sim.faults.set({ clockSkewMs: SKEW_MS });
    const after = await call('getProfiles', (cb) => first.cam.getProfiles(cb));
    expect(after.err?.message).toBe('ONVIF SOAP Fault: Sender not Authorized');
    expect(sim.authFailures.at(-1)).toEqual({ action: 'GetProfiles', reason: 'created-too-old' });

    const second = await connect(sim);
    expect(second.err).toBeNull();
    expect(second.cam.profiles).toHaveLength(2);
  });
});

describe('refuse fault', () => {
  it('closes the port (ECONNREFUSED) and reopens it on the same port when cleared', async () => {
    const sim = await startCamera(0);
    const port = sim.server.port;
    sim.faults.set({ refuse: true });
    await sim.server.settled();
    expect(sim.server.listening).toBe(false);

    const refused = await connect(sim);
    expect((refused.err as NodeJS.ErrnoException | null)?.code).toBe('ECONNREFUSED');

    sim.faults.clear();
    await sim.server.settled();
    expect(sim.server.port).toBe(port);
    const back = await connect(sim);
    expect(back.err).toBeNull();
    expect(back.cam.profiles).toHaveLength(2);
  });

  it('a camera started while refusing has a port but takes no connections until cleared', async () => {
    const spec = defaultSpec(0);
    const faults = new CameraFaults(systemClock);
    faults.set({ refuse: true });
    const server = new OnvifDeviceServer({ spec, faults, clock: systemClock, streamUri: () => 'rtsp://x/', snapshotJpeg: async () => jpeg });
    await server.start();
    const sim: SimCamera = { spec, faults, server, requests: [], authFailures: [] };
    running.push(sim);
    expect(server.port).toBeGreaterThan(0);
    expect(server.listening).toBe(false);
    expect((await connect(sim)).err).toMatchObject({ code: 'ECONNREFUSED' });

    faults.set({ refuse: false });
    await server.settled();
    expect((await connect(sim)).err).toBeNull();
  });
});

describe('WS-Discovery', () => {
  let responder: WsDiscoveryResponder;
  let cams: SimCamera[] = [];

  beforeAll(async () => {
    await ensureLoopbackMulticast();
    responder = new WsDiscoveryResponder(() => cams.map((c) => c.server.discoveryTarget()), { maxDelayMs: 200 });
    await responder.start();
  });

  afterAll(async () => {
    await responder?.stop();
  });

  /** Runs Discovery.probe (multicast to 239.255.255.250:3702) and returns the raw matches. */
  function probe(timeoutMs = 1500): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('Discovery.probe did not call back')), timeoutMs + 3000);
      const ignore = () => undefined; // replies from other tools on the segment are not ours to judge
      Discovery.on('error', ignore);
      Discovery.probe({ timeout: timeoutMs, resolve: false }, (_err, found) => {
        clearTimeout(bound);
        Discovery.off('error', ignore);
        resolve((found ?? []) as any[]);
      });
    });
  }

  const mine = (found: any[], sim: SimCamera) =>
    found.filter((d) => d.probeMatches.probeMatch.endpointReference.address === `urn:uuid:${sim.server.uuid}`);

  it('finds each simulated camera with its XAddr and scopes, one ProbeMatch each', async () => {
    cams = [await startCamera(0), await startCamera(1)];
    const found = await probe();

    for (const sim of cams) {
      const matches = mine(found, sim);
      expect(matches).toHaveLength(1);
      const m = matches[0].probeMatches.probeMatch;
      expect(m.XAddrs).toBe(sim.server.xaddr);
      expect(m.types).toBe('dn:NetworkVideoTransmitter tds:Device');
      expect(String(m.scopes).split(' ')).toEqual(
        expect.arrayContaining([
          `onvif://www.onvif.org/name/${encodeURIComponent(sim.spec.name)}`,
          'onvif://www.onvif.org/location/vigil-sim',
          'onvif://www.onvif.org/Profile/Streaming',
        ]),
      );
    }
  });

  it('a refused camera does not answer; it does again once cleared', async () => {
    const [a, b] = (cams = [await startCamera(0), await startCamera(1)]);
    a!.faults.set({ refuse: true });
    await a!.server.settled();

    const during = await probe();
    expect(mine(during, a!)).toHaveLength(0);
    expect(mine(during, b!)).toHaveLength(1);

    a!.faults.clear();
    await a!.server.settled();
    const after = await probe();
    expect(mine(after, a!)).toHaveLength(1);
  });
});
