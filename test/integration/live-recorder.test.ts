import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import type { LiveControl } from '../../recorder/live/live-protocol.ts';
import type { LiveHub } from '../../recorder/live/live-hub.ts';
import { waitFor } from '../helpers/wait.ts';
import { LiveViewerClient } from './live-viewer-client.ts';
import { metricValue, startLiveApi, startLiveRecorder, type LiveApiServer, type LiveRig } from './live-recorder-setup.ts';

/**
 * Live from the recorder's own ffmpeg against the simulator: joining, fan-out to many viewers
 * over the API's WebSocket handler with one camera session, a stalled viewer, snapshots.
 */
describe('live view from the recorder', () => {
  let rig: LiveRig;
  let hub: LiveHub;
  let api: LiveApiServer;
  const wsUrl = (cam: string, user = 'leader') => `ws://127.0.0.1:${api.port}/api/v1/cameras/${cam}/live?user=${user}`;

  beforeAll(async () => {
    rig = await startLiveRecorder({
      cameras: [defaultSpec(0, { video: 'h264', audio: 'pcma' }), defaultSpec(1, { video: 'h264-bframes', audio: 'aac' })],
      live: { maxViewerLagMs: 1_000, dropViewerAfterMs: 3_000 },
    });
    hub = rig.recorder.live!;
    api = await startLiveApi({ source: hub, log: rig.log, allowed: ['cam-1', 'cam-2'], registry: rig.registry });
    await waitFor('both cameras live with a keyframe', () => hub.latestKeyframe('cam-1') && hub.latestKeyframe('cam-2'), { timeoutMs: 20_000 });
  });

  afterAll(async () => {
    await api?.close();
    await rig?.stop();
  });

  it('sends no snapshot decode while nobody asks', async () => {
    const channel = hub.channel('cam-1')!;
    const seq0 = channel.latestKeyframe()!.fragment.seq;
    await waitFor('two more keyframes', () => channel.latestKeyframe()!.fragment.seq > seq0 && hub.latestKeyframe('cam-1')!.fragment.seq !== seq0, { timeoutMs: 10_000 });
    expect(hub.snapshots.decodes).toBe(0);
    expect(await metricValue(rig.registry, 'vigil_live_snapshot_seconds_count')).toBe(0);
  });

  it('a viewer that joins gets the stream, the init segment and the latest keyframe at once', () => {
    const channel = hub.channel('cam-1')!;
    const got: Array<{ control?: LiveControl; type?: string; bytes?: Buffer }> = [];
    const kf = channel.latestKeyframe()!;
    const watch = hub.watch('cam-1', {
      sendMedia: (bytes) => got.push({ type: bytes.toString('latin1', 4, 8), bytes }),
      sendControl: (control) => got.push({ control }),
      bufferedBytes: () => 0,
      close: () => undefined,
    });
    // All of it synchronously inside watch(): nothing waited for the camera's next keyframe.
    watch.stop();
    expect(got[0]!.control).toMatchObject({ type: 'stream', cameraId: 'cam-1', mime: expect.stringMatching(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/), widthPx: 1920, heightPx: 1080 });
    expect(got[1]!.bytes!.equals(kf.init)).toBe(true);
    expect(got[2]!.bytes!.equals(kf.fragment.bytes)).toBe(true);
    expect(kf.fragment.keyframe).toBe(true);
    expect(got.slice(2).every((g) => g.type === 'moof')).toBe(true);
  });

  it('50 concurrent viewers of one camera over WebSocket: one RTSP session, everyone starts at a keyframe and keeps up', async () => {
    const cam = rig.sim.camera('cam-2');
    // The recorder's own session, once the clock reading it opens when a camera starts
    // recording (a few seconds, for its sender reports) has ended.
    const SETTLE = { timeoutMs: 15_000 };
    await waitFor('cam-2 on one RTSP session', () => cam.rtsp.activeSessions() === 1, SETTLE);
    const viewers = Array.from({ length: 50 }, () => new LiveViewerClient(wsUrl('cam-2')));
    await Promise.all(viewers.map((v) => v.opened()));
    await waitFor('50 viewers on the recorder', async () => (await metricValue(rig.registry, 'vigil_live_subscribers', { camera: 'cam-2' })) === 50);
    expect(await metricValue(rig.registry, 'vigil_live_viewers', { camera: 'cam-2' })).toBe(50);
    await waitFor('3 s of media at every viewer', () => viewers.every((v) => v.mediaSpanS() >= 3), { timeoutMs: 20_000 });
    // One per camera, however many watch (viewers' sessions would stay; a clock reading ends).
    await waitFor('one RTSP session per camera', () => cam.rtsp.activeSessions() === 1 && rig.sim.activeRtspSessions() === 2, SETTLE);
    for (const v of viewers) {
      expect(v.controls[0]).toMatchObject({ type: 'stream', cameraId: 'cam-2' });
      expect(v.order[0]).toBe('init');
      expect(v.fragments[0]!.keyframe).toBe(true);
      expect(v.controls.filter((c) => c.type === 'skipped')).toEqual([]);
      // Contiguous media: every fragment starts where the previous one ended.
      for (let i = 1; i < v.fragments.length; i++) expect(v.fragments[i]!.startS).toBeCloseTo(v.fragments[i - 1]!.startS + v.fragments[i - 1]!.durationS, 3);
    }
    for (const v of viewers) v.close();
    await waitFor('viewers gone', async () => (await metricValue(rig.registry, 'vigil_live_subscribers', { camera: 'cam-2' })) === 0);
    await waitFor('50 audit entries', () => api.audit.filter((e) => e.cameraId === 'cam-2' && e.action === 'live.view').length === 50);
    const entry = api.audit.find((e) => e.cameraId === 'cam-2')!;
    expect(entry).toMatchObject({ actor: { userId: 'u-leader', username: 'leader' }, action: 'live.view', ip: '127.0.0.1', detail: { via: 'stream', endedBy: 'viewer' } });
    expect(entry.endMs!).toBeGreaterThan(entry.startMs!);
  });

  it('a stalled viewer socket does not delay the others, and is skipped then dropped', async () => {
    const skips0 = await metricValue(rig.registry, 'vigil_live_skips_total', { camera: 'cam-1' });
    const good = new LiveViewerClient(wsUrl('cam-1'));
    await good.opened();
    // A WebSocket that completes its handshake and then never reads a byte (nor acks).
    const stalled = connect(api.port, '127.0.0.1');
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.write(`GET /api/v1/cameras/cam-1/live?user=slow HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise<void>((r) => stalled.once('data', () => r()));
    stalled.pause();
    const startedMs = Date.now();
    const fromFragment = good.fragments.length;
    await waitFor('the stalled viewer dropped', async () => (await metricValue(rig.registry, 'vigil_live_dropped_subscribers_total', { camera: 'cam-1', reason: 'lagging' })) >= 1, { timeoutMs: 15_000 });
    const elapsedS = (Date.now() - startedMs) / 1000;
    expect(await metricValue(rig.registry, 'vigil_live_skips_total', { camera: 'cam-1' })).toBeGreaterThan(skips0);
    expect(await metricValue(rig.registry, 'vigil_live_viewers_dropped_total', { camera: 'cam-1', reason: 'behind' })).toBe(1);
    // The good viewer kept receiving the camera's media all along, in real time, without a skip.
    const during = good.fragments.slice(fromFragment);
    const mediaS = during.reduce((n, f) => n + f.durationS, 0);
    expect(mediaS).toBeGreaterThan(elapsedS - 1);
    expect(good.controls.filter((c) => c.type === 'skipped')).toEqual([]);
    expect(good.closed).toBeNull();
    stalled.destroy();
    good.close();
    await waitFor('audit of both viewers', () => api.audit.filter((e) => e.cameraId === 'cam-1' && e.detail?.via === 'stream').length >= 2);
    expect(api.audit.find((e) => e.actor?.username === 'slow')).toMatchObject({ detail: { endedBy: 'server', closeCode: 4008 } });
  });

  it('refuses before upgrading: no login 401, another site\'s camera 404, a foreign page 403', async () => {
    const statusOf = async (url: string, headers: Record<string, string> = {}) => {
      const v = new LiveViewerClient(url, { headers });
      await v.opened().catch(() => undefined);
      await waitFor('answer', () => v.closed);
      return v.closed!.code;
    };
    expect(await statusOf(`ws://127.0.0.1:${api.port}/api/v1/cameras/cam-1/live`)).toBe(401);
    api.allowed.delete('cam-2');
    expect(await statusOf(wsUrl('cam-2'))).toBe(404);
    api.allowed.add('cam-2');
    expect(await statusOf(wsUrl('cam-1'), { origin: 'https://evil.example' })).toBe(403);
  });

  it('snapshots: a JPEG of the asked width, one decode for concurrent asks, cached for the interval', async () => {
    const before = hub.snapshots.decodes;
    const asks = await Promise.all(Array.from({ length: 8 }, () => hub.snapshot('cam-1', { widthPx: 320 })));
    expect(hub.snapshots.decodes).toBe(before + 1);
    expect(new Set(asks.map((a) => a.jpeg))).toHaveProperty('size', 1);
    const meta = await sharp(asks[0]!.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 320, height: 180 });
    expect(await metricValue(rig.registry, 'vigil_live_snapshot_seconds_count')).toBe(before + 1);
    await hub.snapshot('cam-1', { widthPx: 320 });
    expect(hub.snapshots.decodes).toBe(before + 1); // within the interval: the same picture
    const small = await hub.snapshot('cam-1', { widthPx: 160 });
    expect(await sharp(small.jpeg).metadata()).toMatchObject({ width: 160, height: 90 });
    expect(hub.snapshots.decodes).toBe(before + 2);
    await expect(hub.snapshot('cam-1', { widthPx: 5000 })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('snapshots through the API handler: JPEG, scoped, audited once per viewing', async () => {
    const get = (cam: string, user: string | null, q = '') =>
      fetch(`http://127.0.0.1:${api.port}/api/v1/cameras/${cam}/live/snapshot.jpg${q}`, { headers: user ? { 'x-test-user': user } : {} });
    const ok = await get('cam-2', 'wall', '?width=240');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('x-vigil-captured-at')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await sharp(Buffer.from(await ok.arrayBuffer())).metadata()).width).toBe(240);
    expect((await get('cam-2', 'wall', '?width=240')).status).toBe(200);
    expect((await get('cam-2', null)).status).toBe(401);
    api.allowed.delete('cam-2');
    const hidden = await get('cam-2', 'wall');
    api.allowed.add('cam-2');
    expect(hidden.status).toBe(404);
    expect(hidden.headers.get('content-type')).toBe('application/problem+json');
    expect((await get('cam-2', 'wall', '?width=abc')).status).toBe(400);
    await api.snapshots.close();
    const viewing = api.audit.filter((e) => e.detail?.via === 'snapshot');
    expect(viewing).toEqual([expect.objectContaining({ action: 'live.view', cameraId: 'cam-2', actor: { userId: 'u-wall', username: 'wall' }, detail: { via: 'snapshot', snapshots: 2 } })]);
  });
});
