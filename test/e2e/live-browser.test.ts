import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import type { LiveFragment } from '../../recorder/live/live-channel.ts';
import { waitFor } from '../helpers/wait.ts';
import { startLiveApi, startLiveRecorder, type LiveApiServer, type LiveRig } from '../integration/live-recorder-setup.ts';

/**
 * A real Chromium (Debian's) plays live from the recorder through the API's WebSocket handler
 * and Media Source Extensions, with the player the web UI uses (api/live/browser/live-player.js).
 */
const PLAYER_JS = readFileSync(fileURLToPath(new URL('../../api/live/browser/live-player.js', import.meta.url)), 'utf8');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>live test</title>
<body><video id="v1" muted playsinline width="480"></video><video id="v2" muted playsinline width="480"></video>
<script type="module">
  import { startLivePlayer } from '/live-player.js';
  const q = new URLSearchParams(location.search);
  window.frames1 = []; window.frames2 = []; window.states = [];
  const url = (cam) => 'ws://' + location.host + '/api/v1/cameras/' + cam + '/live?user=' + q.get('user');
  window.p1 = startLivePlayer(document.getElementById('v1'), url('cam-1'), { onFrame: (f) => window.frames1.push(f), onState: (s, d) => window.states.push(['cam-1', s, d]) });
  window.p2 = startLivePlayer(document.getElementById('v2'), url('cam-2'), { onFrame: (f) => window.frames2.push(f), onState: (s, d) => window.states.push(['cam-2', s, d]) });
</script>`;

describe('live in a real browser', () => {
  let rig: LiveRig;
  let api: LiveApiServer;
  let browser: Browser;
  const tapped: Record<string, LiveFragment[]> = { 'cam-1': [], 'cam-2': [] };

  beforeAll(async () => {
    rig = await startLiveRecorder({ cameras: [defaultSpec(0, { video: 'h264', audio: 'none' }), defaultSpec(1, { video: 'h264-bframes', audio: 'aac' })] });
    const hub = rig.recorder.live!;
    for (const cam of ['cam-1', 'cam-2']) hub.channel(cam)!.on('fragment', (f: LiveFragment) => tapped[cam]!.push(f));
    api = await startLiveApi({
      source: hub, log: rig.log, allowed: ['cam-1', 'cam-2'],
      extra: (req, res) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
        else if (path === '/live-player.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(PLAYER_JS);
        else return false;
        return true;
      },
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await rig?.stop();
  });

  it('plays both cameras through MSE: the video time advances, near the live edge', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const openedMs = Date.now();
    await page.goto(`http://127.0.0.1:${api.port}/?user=leader`);
    const times = () => page.evaluate(() => ['v1', 'v2'].map((id) => (document.getElementById(id) as HTMLVideoElement).currentTime));
    const start = await waitFor('both videos playing', async () => {
      const t = await times();
      return t.every((x) => x > 0) ? t : null;
    }, { timeoutMs: 20_000 });
    const firstFrameMs = Date.now() - openedMs;
    await waitFor('video time advanced by 3 s on both', async () => (await times()).every((t, i) => t > start[i]! + 3), { timeoutMs: 20_000 });
    const state = await page.evaluate(() => ['v1', 'v2'].map((id) => {
      const v = document.getElementById(id) as HTMLVideoElement;
      const b = v.buffered;
      return { t: v.currentTime, end: b.length ? b.end(b.length - 1) : 0, w: v.videoWidth, h: v.videoHeight, paused: v.paused };
    }));
    const frames = await page.evaluate(() => [(window as unknown as { frames1: Array<{ mediaTime: number; presentedAtMs: number }> }).frames1, (window as unknown as { frames2: Array<{ mediaTime: number; presentedAtMs: number }> }).frames2]);
    expect(errors).toEqual([]);
    for (const [i, cam] of (['cam-1', 'cam-2'] as const).entries()) {
      const s = state[i]!;
      expect(s).toMatchObject({ w: 1920, h: 1080, paused: false });
      expect(s.end - s.t).toBeLessThan(2); // kept near the live edge
      // From the recorder having a fragment to its frames being presented in Chromium.
      const lat = frames[i]!.slice(-50).map((f) => {
        const frag = tapped[cam]!.find((x) => f.mediaTime >= x.decodeTimeTicks / x.timescale - 0.05 && f.mediaTime < (x.decodeTimeTicks + x.durationTicks) / x.timescale + 0.05);
        return frag ? f.presentedAtMs - frag.receivedAtMs : NaN;
      }).filter(Number.isFinite).sort((a, b) => a - b);
      expect(lat.length).toBeGreaterThan(10);
      console.log(`${cam}: first frame ${firstFrameMs} ms after opening the page; behind the buffered edge ${((s.end - s.t) * 1000).toFixed(0)} ms; recorder → presented p50 ${lat[Math.floor(lat.length / 2)]!.toFixed(0)} ms, max ${lat.at(-1)!.toFixed(0)} ms (n=${lat.length})`);
    }
    await page.close();
    await waitFor('viewers audited', () => api.audit.filter((e) => e.action === 'live.view').length === 2);
  });
});
