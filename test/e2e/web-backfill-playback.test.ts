import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { launchChromium, officePage, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { startVigil, waitForRecording, type VigilUnderTest } from '../helpers/vigil-process.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { waitFor } from '../helpers/wait.ts';
import { ADMIN, loginAs, longestSkipMs, playingAt, type ShownSample } from './web-fixture.ts';

// The last "done when" of edge backfill, as a complaint handler meets it: a counter camera
// with an SD card (H.264 + G.711 audio, like the office cameras) loses its network for 20 s;
// the whole Vigil (`vigil` process, real ffmpeg, the simulator's ONVIF Profile G replay) fills
// the gap from the card; then, in Debian's Chromium, playback from before the former gap runs
// straight through it (hls.js over the playlist the camera page asks for) and a clip across it
// is one playable file.
const CAM = defaultSpec(0, { id: 'mot-cua-quay-5', name: 'Quầy số 5', audio: 'pcma', edge: { retentionMs: 3_600_000 } });
const CUT_MS = 20_000;
const run = promisify(execFile);

interface Timeline {
  spans: Array<{ startMs: number; endMs: number; source: string }>;
  gaps: Array<{ startMs: number; endMs: number; reason: string }>;
}

describe('web UI: playback straight through a gap closed by edge backfill', () => {
  let vigil: VigilUnderTest;
  let browser: Browser;
  let auth: { cookie: string; csrf: string };
  let cutAtMs = 0;
  let backAtMs = 0;
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-bf-'));

  const timeline = async (startMs: number, endMs: number): Promise<Timeline> => {
    const q = `start=${encodeURIComponent(new Date(startMs).toISOString())}&end=${encodeURIComponent(new Date(endMs).toISOString())}`;
    const res = await fetch(`${vigil.url}/api/v1/cameras/${CAM.id}/timeline?${q}`, { headers: { cookie: auth.cookie } });
    if (!res.ok) throw new Error(`timeline: ${res.status} ${await res.text()}`);
    return (await res.json()) as Timeline;
  };

  beforeAll(async () => {
    await ensureWebBuilt();
    [vigil, browser] = await Promise.all([
      startVigil({
        cameras: [CAM],
        sites: [{ id: 'mot-cua', name: 'Bộ phận Một cửa' }],
        cameraSites: { [CAM.id]: 'mot-cua' },
        admin: ADMIN,
        config: { backfill: { settle: '1s', maxBytesPerSec: null } },
      }),
      launchChromium(),
    ]);
    auth = await vigil.login(ADMIN.username, ADMIN.password);
    await waitForRecording(vigil, auth, [CAM.id], 8_000);
    cutAtMs = Date.now();
    vigil.sim.camera(CAM.id).faults.set({ networkCut: true }, CUT_MS);
    // The outage is a gap first (the ops page sees it), then backfill closes it.
    await waitFor('the network cut to show as a gap', async () => (await timeline(cutAtMs - 5_000, Date.now())).gaps.length > 0, { timeoutMs: 40_000, intervalMs: 500 });
    let seen: Timeline | null = null;
    await waitFor('recording again after the cut', async () => {
      seen = await timeline(cutAtMs - 5_000, Date.now());
      return seen.spans.some((s) => s.source === 'live' && s.endMs > cutAtMs + CUT_MS + 4_000);
    }, { timeoutMs: 90_000, intervalMs: 500 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(seen)}\n${vigil.output().split('\n').filter((l) => /mot-cua/.test(l)).slice(-15).join('\n')}`);
    });
    backAtMs = Date.now();
    // Done when the recovered footage stands where the gap was, all but what no replay can
    // bring back (before the card's first keyframe in the gap: under one GOP, 2 s); the job
    // indexes segment by segment, so the first backfilled span is not the end of it.
    await waitFor('backfilled footage in place of the gap', async () => {
      const t = await timeline(cutAtMs - 5_000, backAtMs);
      const recovered = t.spans.filter((s) => s.source === 'backfill').reduce((n, s) => n + s.endMs - s.startMs, 0);
      const lost = t.gaps.reduce((n, g) => n + g.endMs - g.startMs, 0);
      return recovered > CUT_MS - 4_000 && lost <= 2_100 ? t : null;
    }, { timeoutMs: 120_000, intervalMs: 500 }).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(await timeline(cutAtMs - 5_000, backAtMs))}\n${vigil.output().split('\n').filter((l) => /backfill|edge|replay/i.test(l)).slice(-20).join('\n')}`);
    });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the recovered stretch, plays through it without a jump, and cuts one clip across it', async () => {
    const t = await timeline(cutAtMs - 5_000, backAtMs);
    const back = t.spans.filter((s) => s.source === 'backfill');
    const recoveredStartMs = back[0]!.startMs;
    const recoveredEndMs = back[back.length - 1]!.endMs;
    // What a replay cannot bring back: the frames before the card's first keyframe in the gap
    // (GOP 2 s) stay a gap with their reason; nothing else.
    for (const g of t.gaps) {
      expect(g.reason).toMatch(/^(camera_unreachable|stream_stalled|stream_error)$/);
      expect(g.endMs - g.startMs, JSON.stringify(t)).toBeLessThanOrEqual(2_100);
    }

    // The page's playlist lists what is indexed when it is asked for: wait until live footage
    // reaches past where the test stops watching, so one playlist holds the whole way.
    await waitFor('live footage 5 s past the recovered stretch', async () => (await timeline(recoveredEndMs, Date.now())).spans.some((s) => s.source === 'live' && s.endMs > recoveredEndMs + 5_000), { timeoutMs: 30_000, intervalMs: 500 });

    const { page, problems } = await officePage(browser, vigil.url);
    await loginAs(page, ADMIN);
    const fromMs = recoveredStartMs - 4_000;
    await page.goto(`/cameras/${CAM.id}?at=${fromMs}&zoom=hour`);
    await page.locator('.timeline-bar .block.span-backfill').first().waitFor();

    // Playing from 4 s before the recovered stretch to 3 s past its end, sampled every 250 ms:
    // the shown time (the player's position on the wall clock) moves on by small steps, never
    // jumps over the stretch, and the video element keeps playing.
    const videoState = () => page.evaluate(() => {
      const el = document.querySelector<HTMLVideoElement>('[data-testid=playback-video]');
      return el ? { t: el.currentTime, paused: el.paused, rs: el.readyState, err: el.error?.message, note: document.querySelector('.player-box')?.textContent, buffered: Array.from({ length: el.buffered.length }, (_, i) => [el.buffered.start(i), el.buffered.end(i)]) } : null;
    });
    await page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid=playback-video]');
      return !!v && !v.paused && v.readyState >= 3 && v.currentTime > 0.5;
    }, undefined, { timeout: 30_000, polling: 100 }).catch(async (e: Error) => {
      await screenshot(page, 'web-backfill-playback-failed');
      throw new Error(`${e.message}: video ${JSON.stringify(await videoState())}; page problems ${JSON.stringify(problems)}`);
    });
    const samples: ShownSample[] = [];
    await waitFor('playback to pass the recovered stretch', async () => {
      samples.push({ shownMs: await playingAt(page), atMs: Date.now() });
      return samples[samples.length - 1]!.shownMs >= recoveredEndMs + 3_000;
    }, { timeoutMs: (recoveredEndMs - fromMs) + 40_000, intervalMs: 250 }).catch(async (e: Error) => {
      await screenshot(page, 'web-backfill-playback-failed');
      throw new Error(`${e.message}: last shown ${samples.slice(-5).map((s) => s.shownMs - recoveredStartMs).join(', ')} ms after the stretch's start; video ${JSON.stringify(await videoState())}; page problems ${JSON.stringify(problems)}`);
    });
    await screenshot(page, 'web-backfill-playback');
    const steps = samples.slice(1).map((s, i) => s.shownMs - samples[i]!.shownMs);
    // Times relative to the stretch's start, for a failure to be read against the timeline.
    const rel = (ms: number) => ms - recoveredStartMs;
    const seen = `shown ${samples.map((s) => rel(s.shownMs)).join(',')}; spans ${t.spans.map((s) => `${s.source}[${rel(s.startMs)},${rel(s.endMs)})`).join(' ')}; gaps ${t.gaps.map((g) => `${g.reason}[${rel(g.startMs)},${rel(g.endMs)})`).join(' ')}`;
    // The only skip allowed is over what stayed a gap (under one GOP, before the stretch; its
    // reasons may split it in two): the player steps over it. Beyond it, 1 s of display resolution and 300 ms for the
    // shown time being updated on the video's timeupdate (every 250 ms at most).
    const sorted = [...t.spans].sort((a, b) => a.startMs - b.startMs);
    const longestGapMs = Math.max(0, ...sorted.slice(1).map((s, i) => s.startMs - sorted[i]!.endMs));
    expect(longestSkipMs(samples), seen).toBeLessThanOrEqual(longestGapMs + 1_300);
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(0);
    // Seconds of the recovered stretch shown on the way (the display has 1 s resolution).
    const shownInside = new Set(samples.map((s) => s.shownMs).filter((ms) => ms >= recoveredStartMs && ms < recoveredEndMs).map((ms) => Math.floor(ms / 1000)));
    expect(shownInside.size).toBeGreaterThanOrEqual(Math.floor((recoveredEndMs - recoveredStartMs) / 1000) - 3);
    expect(unexpectedErrors(problems)).toEqual([]);

    // One clip from before the stretch to after it: one file that decodes without an error,
    // as long as the range, with the recovered part named in its headers.
    const q = `start=${encodeURIComponent(new Date(fromMs).toISOString())}&end=${encodeURIComponent(new Date(recoveredEndMs + 3_000).toISOString())}`;
    const res = await fetch(`${vigil.url}/api/v1/cameras/${CAM.id}/clip?${q}`, { headers: { cookie: auth.cookie } });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('vigil-backfilled-count'))).toBeGreaterThanOrEqual(1);
    // Recovered and live segments share the 90 kHz video clock: joined by fragment copy.
    expect(res.headers.get('vigil-assembly')).toBe('fragment_copy');
    const file = path.join(work, 'clip.mp4');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    const probe = await ffprobe(file);
    expect(probe.streams.map((s) => s.codec_type).sort()).toContain('video');
    expect(Number(probe.format.duration)).toBeGreaterThan((recoveredEndMs + 3_000 - fromMs) / 1000 - 2.5);
    const decoded = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(decoded.stderr.trim()).toBe('');
  }, 180_000);
});
