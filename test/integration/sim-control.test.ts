import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { startControlApi } from '../../recorder/sim/control-api.ts';
import { ffmpegRead } from '../helpers/ffmpeg-read.ts';
import { waitFor } from '../helpers/wait.ts';

// The assembled simulator: RTSP + ONVIF per camera sharing one fault state, driven through the
// control API as an operator or a chaos test would.
describe('camera simulator with its control API', () => {
  let sim: CameraSimulator;
  let control: Awaited<ReturnType<typeof startControlApi>>;

  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 2, discoveryPort: null, media: { loopSeconds: 4 } });
    control = await startControlApi(sim);
  });
  afterAll(async () => {
    await control?.close();
    await sim?.stop();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${control.url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & Array<Record<string, unknown>> };
  };

  it('lists cameras with their URLs and without passwords', async () => {
    const { status, body } = await api('GET', '/cameras');
    expect(status).toBe(200);
    expect(body.map((c) => c.id)).toEqual(['cam-1', 'cam-2']);
    expect(JSON.stringify(body)).not.toContain('sim-pass');
    expect(body[0]).toMatchObject({ video: 'h264', audio: 'pcma', rtsp: { main: sim.camera('cam-1').rtspUrl('main') } });
  });

  it('sets and clears faults shared by both sides of a camera', async () => {
    const set = await api('POST', '/cameras/cam-2/faults', { wrongCredentials: true, clockSkewMs: 3_600_000 });
    expect(set.status).toBe(200);
    expect(sim.camera('cam-2').faults.get()).toMatchObject({ wrongCredentials: true, clockSkewMs: 3_600_000 });
    const read = await ffmpegRead(sim.camera('cam-2').rtspUrl('main', true), 1);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toMatch(/401/);
    await api('DELETE', '/cameras/cam-2/faults');
    expect(sim.camera('cam-2').faults.get()).toMatchObject({ wrongCredentials: false, clockSkewMs: 0 });
    const ok = await ffmpegRead(sim.camera('cam-2').rtspUrl('main', true), 2);
    expect(ok.code).toBe(0);
    expect(ok.frames).toBeGreaterThan(25);
  });

  it('rejects malformed fault requests and unknown cameras', async () => {
    expect((await api('POST', '/cameras/cam-1/faults', { stall: 'yes' })).status).toBe(400);
    expect((await api('POST', '/cameras/cam-1/faults', { explode: true })).status).toBe(400);
    expect((await api('GET', '/cameras/cam-9')).status).toBe(404);
    expect(sim.camera('cam-1').faults.get().stall).toBe(false);
  });

  it('drops live sessions on request', async () => {
    const reading = ffmpegRead(sim.camera('cam-1').rtspUrl('main', true), 30);
    await waitFor('ffmpeg to open an RTSP session', () => sim.camera('cam-1').rtsp.activeSessions() === 1, { timeoutMs: 15_000 });
    await api('POST', '/cameras/cam-1/drop');
    const result = await reading;
    expect(result.frames).toBeLessThan(30 * 25);
    expect(sim.camera('cam-1').rtsp.activeSessions()).toBe(0);
  });
});
