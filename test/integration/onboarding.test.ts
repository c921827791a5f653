import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { onboardOnvif, withCredentials } from '../../recorder/onboarding.ts';
import { systemClock } from '../../src/clock.ts';
import { vigilFailure } from '../helpers/vigil-error.ts';
import { ffmpegRead } from '../helpers/ffmpeg-read.ts';
import { freePort, freePortIn } from '../helpers/ports.ts';

describe('ONVIF onboarding against simulated cameras', () => {
  let sim: CameraSimulator;
  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 1, discoveryPort: null, media: { loopSeconds: 4 } });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const target = (overrides: Partial<{ password: string; port: number }> = {}) => {
    const cam = sim.camera('cam-1');
    return { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password, timeoutMs: 4_000, ...overrides };
  };

  const failure = (p: Promise<unknown>) => vigilFailure(p, 'onboarding');

  it('finds main and sub streams whose URIs play', async () => {
    const r = await onboardOnvif(target(), systemClock);
    expect(r.device.manufacturer).toBe('Vigil Simulator');
    expect(r.main).toMatchObject({ encoding: 'H264', width: 1920, height: 1080, audioEncoding: 'G711' });
    expect(r.sub).toMatchObject({ width: 640, height: 360 });
    expect(r.main.rtspUrl).toBe(sim.camera('cam-1').rtspUrl('main'));
    expect(Math.abs(r.clockOffsetMs)).toBeLessThan(2_000);
    const read = await ffmpegRead(withCredentials(r.main.rtspUrl, 'admin', sim.camera('cam-1').spec.password), 2);
    expect(read.code).toBe(0);
    expect(read.frames).toBeGreaterThan(25);
  });

  it('measures a skewed camera clock', async () => {
    sim.camera('cam-1').faults.set({ clockSkewMs: 2 * 3_600_000 });
    try {
      const r = await onboardOnvif(target(), systemClock);
      expect(r.clockOffsetMs).toBeGreaterThan(2 * 3_600_000 - 5_000);
      expect(r.clockOffsetMs).toBeLessThan(2 * 3_600_000 + 5_000);
    } finally {
      sim.camera('cam-1').faults.clear();
    }
  });

  it('says the password is wrong, not "no profiles"', async () => {
    const e = await failure(onboardOnvif(target({ password: 'not-it' }), systemClock));
    expect(e.code).toBe('camera_auth_failed');
    expect(e.message).toMatch(/user name or password/);
    expect(e.message).not.toContain('not-it');
  });

  it('says the camera is unreachable when nothing listens', async () => {
    const e = await failure(onboardOnvif(target({ port: await freePort() }), systemClock));
    expect(e.code).toBe('camera_unreachable');
    expect(e.message).toMatch(/does not answer ONVIF/);
  });

  // The chaos run that found it: "connect ECONNREFUSED 127.0.0.1:40181" read as a wrong password.
  it('says unreachable, not wrong password, when the port number holds the digits 401', async () => {
    const port = await freePortIn(40_100, 40_199);
    const e = await failure(onboardOnvif(target({ port }), systemClock));
    expect([e.code, e.message]).toEqual(['camera_unreachable', expect.stringMatching(/does not answer ONVIF \(ECONNREFUSED\)/)]);
  });

  it('reports the alternate resolution after a switch', async () => {
    sim.camera('cam-1').faults.set({ altResolution: true });
    try {
      const r = await onboardOnvif(target(), systemClock);
      expect(r.main).toMatchObject({ width: 1280, height: 720 });
    } finally {
      sim.camera('cam-1').faults.clear();
    }
  });
});

describe('vigil discover', () => {
  it('finds simulated cameras by WS-Discovery multicast on loopback, with name and address', async () => {
    const { ensureLoopbackMulticast } = await import('../../recorder/sim/ws-discovery.ts');
    const { discoverCameras } = await import('../../recorder/discover.ts');
    await ensureLoopbackMulticast();
    const sim = await CameraSimulator.start({ cameras: 2, media: { loopSeconds: 4 } });
    try {
      const found = await discoverCameras(1_500);
      const mine = found.filter((d) => sim.cameras.some((c) => d.xaddrs.includes(c.onvif.xaddr)));
      expect(mine).toHaveLength(2);
      expect(mine.map((d) => d.name).sort()).toEqual(['Quầy số 1', 'Quầy số 2']);
    } finally {
      await sim.stop();
    }
  });
});
