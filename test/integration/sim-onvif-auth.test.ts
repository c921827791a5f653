import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { CameraFaults } from '../../recorder/sim/faults.ts';
import { OnvifDeviceServer } from '../../recorder/sim/onvif-service.ts';
import { call, connect, GET_PROFILES, rawSoap, RTSP, type SimCamera, useOnvifCameras } from './sim-onvif-fixture.ts';

/**
 * The simulator's ONVIF faults a recorder must survive: wrong credentials, camera clock skew
 * (WS-Security Created windows), refused connections (observed client behaviour: sim-onvif-fixture.ts).
 */
const onvif = useOnvifCameras();
const { startCamera } = onvif;

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
    const server = new OnvifDeviceServer({ spec, faults, clock: systemClock, streamUri: () => 'rtsp://x/', snapshotJpeg: async () => onvif.jpeg() });
    await server.start();
    const sim: SimCamera = { spec, faults, server, requests: [], authFailures: [] };
    onvif.track(sim);
    expect(server.port).toBeGreaterThan(0);
    expect(server.listening).toBe(false);
    expect((await connect(sim)).err).toMatchObject({ code: 'ECONNREFUSED' });

    faults.set({ refuse: false });
    await server.settled();
    expect((await connect(sim)).err).toBeNull();
  });
});
