import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createRoute, z } from '@hono/zod-openapi';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRoute } from '../../api/route-def.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { GapsRepo, type GapRecord } from '../../src/db/gaps-repo.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { toIsoInZone } from '../../src/time.ts';
import { waitFor } from '../helpers/wait.ts';
import { problemOf, type Credential } from './api-harness.ts';
import { startRecordedApi, type RecordedApi } from './api-footage-harness.ts';

/**
 * HLS playback and thumbnails over real HTTP against a real recording: an H.264 camera with
 * B-frames and G.711 audio (the source whose segments hls.js cannot join unless decode time
 * is continuous), 4 s segments, one outage (a gap, so a discontinuity). The playlist is parsed
 * and its byte ranges checked against the stored objects; the served segments' tfdt are read
 * with a parser of this file (not the one that rewrote them); hls.js in Debian's Chromium plays
 * the real API routes with a session cookie.
 */
const CAM = 'quay-bf';
const TZ = 'Asia/Ho_Chi_Minh';
const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HLS_JS = readFileSync(path.join(repoRoot, 'node_modules/hls.js/dist/hls.min.js'), 'utf8');
const PAGE = '<!doctype html><meta charset="utf-8"><video id="v" muted playsinline width="640"></video><script src="/test/hls.js"></script>';

let r: RecordedApi;
let token: Credential;
let segs: SegmentRecord[];
let gaps: GapRecord[];
let outage: GapRecord;
let firstRun: SegmentRecord[];
let browser: Browser | undefined;

const endOf = (s: SegmentRecord) => s.startMs + s.durationMs;
const q = (startMs: number, endMs: number) => `?start=${encodeURIComponent(toIsoInZone(startMs, TZ))}&end=${encodeURIComponent(toIsoInZone(endMs, TZ))}`;
const playlistPath = (startMs: number, endMs: number) => `/api/v1/cameras/${CAM}/playback.m3u8${q(startMs, endMs)}`;
const get = (p: string, headers: Record<string, string> = {}) => r.h.fetch(p, { headers: { ...token.headers(), ...headers } });

const testPage = () => [
  defineRoute(createRoute({ method: 'get', path: '/test/player', responses: { 200: { description: 'test page' } } }), { public: true, why: 'test page' }, (c) => c.html(PAGE)),
  defineRoute(createRoute({ method: 'get', path: '/test/hls.js', responses: { 200: { description: 'hls.js' } } }), { public: true, why: 'test page' }, (c) => c.body(HLS_JS, 200, { 'content-type': 'text/javascript' })),
];

beforeAll(async () => {
  r = await startRecordedApi({ cameras: [defaultSpec(0, { id: CAM, video: 'h264-bframes', audio: 'pcma' })], extraRoutes: testPage });
  const segments = new SegmentsRepo(r.rec.db, () => Date.now());
  const count = async (fromMs: number) => (await segments.overlapping(CAM, { startMs: fromMs, endMs: Number.MAX_SAFE_INTEGER })).filter((s) => s.startMs >= fromMs).length;
  await waitFor('three segments', async () => (await count(0)) >= 3, { timeoutMs: 40_000, intervalMs: 250 });
  const outageAt = Date.now();
  r.rec.sim.camera(CAM).faults.set({ refuse: true }, 3_000);
  r.rec.sim.camera(CAM).faults.dropSessions();
  await waitFor('two segments after the outage', async () => (await count(outageAt + 3_000)) >= 2, { timeoutMs: 40_000, intervalMs: 250 });
  await r.stopRecording();
  segs = await segments.overlapping(CAM, all);
  gaps = await new GapsRepo(r.rec.db, () => Date.now()).overlapping(CAM, all);
  outage = gaps.find((g) => g.reason === 'camera_unreachable' && g.startMs >= outageAt - 2_000)!;
  expect(outage, JSON.stringify(gaps)).toBeDefined();
  firstRun = segs.filter((s) => endOf(s) <= outage.startMs);
  token = await r.h.token(await r.h.createUser({ username: 'chi-hoa', role: 'viewer', sites: ['ward-a'] }));
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await r?.close();
});

interface Entry { uri: string; map: { start: number; length: number }; media: { start: number; length: number }; durationSec: number; discontinuity: boolean }

function parsePlaylist(text: string): { header: string[]; entries: Entry[] } {
  const lines = text.trim().split('\n');
  expect(lines[0]).toBe('#EXTM3U');
  expect(lines.at(-1)).toBe('#EXT-X-ENDLIST');
  const entries: Entry[] = [];
  const header: string[] = [];
  let pending: Partial<Entry> & { discontinuity?: boolean } = {};
  const range = (s: string) => {
    const [len, at] = s.split('@').map(Number);
    return { start: at!, length: len! };
  };
  for (const line of lines) {
    if (line === '#EXT-X-DISCONTINUITY') pending.discontinuity = true;
    else if (line.startsWith('#EXT-X-MAP:')) {
      const m = /^#EXT-X-MAP:URI="([^"]+)",BYTERANGE="(\d+@\d+)"$/.exec(line)!;
      expect(m, line).not.toBeNull();
      pending.map = range(m[2]!);
      pending.uri = m[1]!;
    } else if (line.startsWith('#EXTINF:')) pending.durationSec = Number(line.slice(8).replace(/,$/, ''));
    else if (line.startsWith('#EXT-X-BYTERANGE:')) pending.media = range(line.slice(17));
    else if (!line.startsWith('#')) {
      expect(line).toBe(pending.uri);
      entries.push({ discontinuity: false, ...pending } as Entry);
      pending = {};
    } else if (entries.length === 0 && !pending.map) header.push(line);
  }
  return { header, entries };
}

async function storedBytes(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await r.h.store.get(key)) as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Boxes of buf[from, to): type, payload start and end. */
function* boxes(buf: Buffer, from = 0, to = buf.length): Generator<{ type: string; start: number; end: number; payload: number }> {
  for (let at = from; at + 8 <= to; ) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) (size = Number(buf.readBigUInt64BE(at + 8))), (header = 16);
    if (size < header) return;
    yield { type: buf.toString('latin1', at + 4, at + 8), start: at, end: at + size, payload: at + header };
    at += size;
  }
}
const child = (buf: Buffer, b: { payload: number; end: number }, type: string) => [...boxes(buf, b.payload, b.end)].find((x) => x.type === type);

/** Per track: trex default duration and handler, from the init. */
function initTracks(init: Buffer): Map<number, { handler: string; defaultDuration: number }> {
  const moov = [...boxes(init)].find((b) => b.type === 'moov')!;
  const out = new Map<number, { handler: string; defaultDuration: number }>();
  for (const trak of [...boxes(init, moov.payload, moov.end)].filter((b) => b.type === 'trak')) {
    const tkhd = child(init, trak, 'tkhd')!;
    const id = init.readUInt32BE(tkhd.payload + (init[tkhd.payload] === 1 ? 20 : 12));
    const hdlr = child(init, child(init, trak, 'mdia')!, 'hdlr')!;
    out.set(id, { handler: init.toString('latin1', hdlr.payload + 8, hdlr.payload + 12), defaultDuration: 0 });
  }
  const mvex = child(init, moov, 'mvex');
  for (const trex of mvex ? [...boxes(init, mvex.payload, mvex.end)].filter((b) => b.type === 'trex') : []) {
    const t = out.get(init.readUInt32BE(trex.payload + 4));
    if (t) t.defaultDuration = init.readUInt32BE(trex.payload + 12);
  }
  return out;
}

/** Per fragment and track: tfdt and the summed sample durations. */
function fragmentTimes(media: Buffer, tracks: Map<number, { defaultDuration: number }>): Array<Map<number, { tfdt: number; durationTicks: number; samples: number }>> {
  const out: Array<Map<number, { tfdt: number; durationTicks: number; samples: number }>> = [];
  for (const moof of [...boxes(media)].filter((b) => b.type === 'moof')) {
    const frag = new Map<number, { tfdt: number; durationTicks: number; samples: number }>();
    for (const traf of [...boxes(media, moof.payload, moof.end)].filter((b) => b.type === 'traf')) {
      const tfhd = child(media, traf, 'tfhd')!;
      const tfhdFlags = media.readUInt32BE(tfhd.payload) & 0xffffff;
      const trackId = media.readUInt32BE(tfhd.payload + 4);
      let o = tfhd.payload + 8 + (tfhdFlags & 0x1 ? 8 : 0) + (tfhdFlags & 0x2 ? 4 : 0);
      const defaultDuration = tfhdFlags & 0x8 ? media.readUInt32BE(o) : (tracks.get(trackId)?.defaultDuration ?? 0);
      const tfdtBox = child(media, traf, 'tfdt')!;
      const tfdt = media[tfdtBox.payload] === 1 ? Number(media.readBigUInt64BE(tfdtBox.payload + 4)) : media.readUInt32BE(tfdtBox.payload + 4);
      let durationTicks = 0;
      let samples = 0;
      for (const trun of [...boxes(media, traf.payload, traf.end)].filter((b) => b.type === 'trun')) {
        const flags = media.readUInt32BE(trun.payload) & 0xffffff;
        const n = media.readUInt32BE(trun.payload + 4);
        o = trun.payload + 8 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
        const per = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
        for (let i = 0; i < n; i++) durationTicks += flags & 0x100 ? media.readUInt32BE(o + i * per) : defaultDuration;
        samples += n;
      }
      frag.set(trackId, { tfdt, durationTicks, samples });
    }
    out.push(frag);
  }
  return out;
}

describe('playback over the API', () => {
  it('the playlist lists every stored segment by byte ranges of its object, with a discontinuity at the gap and a start offset', async () => {
    const startMs = segs[0]!.startMs + 1_500;
    const endMs = endOf(segs[segs.length - 1]!);
    const res = await get(playlistPath(startMs, endMs));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const { header, entries } = parsePlaylist(await res.text());
    expect(header).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(header).toContain('#EXT-X-START:TIME-OFFSET=1.500,PRECISE=YES');
    expect(entries.length).toBe(segs.length);
    entries.forEach((e, i) => {
      const s = segs[i]!;
      expect(e.uri).toBe(`playback/segments/${s.startMs}-${s.durationMs}.mp4?run=${e.uri.match(/run=(\d+)/)![1]}&first=${e.uri.endsWith('first=1') ? 1 : 0}`);
      expect(e.map).toEqual({ start: 0, length: s.initBytes });
      expect(e.media).toEqual({ start: s.initBytes, length: s.sizeBytes - s.initBytes });
      expect(e.durationSec).toBeCloseTo(s.durationMs / 1000, 3);
    });
    // The first run ends at the outage: the first segment after it opens a new run.
    const afterGap = segs.findIndex((s) => s.startMs >= outage.endMs);
    expect(entries.map((e, i) => [i, e.discontinuity]).filter(([, d]) => d)).toEqual([[afterGap, true]]);
    expect(entries[afterGap]!.uri).toContain(`run=${segs[afterGap]!.startMs}&first=1`);
    expect(entries[1]!.uri).toContain(`run=${segs[0]!.startMs}&first=0`);
  });

  it('serves each segment as stored except its tfdt: decode time runs on across the joins of a run (no hole)', async () => {
    const { entries } = parsePlaylist(await (await get(playlistPath(firstRun[0]!.startMs, endOf(firstRun[firstRun.length - 1]!)))).text());
    expect(entries.length).toBe(firstRun.length);
    const base = `/api/v1/cameras/${CAM}/`;
    const ends: Array<Map<number, { first: number; end: number }>> = [];
    let tracks: Map<number, { handler: string; defaultDuration: number }> | undefined;
    for (const [i, e] of entries.entries()) {
      const stored = await storedBytes(firstRun[i]!.objectKey);
      const mapRes = await get(base + e.uri, { range: `bytes=${e.map.start}-${e.map.start + e.map.length - 1}` });
      expect(mapRes.status).toBe(206);
      const init = Buffer.from(await mapRes.arrayBuffer());
      expect(init.equals(stored.subarray(0, e.map.length))).toBe(true);
      const mediaRes = await get(base + e.uri, { range: `bytes=${e.media.start}-${e.media.start + e.media.length - 1}` });
      expect(mediaRes.status).toBe(206);
      expect(mediaRes.headers.get('content-range')).toBe(`bytes ${e.media.start}-${e.media.start + e.media.length - 1}/${stored.length}`);
      const media = Buffer.from(await mediaRes.arrayBuffer());
      expect(media.length).toBe(e.media.length);
      tracks ??= initTracks(init);
      const served = fragmentTimes(media, tracks);
      const original = fragmentTimes(stored.subarray(e.map.length), tracks);
      expect(served.length).toBe(original.length);
      const seg = new Map<number, { first: number; end: number }>();
      for (const id of tracks.keys()) {
        const shift = served[0]!.get(id)!.tfdt - original[0]!.get(id)!.tfdt;
        expect(shift).toBeGreaterThan(0); // moved to the run's place (ffmpeg starts each segment near 0)
        // Within the segment only tfdt moved, all by the same amount; sample durations unchanged.
        served.forEach((f, k) => expect([f.get(id)!.tfdt - original[k]!.get(id)!.tfdt, f.get(id)!.durationTicks, f.get(id)!.samples]).toEqual([shift, original[k]!.get(id)!.durationTicks, original[k]!.get(id)!.samples]));
        const last = served[served.length - 1]!.get(id)!;
        seg.set(id, { first: served[0]!.get(id)!.tfdt, end: last.tfdt + last.durationTicks });
      }
      ends.push(seg);
    }
    const video = [...tracks!.entries()].find(([, t]) => t.handler === 'vide')![0];
    const firstFrag = fragmentTimes((await storedBytes(firstRun[1]!.objectKey)).subarray(firstRun[1]!.initBytes), tracks!)[0]!.get(video)!;
    const sampleTicks = firstFrag.durationTicks / firstFrag.samples; // one video frame
    const joins = ends.slice(1).map((s, i) => s.get(video)!.first - ends[i]!.get(video)!.end);
    console.log(`[figures] video decode-time step at the ${joins.length} joins of a run (ticks; one frame = ${sampleTicks}; 0 = continuous): ${joins.join(', ')}`);
    for (const d of joins) {
      expect(d).toBeLessThanOrEqual(0); // never a hole (hls.js stalls on one)
      expect(d).toBeGreaterThanOrEqual(-sampleTicks); // at most a frame of overlap
    }
  });

  it('audits one playback.view per playlist, none per segment', async () => {
    const count = async () => (await r.h.auditRows()).filter((x) => x.action === 'playback.view').length;
    const before = await count();
    const text = await (await get(playlistPath(firstRun[0]!.startMs, endOf(firstRun[1]!)))).text();
    const { entries } = parsePlaylist(text);
    for (const e of entries) await (await get(`/api/v1/cameras/${CAM}/${e.uri}`)).arrayBuffer();
    expect((await count()) - before).toBe(1);
    const row = await r.h.db.selectFrom('audit_log').selectAll().where('action', '=', 'playback.view').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ actor_name: 'chi-hoa', camera_id: CAM, ip: '127.0.0.1', start_ms: firstRun[0]!.startMs, end_ms: endOf(firstRun[1]!) });
  });

  it('refuses a range with no footage (404 naming the gap), a made-up run (400) and an unknown segment (404)', async () => {
    const p = await problemOf(await get(playlistPath(outage.startMs + 200, outage.endMs - 200)));
    expect([p.status, p.code]).toEqual([404, 'not_found']);
    expect(p.detail).toContain(`camera_unreachable from ${toIsoInZone(outage.startMs, TZ)} to ${toIsoInZone(outage.endMs, TZ)}`);
    const s = segs[1]!;
    const badRun = await problemOf(await get(`/api/v1/cameras/${CAM}/playback/segments/${s.startMs}-${s.durationMs}.mp4?run=${s.startMs + 1}&first=0`));
    expect([badRun.status, badRun.code]).toEqual([400, 'invalid_request']);
    const unknown = await problemOf(await get(`/api/v1/cameras/${CAM}/playback/segments/${s.startMs + 1}-${s.durationMs}.mp4?run=${s.startMs}&first=0`));
    expect([unknown.status, unknown.code]).toEqual([404, 'not_found']);
    const badName = await problemOf(await get(`/api/v1/cameras/${CAM}/playback/segments/x.mp4?run=1&first=0`));
    expect([badName.status, badName.code]).toEqual([400, 'invalid_request']);
  });
});

describe('thumbnails over the API', () => {
  it('a JPEG of the asked width from the keyframe at or before the instant, audited', async () => {
    const at = firstRun[1]!.startMs + 2_700;
    const res = await get(`/api/v1/cameras/${CAM}/thumbnail?at=${encodeURIComponent(toIsoInZone(at, TZ))}&width=160`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(jpeg.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect([res.headers.get('vigil-frame-width'), res.headers.get('vigil-frame-height')]).toEqual(['160', '90']);
    const frameMs = Date.parse(res.headers.get('vigil-frame-time')!);
    expect(frameMs).toBeLessThanOrEqual(at);
    expect(at - frameMs).toBeLessThan(2_000);
    const row = await r.h.db.selectFrom('audit_log').selectAll().where('action', '=', 'thumbnail.view').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ actor_name: 'chi-hoa', camera_id: CAM, start_ms: frameMs, end_ms: frameMs + 1 });
    const inGap = await problemOf(await get(`/api/v1/cameras/${CAM}/thumbnail?at=${encodeURIComponent(toIsoInZone(outage.startMs + 500, TZ))}`));
    expect([inGap.status, inGap.code]).toEqual([404, 'not_found']);
    const wide = await problemOf(await get(`/api/v1/cameras/${CAM}/thumbnail?at=${encodeURIComponent(toIsoInZone(at, TZ))}&width=5000`));
    expect([wide.status, wide.code]).toEqual([400, 'invalid_request']);
  });
});

describe('hls.js in Chromium against the real API routes', () => {
  it('plays a run across its joins in one buffered range, then across the gap, with a session cookie', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const session = await r.h.session(token.user);
    const context = await browser.newContext();
    await context.addCookies([{ name: 'vigil_session', value: session.headers().cookie!.split('=')[1]!, url: r.h.url }]);
    const page = await context.newPage();
    await page.goto(`${r.h.url}/test/player`);
    const src = playlistPath(firstRun[0]!.startMs, endOf(segs[segs.length - 1]!));
    await page.evaluate((url) => {
      const w = window as unknown as Record<string, unknown> & { Hls: any };
      const v = document.getElementById('v') as HTMLVideoElement;
      const state = { errors: [] as string[], buffered: [] as number[], t0: performance.now(), firstFrameMs: -1 };
      w.state = state;
      const hls = new w.Hls();
      hls.on(w.Hls.Events.ERROR, (_e: unknown, d: { details: string; fatal: boolean }) => state.errors.push(`${d.details}${d.fatal ? ' (fatal)' : ''}`));
      (v as unknown as { requestVideoFrameCallback(cb: () => void): void }).requestVideoFrameCallback(() => (state.firstFrameMs = performance.now() - state.t0));
      setInterval(() => state.buffered.push(v.buffered.length), 200);
      hls.loadSource(url);
      hls.attachMedia(v);
      void v.play();
    }, src);
    const state = () =>
      page.evaluate(() => {
        const v = document.getElementById('v') as HTMLVideoElement;
        const s = (window as unknown as { state: { errors: string[]; buffered: number[]; firstFrameMs: number } }).state;
        return { ...s, currentTime: v.currentTime, width: v.videoWidth };
      });
    const runSec = firstRun.reduce((n, s) => n + s.durationMs, 0) / 1000;
    const pastTwoJoins = (firstRun[0]!.durationMs + firstRun[1]!.durationMs) / 1000 + 0.3;
    await waitFor('playback past two joins', async () => (await state()).currentTime > pastTwoJoins || undefined, { timeoutMs: 30_000, intervalMs: 200 });
    const inRun = await state();
    expect(inRun.errors).toEqual([]);
    expect(inRun.width).toBe(1920);
    expect(new Set(inRun.buffered.filter((n) => n > 0))).toEqual(new Set([1]));
    // Across the gap (a discontinuity): seek to a second before the run's end and play into the next run.
    await page.evaluate((t) => {
      (document.getElementById('v') as HTMLVideoElement).currentTime = t;
    }, runSec - 1);
    await waitFor('playback into the run after the gap', async () => (await state()).currentTime > runSec + 1 || undefined, { timeoutMs: 20_000, intervalMs: 200 });
    const after = await state();
    expect(after.errors.filter((e) => e.includes('fatal'))).toEqual([]);
    console.log(`[figures] hls.js over the API: first frame ${inRun.firstFrameMs.toFixed(0)} ms after load; non-fatal hls.js events: ${JSON.stringify(after.errors)}`);
    await page.close();
  }, 90_000);
});
