import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createLogger } from '../../src/logger.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { RemoteLiveSource } from '../../api/live/remote-live-source.ts';
import { waitFor } from '../helpers/wait.ts';
import { freePort } from '../helpers/ports.ts';
import { LiveViewerClient } from './live-viewer-client.ts';
import { startLiveApi, type LiveApiServer } from './live-recorder-setup.ts';

/**
 * The recorder as its own process with its live endpoint; this process plays the API, with the
 * API's handlers on a RemoteLiveSource. The simulator is here, to count the camera's sessions.
 */
describe('live between a recorder process and the API', () => {
  const secret = 'test-live-secret-0123456789-abcdefghij';
  let sim: CameraSimulator;
  let dir: string;
  let child: ChildProcess;
  let port = 0;
  let api: LiveApiServer;
  let wrongApi: LiveApiServer;
  const logLines: string[] = [];
  const log = createLogger({ destination: new Writable({ write(c, _e, cb) { logLines.push(String(c)); cb(); } }), level: 'debug' });

  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { video: 'h264', audio: 'aac' })], discoveryPort: null, media: { loopSeconds: 4 } });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-live-remote-'));
    const c = sim.cameras[0]!;
    writeFileSync(path.join(dir, 'vigil.json'), JSON.stringify({
      dataDir: dir,
      recorder: { segmentMs: 4_000 },
      live: { endpointHost: '127.0.0.1', endpointPort: await freePort(), secret },
      cameras: [{ id: c.spec.id, onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password } }],
    }));
    child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/live-recorder-process.ts', path.join(dir, 'vigil.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    port = await waitFor('the recorder process to listen', () => Number(/live endpoint port=(\d+)/.exec(out)?.[1]) || null, { timeoutMs: 30_000 });
    api = await startLiveApi({ source: new RemoteLiveSource({ url: `http://127.0.0.1:${port}`, secret, log }), log, allowed: ['cam-1'] });
    wrongApi = await startLiveApi({ source: new RemoteLiveSource({ url: `http://127.0.0.1:${port}`, secret: `${secret}-wrong`, log }), log, allowed: ['cam-1'] });
  });

  afterAll(async () => {
    await api?.close();
    await wrongApi?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('viewers of the API get the recorder\'s live stream, from a keyframe, over one camera session', async () => {
    const viewers = Array.from({ length: 5 }, () => new LiveViewerClient(`ws://127.0.0.1:${api.port}/api/v1/cameras/cam-1/live?user=chair`));
    await Promise.all(viewers.map((v) => v.opened()));
    // 5 s of media takes over 3 s of real time, past the recorder's 1.5 s lag limit: only the
    // browsers' acks, relayed by the API, keep these viewers from being skipped.
    await waitFor('5 s of media at every viewer', () => viewers.every((v) => v.mediaSpanS() >= 5), { timeoutMs: 30_000 });
    for (const v of viewers) {
      // Joined before the camera was live, a viewer is told to wait, then gets the stream.
      const firstReal = v.controls.find((c) => c.type !== 'waiting');
      expect(firstReal).toMatchObject({ type: 'stream', cameraId: 'cam-1', mime: expect.stringContaining('avc1.') });
      expect(v.order[0]).toBe('init');
      expect(v.fragments[0]!.keyframe).toBe(true);
      expect(v.controls.filter((c) => c.type === 'skipped')).toEqual([]);
    }
    // One camera session however many watch (the recorder's clock reading, opened when the
    // camera started recording, ends after a few seconds; viewers' sessions would stay).
    await waitFor('one RTSP session', () => sim.activeRtspSessions() === 1, { timeoutMs: 15_000 });
    const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/cameras/cam-1/live/snapshot.jpg?width=200`, { headers: { 'x-test-user': 'chair' } });
    expect(res.status).toBe(200);
    expect(await sharp(Buffer.from(await res.arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 200 });
    for (const v of viewers) v.close();
    await waitFor('audited', () => api.audit.filter((e) => e.action === 'live.view' && e.detail?.via === 'stream').length === 5);
  });

  it('a wrong shared secret is refused by the recorder, in plain words for the operator', async () => {
    const v = new LiveViewerClient(`ws://127.0.0.1:${wrongApi.port}/api/v1/cameras/cam-1/live?user=chair`);
    await v.opened();
    await waitFor('the viewer ended', () => v.closed);
    expect(v.closed!.code).toBe(4502);
    expect(v.fragments).toHaveLength(0);
    expect(logLines.join('')).toContain('set the same live.secret on the API and the recorder');
    expect(logLines.join('')).not.toContain(secret);
    const res = await fetch(`http://127.0.0.1:${wrongApi.port}/api/v1/cameras/cam-1/live/snapshot.jpg`, { headers: { 'x-test-user': 'chair' } });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: 'camera_unreachable', detail: expect.stringContaining('refused the live secret') });
  });

  it('the endpoint answers nothing without the secret', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/live/v1/cameras`)).status).toBe(401);
    const list = await fetch(`http://127.0.0.1:${port}/live/v1/cameras`, { headers: { authorization: `Bearer ${secret}` } });
    const body = JSON.stringify(await list.json());
    expect(body).toContain('"cameraId":"cam-1"');
    expect(body).not.toMatch(/rtsp:|sim-pass/); // camera ids only, never addresses or credentials
  });

  it('viewers are told when the recorder stops', async () => {
    const v = new LiveViewerClient(`ws://127.0.0.1:${api.port}/api/v1/cameras/cam-1/live?user=chair`);
    await waitFor('media', () => v.fragments.length > 0, { timeoutMs: 20_000 });
    child.kill('SIGINT');
    await waitFor('the viewer ended', () => v.closed, { timeoutMs: 20_000 });
    expect(v.closed!.code).toBe(1001);
  });
});
