import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { GapsRepo, type GapRecord } from '../../src/db/gaps-repo.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { toIsoInZone } from '../../src/time.ts';
import { waitFor } from '../helpers/wait.ts';
import { problemOf, type Credential } from './api-harness.ts';
import { decodeErrors, frameSizes, probe, startRecordedApi, type RecordedApi } from './api-footage-harness.ts';

/**
 * GET /cameras/{id}/clip over real HTTP against a real recording: one simulated H.264 camera
 * with B-frames and G.711 audio, recorded by the real recorder (4 s segments, fs store, SQLite)
 * through an outage (`refuse` for 3 s: a camera_unreachable gap) and a reconnect at another
 * resolution (`altResolution` + the sessions dropped). Every clip is checked with ffprobe and
 * ffmpeg. Ends with figures for a 10-minute clip through the API (printed, not asserted).
 */
const CAM = 'quay-1';
const TZ = 'Asia/Ho_Chi_Minh';
const GOP_SEC = 2;
const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

let r: RecordedApi;
let cred: Credential;
let segs: SegmentRecord[];
let gaps: GapRecord[];
let outage: GapRecord;
let switchAtMs: number;
let work: string;

const endOf = (s: SegmentRecord) => s.startMs + s.durationMs;
const q = (startMs: number, endMs: number) => `?start=${encodeURIComponent(toIsoInZone(startMs, TZ))}&end=${encodeURIComponent(toIsoInZone(endMs, TZ))}`;
const clipUrl = (startMs: number, endMs: number, cam = CAM) => `/api/v1/cameras/${cam}/clip${q(startMs, endMs)}`;
const get = (url: string, headers: Record<string, string> = {}) => r.h.fetch(url, { headers: { ...cred.headers(), ...headers } });

async function saveClip(url: string, name: string) {
  const res = await get(url);
  expect(res.status, await res.clone().text().then((t) => t.slice(0, 300))).toBe(200);
  const buf = Buffer.from(await res.arrayBuffer());
  expect(buf.length).toBe(Number(res.headers.get('content-length')));
  const file = path.join(work, `${name}.mp4`);
  writeFileSync(file, buf);
  return { res, buf, file };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-api-clips-'));
  r = await startRecordedApi({ cameras: [defaultSpec(0, { id: CAM, video: 'h264-bframes', audio: 'pcma' })] });
  const segments = new SegmentsRepo(r.rec.db, () => Date.now());
  const gapsRepo = new GapsRepo(r.rec.db, () => Date.now());
  const footageMs = async (fromMs: number) => (await segments.overlapping(CAM, { startMs: fromMs, endMs: Number.MAX_SAFE_INTEGER })).filter((s) => s.startMs >= fromMs).reduce((n, s) => n + s.durationMs, 0);
  await waitFor('7 s of footage', async () => (await footageMs(0)) >= 7_000, { timeoutMs: 40_000, intervalMs: 250 });
  const cam = r.rec.sim.camera(CAM);
  const outageAt = Date.now();
  cam.faults.set({ refuse: true }, 3_000);
  cam.faults.dropSessions();
  await waitFor('6 s of footage after the outage', async () => (await footageMs(outageAt + 3_000)) >= 6_000, { timeoutMs: 40_000, intervalMs: 250 });
  switchAtMs = Date.now();
  cam.faults.set({ altResolution: true });
  cam.faults.dropSessions();
  await waitFor('6 s of footage after the reconnect at 720p', async () => (await footageMs(switchAtMs)) >= 6_000, { timeoutMs: 40_000, intervalMs: 250 });
  await r.stopRecording(); // ffmpeg finalises; the API goes on serving the recording
  segs = await segments.overlapping(CAM, all);
  gaps = await gapsRepo.overlapping(CAM, all);
  outage = gaps.find((g) => g.reason === 'camera_unreachable' && g.startMs >= outageAt - 2_000)!;
  expect(outage, JSON.stringify(gaps)).toBeDefined();
  const user = await r.h.createUser({ username: 'lan', role: 'investigator', sites: ['district-1'] });
  cred = await r.h.token(user);
}, 150_000);

afterAll(async () => {
  await r?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('GET /cameras/{id}/clip', () => {
  it('inside continuous footage: an MP4 from the keyframe before start, lasting the range within a GOP, saying what it covers', async () => {
    const before = segs.filter((s) => endOf(s) <= outage.startMs);
    const startMs = before[0]!.startMs + 2_500;
    const endMs = Math.min(startMs + 6_000, endOf(before[before.length - 1]!) - 200);
    const { res, file } = await saveClip(clipUrl(startMs, endMs), 'inside');
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="quay-1_\d{8}-\d{6}\.mp4"$/);
    const actualStart = Date.parse(res.headers.get('vigil-actual-start')!);
    const actualEnd = Date.parse(res.headers.get('vigil-actual-end')!);
    expect(res.headers.get('vigil-actual-start')).toMatch(/\+07:00$/);
    expect(actualStart).toBeLessThanOrEqual(startMs);
    expect(startMs - actualStart).toBeLessThan(GOP_SEC * 1000);
    expect(actualEnd).toBeGreaterThanOrEqual(endMs);
    expect(JSON.parse(res.headers.get('vigil-gaps')!)).toEqual([]);
    const p = await probe(file);
    expect(p.video).toMatchObject({ codec: 'h264', width: 1920, height: 1080 });
    expect(p.audio).toMatchObject({ codec: 'aac' });
    expect(Math.abs(p.durationSec - (endMs - startMs) / 1000)).toBeLessThanOrEqual(GOP_SEC);
    expect(await decodeErrors(file)).toBe('');
  });

  it('across the outage: one file that plays straight through, its gap named in Vigil-Gaps with the reason and times', async () => {
    const startMs = outage.startMs - 3_000;
    const endMs = outage.endMs + 3_000;
    const inside = gaps.filter((g) => g.startMs < endMs && g.endMs > startMs);
    const { res, file } = await saveClip(clipUrl(startMs, endMs), 'outage');
    const listed = JSON.parse(res.headers.get('vigil-gaps')!) as Array<{ start: string; end: string; reason: string }>;
    expect(listed.map((g) => g.reason)).toEqual(inside.map((g) => g.reason));
    expect(listed.map((g) => [Date.parse(g.start), Date.parse(g.end)])).toEqual(inside.map((g) => [Math.max(g.startMs, startMs), Math.min(g.endMs, endMs)]));
    expect(res.headers.get('vigil-gap-count')).toBe(String(inside.length));
    const gapMs = inside.reduce((n, g) => n + Math.min(g.endMs, endMs) - Math.max(g.startMs, startMs), 0);
    const p = await probe(file);
    // The file covers what the server says: from the keyframe at or before the asked start (at
    // most a GOP earlier) to the end of the fragment holding the asked end (at most a second
    // later), less the squashed gap; the join after a gap may add a few frames so that no two
    // frames are shown at the same instant.
    const actualStart = Date.parse(res.headers.get('vigil-actual-start')!);
    const actualEnd = Date.parse(res.headers.get('vigil-actual-end')!);
    expect(startMs - actualStart).toBeGreaterThanOrEqual(0);
    expect(startMs - actualStart).toBeLessThanOrEqual(GOP_SEC * 1000);
    expect(actualEnd - endMs).toBeLessThanOrEqual(1_500);
    expect(Math.abs(p.durationSec - (actualEnd - actualStart - gapMs) / 1000)).toBeLessThanOrEqual(1);
    expect(await decodeErrors(file)).toBe('');
  });

  it('across the reconnect at another resolution: one file, decodes, 1080p then 720p', async () => {
    const before = segs.filter((s) => endOf(s) <= switchAtMs).at(-1)!;
    const after = segs.filter((s) => s.startMs >= switchAtMs);
    const startMs = before.startMs + 500;
    const endMs = endOf(after[after.length - 1]!) - 500;
    const { res, file } = await saveClip(clipUrl(startMs, endMs), 'switch');
    expect(await decodeErrors(file)).toBe('');
    const sizes = await frameSizes(file);
    expect(sizes[0]!.size).toBe('1920x1080');
    expect(sizes[sizes.length - 1]!.size).toBe('1280x720');
    expect(sizes.length).toBe(2);
    const gapMs = (JSON.parse(res.headers.get('vigil-gaps')!) as Array<{ start: string; end: string }>).reduce((n, g) => n + Date.parse(g.end) - Date.parse(g.start), 0);
    const p = await probe(file);
    expect(Math.abs(p.durationSec - (endMs - startMs - gapMs) / 1000)).toBeLessThanOrEqual(GOP_SEC);
  });

  it('a range entirely inside the outage: 404 problem naming the gap, its reason and times', async () => {
    const res = await get(clipUrl(outage.startMs + 200, outage.endMs - 200));
    expect(res.status).toBe(404);
    const p = await problemOf(res);
    expect(p.code).toBe('not_found');
    expect(p.detail).toContain(`camera_unreachable from ${toIsoInZone(outage.startMs, TZ)} to ${toIsoInZone(outage.endMs, TZ)}`);
    expect(p.gaps).toEqual([{ start: toIsoInZone(outage.startMs, TZ), startMs: outage.startMs, end: toIsoInZone(outage.endMs, TZ), endMs: outage.endMs, reason: 'camera_unreachable' }]);
  });

  it('refuses what cannot be a clip, saying why: start ≥ end, longer than api.maxClipMs, malformed times (400); unknown camera (404, as out of scope)', async () => {
    const s = segs[1]!.startMs;
    const reversed = await problemOf(await get(clipUrl(s + 5_000, s)));
    expect([reversed.status, reversed.code, reversed.detail]).toEqual([400, 'invalid_range', 'clip: start must be before end']);
    expect(reversed.invalidParams).toEqual([{ name: 'end', in: 'query', reason: 'must be after start' }]);
    const empty = await problemOf(await get(clipUrl(s, s)));
    expect([empty.status, empty.code]).toEqual([400, 'invalid_range']);
    const long = await problemOf(await get(clipUrl(s, s + 3_600_000 + 1)));
    expect([long.status, long.code, long.maxRangeMs]).toEqual([400, 'invalid_range', 3_600_000]);
    expect(long.detail).toContain('longer than the 60 minutes allowed');
    const bad = await problemOf(await get(`/api/v1/cameras/${CAM}/clip?start=2026-03-03T09:40:00&end=tomorrow`));
    expect([bad.status, bad.code]).toEqual([400, 'invalid_request']);
    expect((bad.invalidParams as Array<{ name: string; reason: string }>).map((p) => [p.name, p.reason])).toEqual([
      ['start', '"2026-03-03T09:40:00" is not an ISO 8601 time with an offset; write e.g. 2026-03-03T09:40:00+07:00'],
      ['end', '"tomorrow" is not an ISO 8601 time with an offset; write e.g. 2026-03-03T09:45:00+07:00'],
    ]);
    const unknown = await problemOf(await get(clipUrl(s, s + 5_000, 'no-such-camera')));
    expect([unknown.status, unknown.code, unknown.detail]).toEqual([404, 'not_found', 'there is no camera "no-such-camera" that you may see']);
  });

  it('byte ranges: 206 slices equal to the same bytes of the whole clip; 416 past the end; several ranges answered whole', async () => {
    const url = clipUrl(segs[0]!.startMs + 500, endOf(segs[segs.length - 1]!) - 500);
    const { buf: whole } = await saveClip(url, 'ranges');
    const size = whole.length;
    for (const [header, start, end] of [
      ['bytes=0-0', 0, 0],
      ['bytes=1000-200999', 1000, 200_999],
      [`bytes=${Math.floor(size / 2)}-`, Math.floor(size / 2), size - 1],
      ['bytes=-5000', size - 5000, size - 1],
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
    ] as const) {
      const res = await get(url, { range: header });
      expect(res.status, header).toBe(206);
      expect(res.headers.get('content-range'), header).toBe(`bytes ${start}-${end}/${size}`);
      const got = Buffer.from(await res.arrayBuffer());
      expect(got.equals(whole.subarray(start, end + 1)), header).toBe(true);
    }
    const past = await get(url, { range: `bytes=${size}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
    expect((await problemOf(past)).code).toBe('range_not_satisfiable');
    const multi = await get(url, { range: 'bytes=0-10,20-30' });
    expect(multi.status).toBe(200);
    expect(Buffer.from(await multi.arrayBuffer()).equals(whole)).toBe(true);
    // A client that leaves after the first chunk: the server stops reading and goes on serving.
    const abort = new AbortController();
    const left = await r.h.fetch(url, { headers: cred.headers(), signal: abort.signal });
    await left.body!.getReader().read();
    abort.abort();
    const again = await get(url, { range: 'bytes=0-99' });
    expect(Buffer.from(await again.arrayBuffer()).equals(whole.subarray(0, 100))).toBe(true);
  });

  it('audits every clip request (Range requests included) with who, camera, actual range, address and the bytes served', async () => {
    const before = (await r.h.auditRows()).filter((x) => x.action === 'clip.view').length;
    const startMs = segs[1]!.startMs + 100;
    const url = clipUrl(startMs, startMs + 3_000);
    const whole = await get(url);
    await whole.arrayBuffer();
    const part = await get(url, { range: 'bytes=0-99' });
    await part.arrayBuffer();
    await (await get(clipUrl(outage.startMs + 200, outage.endMs - 200))).text(); // 404: no footage served, nothing audited
    const rows = await r.h.db.selectFrom('audit_log').selectAll().where('action', '=', 'clip.view').orderBy('seq').execute();
    expect(rows.length - before).toBe(2);
    const [a, b] = rows.slice(-2);
    for (const row of [a!, b!]) {
      expect(row).toMatchObject({ actor_name: 'lan', camera_id: CAM, ip: '127.0.0.1', start_ms: Date.parse(whole.headers.get('vigil-actual-start')!), end_ms: Date.parse(whole.headers.get('vigil-actual-end')!) });
      expect(JSON.parse(row.detail)).toMatchObject({ askedStartMs: startMs, askedEndMs: startMs + 3_000 });
    }
    expect(JSON.parse(a!.detail).bytes).toBe('all');
    expect(JSON.parse(b!.detail).bytes).toBe('0-99');
  });
});

describe('figures: a 10-minute clip through the API (printed, not asserted)', () => {
  it('first byte and whole clip, first request (nothing cached) and repeated', async () => {
    // 150 index rows of 4 s, each a hard link of one recorded segment under its own key, a day
    // before the recording: 10 minutes of contiguous footage for the same camera.
    const src = segs.filter((s) => endOf(s) <= outage.startMs)[1]!;
    const root = r.rec.config.storage.fsRoot;
    const segments = new SegmentsRepo(r.rec.db, () => Date.now());
    const base = Math.floor((src.startMs - 86_400_000) / 1000) * 1000;
    for (let i = 0; i < 152; i++) {
      const startMs = base + i * src.durationMs;
      const key = segmentKey(CAM, startMs, src.durationMs);
      mkdirSync(path.dirname(path.join(root, key)), { recursive: true });
      linkSync(path.join(root, src.objectKey), path.join(root, key));
      await segments.insert({ ...src, startMs, objectKey: key });
    }
    const url = clipUrl(base + 2_000, base + 2_000 + 600_000);
    const times: Array<{ firstByteMs: number; totalMs: number; bytes: number }> = [];
    for (let run = 0; run < 4; run++) {
      const t0 = performance.now();
      const res = await get(url);
      const reader = res.body!.getReader();
      let first = 0;
      let bytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (bytes === 0) first = performance.now() - t0;
        bytes += value.length;
      }
      expect(res.status).toBe(200);
      times.push({ firstByteMs: first, totalMs: performance.now() - t0, bytes });
    }
    const fmt = (x: { firstByteMs: number; totalMs: number; bytes: number }) => `first byte ${x.firstByteMs.toFixed(1)} ms, whole ${x.totalMs.toFixed(0)} ms, ${(x.bytes / 1e6).toFixed(1)} MB`;
    const warm = times.slice(1).sort((a, b) => a.totalMs - b.totalMs);
    const p50 = (k: 'firstByteMs' | 'totalMs') => [...warm].sort((a, b) => a[k] - b[k])[Math.floor(warm.length / 2)]![k];
    console.log(`[figures] 10-minute clip (150 × 4 s segments of 1080p H.264+B-frames, fs store) through GET /clip:\n  first request: ${fmt(times[0]!)}\n  repeated (${warm.length}): first byte p50 ${p50('firstByteMs').toFixed(1)} ms, whole p50 ${p50('totalMs').toFixed(0)} ms`);
  });
});

describe('GET /cameras/{id}/timeline?includeExpired', () => {
  it('shows footage deleted by retention as a `retention` gap only when asked; the clip there is a 404', async () => {
    // What a retention run does to the oldest segment: mark, delete the object, finish (row → expired range).
    const oldest = segs[0]!;
    const lastBefore = segs.filter((x) => endOf(x) <= outage.startMs).at(-1)!;
    expect(lastBefore).not.toBe(oldest);
    const retention = r.h.ctx.retention;
    const [live] = (await retention.live()).filter((s) => s.objectKey === oldest.objectKey);
    await retention.mark([{ id: live!.id, reason: 'age' }]);
    await r.h.store.delete([oldest.objectKey]);
    await retention.finish(await retention.marked(10));
    const span = `?start=${encodeURIComponent(toIsoInZone(oldest.startMs, TZ))}&end=${encodeURIComponent(toIsoInZone(endOf(lastBefore), TZ))}`;
    const plain = await (await get(`/api/v1/cameras/${CAM}/timeline${span}`)).json();
    expect(plain.gaps).toEqual([]);
    expect(plain.unknown).toEqual([expect.objectContaining({ startMs: oldest.startMs, endMs: endOf(oldest) })]);
    const asked = await (await get(`/api/v1/cameras/${CAM}/timeline${span}&includeExpired=true`)).json();
    expect(asked.gaps).toEqual([{ start: toIsoInZone(oldest.startMs, TZ), startMs: oldest.startMs, end: toIsoInZone(endOf(oldest), TZ), endMs: endOf(oldest), reason: 'retention' }]);
    expect(asked.unknown).toEqual([]);
    expect(asked.spans).toEqual([expect.objectContaining({ startMs: endOf(oldest), endMs: endOf(lastBefore) })]);
    expect((await get(clipUrl(oldest.startMs + 100, endOf(oldest) - 100))).status).toBe(404);
  });
});
