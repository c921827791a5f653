import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { SegmentFacts } from '../../src/fmp4/segment-facts.ts';
import { createMediaServices, type MediaServices } from '../../src/playback/media-services.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HLS_JS = readFileSync(path.join(repoRoot, 'node_modules/hls.js/dist/hls.min.js'));
const PAGE = '<!doctype html><meta charset="utf-8"><video id="v" muted playsinline width="640"></video><script src="/hls.js"></script>';

interface FragSeen { sn: number; cc: number; start: number; startDTS: number }
interface PlayResult { firstFrameMs: number; bufferedLengths: number[]; frags: FragSeen[]; errors: string[]; currentTime: number }

// Recorded HLS played by hls.js in Debian's Chromium: an H.264 camera (AAC audio) that switches
// resolution mid-way and an H.264 camera with B-frames (G.711 → AAC), 4 s segments.
describe('HLS playback in Chromium with hls.js', () => {
  let h: RecorderHarness;
  let segments: SegmentsRepo;
  let facts: SegmentFacts;
  let media: MediaServices;
  let server: Server;
  let base: string;
  let browser: Browser;
  const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
  const cams = [defaultSpec(0, { id: 'avc', video: 'h264', audio: 'aac' }), defaultSpec(1, { id: 'bf', video: 'h264-bframes', audio: 'pcma' })];
  const rows: Record<string, SegmentRecord[]> = {};
  const figures: string[] = [];

  beforeAll(async () => {
    h = await startRecorderHarness({ cameras: cams, segmentMs: 4_000 });
    segments = new SegmentsRepo(h.db, () => Date.now());
    facts = new SegmentFacts(h.store);
    media = createMediaServices({ store: h.store, segments, gaps: new GapsRepo(h.db, () => Date.now()), facts });
    const count = (id: string) => segments.overlapping(id, all).then((r) => r.length);
    await waitFor('three segments each', async () => (await count('avc')) >= 3 && (await count('bf')) >= 3, { timeoutMs: 40_000, intervalMs: 250 });
    h.sim.camera('avc').faults.set({ altResolution: true });
    await waitFor('six segments each', async () => (await count('avc')) >= 6 && (await count('bf')) >= 6, { timeoutMs: 40_000, intervalMs: 250 });
    await h.recorder.stop();
    for (const c of cams) rows[c.id] = await segments.overlapping(c.id, all);

    server = createServer((req, res) => {
      void (async () => {
        const u = new URL(req.url ?? '/', 'http://localhost');
        if (u.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        if (u.pathname === '/hls.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(HLS_JS);
        const m = /^\/cams\/([\w-]+)\/(playlist\.m3u8|segments|clip\.mp4)$/.exec(u.pathname);
        const cam = m?.[1] ?? '';
        const segs = rows[cam] ?? [];
        if (m?.[2] === 'playlist.m3u8') {
          const range = { startMs: segs[0]!.startMs, endMs: segs[segs.length - 1]!.startMs + segs[segs.length - 1]!.durationMs };
          const text = await media.hlsPlaylist(cam, range, (s, ctx) => `/cams/${cam}/segments?key=${encodeURIComponent(s.objectKey)}&run=${ctx.runStartMs}&first=${ctx.firstInRun ? 1 : 0}`);
          return void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(text);
        }
        if (m?.[2] === 'segments' || m?.[2] === 'clip.mp4') {
          // One prepared object per request, as an API would do it.
          const served = m[2] === 'segments'
            ? await media.playbackSegment(cam, u.searchParams.get('key') ?? '', { runStartMs: Number(u.searchParams.get('run')), firstInRun: u.searchParams.get('first') === '1' })
            : await media.prepareClip({ cameraId: cam, startMs: segs[0]!.startMs + 500, endMs: segs[segs.length - 1]!.startMs + segs[segs.length - 1]!.durationMs - 200 });
          const size = served.sizeBytes;
          const r = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
          const range = r ? { start: Number(r[1]), end: r[2] ? Math.min(Number(r[2]), size - 1) : size - 1 } : undefined;
          res.writeHead(range ? 206 : 200, {
            'content-type': served.contentType,
            'accept-ranges': 'bytes',
            'content-length': String(range ? range.end - range.start + 1 : size),
            ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
          });
          // pipeline (not pipe): a request the browser drops also ends the store read behind it.
          return void pipeline(served.open(range), res).catch(() => undefined);
        }
        res.writeHead(404).end();
      })().catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await h?.stop();
    if (figures.length) console.log(`HLS playback figures (hls.js ${readFileSync(path.join(repoRoot, 'node_modules/hls.js/package.json'), 'utf8').match(/"version":\s*"([^"]+)"/)?.[1]}, Chromium):\n${figures.join('\n')}`);
  });

  /** Media length of each segment's video, from its fragments (what decode time must advance by). */
  const videoSeconds = async (s: SegmentRecord) => {
    const init = await facts.init(s);
    const v = init.tracks.find((t) => t.handler === 'vide')!;
    const span = (await facts.timing(s)).tracks.find((t) => t.trackId === v.trackId)!;
    return (span.endTicks - span.firstTicks) / v.timescale;
  };

  async function openPlayer(cam: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.evaluate((src) => {
      const w = window as unknown as Record<string, unknown> & { Hls: any };
      const v = document.getElementById('v') as HTMLVideoElement;
      const hls = new w.Hls();
      const state = { frags: [] as unknown[], errors: [] as string[], buffered: [] as number[], t0: performance.now(), firstFrameMs: -1 };
      w.state = state;
      w.hls = hls;
      hls.on(w.Hls.Events.ERROR, (_e: unknown, d: { details: string; fatal: boolean }) => state.errors.push(`${d.details}${d.fatal ? ' (fatal)' : ''}`));
      hls.on(w.Hls.Events.FRAG_PARSED, (_e: unknown, d: { frag: { sn: number; cc: number; start: number; elementaryStreams: Record<string, { startDTS: number } | null> } }) => {
        const es = d.frag.elementaryStreams.audiovideo ?? d.frag.elementaryStreams.video;
        state.frags.push({ sn: d.frag.sn, cc: d.frag.cc, start: d.frag.start, startDTS: es?.startDTS ?? NaN });
      });
      (v as unknown as { requestVideoFrameCallback(cb: () => void): void }).requestVideoFrameCallback(() => (state.firstFrameMs = performance.now() - state.t0));
      setInterval(() => state.buffered.push(v.buffered.length), 200);
      hls.loadSource(src);
      hls.attachMedia(v);
      void v.play();
    }, `/cams/${cam}/playlist.m3u8`);
    return page;
  }

  const result = (page: Page) =>
    page.evaluate(() => {
      const w = window as unknown as { state: { frags: FragSeen[]; errors: string[]; buffered: number[]; firstFrameMs: number } };
      const v = document.getElementById('v') as HTMLVideoElement;
      return { firstFrameMs: w.state.firstFrameMs, bufferedLengths: w.state.buffered, frags: w.state.frags, errors: w.state.errors, currentTime: v.currentTime } satisfies PlayResult;
    });

  async function seek(page: Page, to: number): Promise<{ ms: number; currentTime: number; width: number }> {
    return page.evaluate(async (target) => {
      const v = document.getElementById('v') as HTMLVideoElement & { requestVideoFrameCallback(cb: (now: number, meta: { mediaTime: number }) => void): void };
      const t0 = performance.now();
      v.currentTime = target;
      await new Promise<void>((resolve) => v.addEventListener('seeked', () => resolve(), { once: true }));
      // A frame at (or after) the target is on screen: playing started there.
      await new Promise<void>((resolve) => {
        const tick = (_n: number, meta: { mediaTime: number }) => (meta.mediaTime >= target - 0.05 ? resolve() : v.requestVideoFrameCallback(tick));
        v.requestVideoFrameCallback(tick);
      });
      return { ms: performance.now() - t0, currentTime: v.currentTime, width: v.videoWidth };
    }, to);
  }

  it.each(['bf', 'avc'])('%s: plays across joins in one buffered range, decode time continuous, seeks', async (cam) => {
    const segs = rows[cam]!;
    const page = await openPlayer(cam);
    const durations = await Promise.all(segs.map(videoSeconds));
    // Past two joins: the end of the second segment in the playlist's timeline, plus a little.
    const pastTwoJoins = durations[0]! + durations[1]! + 0.3;
    await waitFor(`playback of ${cam} past two joins`, async () => (await result(page)).currentTime > pastTwoJoins || undefined, { timeoutMs: 30_000, intervalMs: 200 });
    const r = await result(page);
    expect(r.errors).toEqual([]);
    expect(r.firstFrameMs).toBeGreaterThan(0);
    // One run (no gap): the buffer is one continuous range the whole time.
    expect(new Set(r.bufferedLengths.filter((n) => n > 0))).toEqual(new Set([1]));
    // hls.js never had to move a segment: each one's decode time starts where the one before
    // ended (without the tfdt rewrite, B-frame segments each start 2 frames late and drift).
    const frags = r.frags.sort((a, b) => a.sn - b.sn);
    expect(frags.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < frags.length; i++) {
      if (frags[i]!.sn !== frags[i - 1]!.sn + 1 || frags[i]!.cc !== frags[i - 1]!.cc) continue;
      expect(Math.abs(frags[i]!.startDTS - frags[i - 1]!.startDTS - durations[frags[i - 1]!.sn]!)).toBeLessThan(0.002);
    }
    // Seek to an instant in the last full segment and play from there.
    const target = durations.slice(0, segs.length - 2).reduce((n, d) => n + d, 0) + 1.3;
    const s = await seek(page, target);
    expect(Math.abs(s.currentTime - target)).toBeLessThan(0.5);
    await waitFor('playing after the seek', async () => (await result(page)).currentTime > target + 0.4 || undefined, { timeoutMs: 10_000, intervalMs: 100 });
    if (cam === 'avc') expect(s.width).toBe(1280); // the camera switched to its alternate size before the end
    const after = await result(page);
    expect(after.errors).toEqual([]);
    figures.push(`  ${cam}: first frame ${r.firstFrameMs.toFixed(0)} ms after load, seek to ${target.toFixed(1)} s shown in ${s.ms.toFixed(0)} ms, ${frags.length} segments parsed`);
    await page.close();
  }, 60_000);

  it('a clip across the resolution switch plays in a plain <video> (byte ranges), and seeks to its end at the new size', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    const r = await page.evaluate(async () => {
      const v = document.getElementById('v') as HTMLVideoElement & { requestVideoFrameCallback(cb: () => void): void };
      v.src = '/cams/avc/clip.mp4';
      await new Promise<void>((resolve, reject) => {
        v.onloadedmetadata = () => resolve();
        v.onerror = () => reject(new Error(`media error ${v.error?.code}: ${v.error?.message}`));
      });
      const first = { duration: v.duration, width: v.videoWidth };
      await v.play();
      const t0 = performance.now();
      v.currentTime = v.duration - 1.5;
      await new Promise<void>((resolve) => v.addEventListener('seeked', () => resolve(), { once: true }));
      await new Promise<void>((resolve) => v.requestVideoFrameCallback(() => resolve()));
      return { ...first, seekMs: performance.now() - t0, end: { width: v.videoWidth, error: v.error?.message ?? null } };
    });
    const segs = rows.avc!;
    const askedSec = (segs[segs.length - 1]!.startMs + segs[segs.length - 1]!.durationMs - 200 - segs[0]!.startMs - 500) / 1000;
    expect(Math.abs(r.duration - askedSec)).toBeLessThanOrEqual(2);
    expect(r.width).toBe(1920);
    expect(r.end).toEqual({ width: 1280, error: null });
    figures.push(`  clip (${r.duration.toFixed(1)} s, progressive MP4 over byte ranges): seek to its end shown in ${r.seekMs.toFixed(0)} ms`);
    await page.close();
  }, 60_000);
});
