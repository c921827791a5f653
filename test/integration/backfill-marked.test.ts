import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { verifyPackage } from '../../src/evidence/package-verify.ts';
import { loadUptimeInput } from '../../src/report/report-data.ts';
import { buildUptimeReport } from '../../src/report/uptime-report.ts';
import { renderReportCsv } from '../../src/report/report-csv.ts';
import { storeReadingIn } from '../../recorder/clock-watch.ts';
import { startApiHarness, T0, type ApiHarness, type Credential } from './api-harness.ts';
import { seedSegments } from './api-footage-harness.ts';

// Footage recovered from the camera's own storage (segments.source = 'backfill'), made of real
// ffmpeg fMP4 segments stored and indexed between two live minutes, as the backfill engine
// leaves it once a gap is replaced: the timeline says which span is backfilled, the clip and
// HLS responses mark it, the uptime report counts it as recorded and says how much, and an
// evidence package lists each segment's source and the camera's latest clock offset and
// still verifies.
const CAM = 'ward-a-counter-1';
const BACK_START = T0 + 60_000;
const BACK_END = T0 + 120_000;
const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());

describe('backfilled footage is marked wherever it is shown', () => {
  let h: ApiHarness;
  let admin: Credential;
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-backfill-marked-'));

  beforeAll(async () => {
    h = await startApiHarness();
    admin = await h.token(await h.createUser({ username: 'root', role: 'admin' }));
    await seedSegments(h, CAM, T0, 15);
    await seedSegments(h, CAM, BACK_START, 15, 'backfill');
    await seedSegments(h, CAM, BACK_END, 15);
    // Onboarding measured the clock long ago; the clock watch measured it again since.
    const cams = new CamerasRepo(h.db, () => h.clock.nowMs());
    await cams.upsert({ id: CAM, name: 'Counter 1', siteId: 'ward-a', source: 'onvif', details: { device: { model: 'IPC' }, clockOffsetMs: 400, clockOffsetMeasuredMs: T0 - 86_400_000 } });
    await storeReadingIn(cams)(CAM, { offsetMs: -2_150, roundTripMs: 12, measuredMs: T0 - 120_000 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('timeline: the backfilled minute is its own span between two live ones', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/timeline?start=${iso(T0 - 60_000)}&end=${iso(T0 + 240_000)}`, { headers: admin.headers() });
    expect(res.status).toBe(200);
    const t = (await res.json()) as { spans: Array<{ startMs: number; endMs: number; segments: number; source: string }> };
    expect(t.spans.map((s) => [s.startMs, s.endMs, s.segments, s.source])).toEqual([
      [T0, BACK_START, 15, 'live'],
      [BACK_START, BACK_END, 15, 'backfill'],
      [BACK_END, T0 + 180_000, 15, 'live'],
    ]);
  });

  it('clip: the same bytes, with the backfilled part named in a header', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/clip?start=${iso(T0 + 50_000)}&end=${iso(T0 + 70_000)}`, { headers: admin.headers() });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(res.headers.get('vigil-backfilled-count')).toBe('1');
    const parts = JSON.parse(res.headers.get('vigil-backfilled')!) as Array<{ start: string; end: string }>;
    expect(Date.parse(parts[0]!.start)).toBe(BACK_START);
    expect(Date.parse(parts[0]!.end)).toBeGreaterThanOrEqual(T0 + 70_000);
    const live = await h.fetch(`/api/v1/cameras/${CAM}/clip?start=${iso(T0 + 10_000)}&end=${iso(T0 + 20_000)}`, { headers: admin.headers() });
    await live.arrayBuffer();
    expect([live.headers.get('vigil-backfilled'), live.headers.get('vigil-backfilled-count')]).toEqual(['[]', '0']);
  });

  it('HLS: one EXT-X-DATERANGE over the backfilled stretch, no discontinuity (it joins the live footage)', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/playback.m3u8?start=${iso(T0)}&end=${iso(T0 + 180_000)}`, { headers: admin.headers() });
    expect(res.status).toBe(200);
    const text = await res.text();
    const ranges = text.split('\n').filter((l) => l.startsWith('#EXT-X-DATERANGE:'));
    expect(ranges).toHaveLength(1);
    expect(ranges[0]).toContain('CLASS="org.vigil.backfill"');
    expect(Date.parse(/START-DATE="([^"]+)"/.exec(ranges[0]!)![1]!)).toBe(BACK_START);
    expect(Date.parse(/END-DATE="([^"]+)"/.exec(ranges[0]!)![1]!)).toBe(BACK_END);
    expect(text).not.toContain('#EXT-X-DISCONTINUITY');
  });

  it('uptime report: backfilled footage counts as recorded, and how much of it there was', async () => {
    const input = await loadUptimeInput({ db: h.db, config: h.ctx.deps.config, range: { startMs: T0, endMs: T0 + 180_000 }, nowMs: T0 + 3_600_000 });
    const report = buildUptimeReport(input);
    const cam = report.sites.flatMap((s) => s.cameras).find((c) => c.cameraId === CAM)!;
    expect(cam.officeMs).toBe(180_000);
    expect(cam.recordedMs).toBe(180_000);
    expect(cam.backfilledMs).toBe(60_000);
    expect(cam.gapMsByReason).toEqual({});
    const csv = renderReportCsv(report, { language: 'vi' }).split('\r\n');
    expect(csv[0]!.endsWith(',Trong đó khôi phục từ thẻ nhớ camera (phút)')).toBe(true);
    expect(csv.find((l) => l.startsWith(`camera,ward-a,`) && l.includes(CAM))!.endsWith(',1.0')).toBe(true);
  });

  it('evidence: each segment with its source, the backfilled seconds, the latest clock offset; the package verifies', async () => {
    const actor = { actor: { userId: 'setup', username: 'setup' } };
    const c = await h.footage.evidence.cases.createCase({ reference: 'KN-B1', title: 'Thái độ phục vụ', siteId: 'ward-a' }, actor);
    const e = await h.footage.evidence.exports.create({ caseId: c.id, cameraId: CAM, startMs: T0 + 50_000, endMs: T0 + 130_000, reason: 'Công dân phản ánh' }, actor);
    await h.footage.exportJobs.idle();
    const done = await h.footage.evidence.exports.get(e.id);
    expect(done?.status, done?.error ?? '').toBe('done');
    const file = path.join(work, 'package.tar');
    await pipeline(await h.store.get(done!.objectKey!), createWriteStream(file));
    const v = await verifyPackage(file);
    expect(v.ok, v.ok ? '' : v.message).toBe(true);
    if (!v.ok) return;
    const m = v.manifest;
    expect(m.sourceSegments.map((s) => [s.start.epochMs, s.source])).toEqual([
      ...[48, 52, 56].map((s) => [T0 + s * 1000, 'live']),
      ...Array.from({ length: 15 }, (_, i) => [BACK_START + i * 4_000, 'backfill']),
      ...[120, 124, 128].map((s) => [T0 + s * 1000, 'live']),
    ]);
    expect(m.backfilled?.map((b) => [b.start.epochMs, b.end.epochMs])).toEqual([[BACK_START, BACK_END]]);
    expect(m.camera.clockOffsetMs).toBe(-2_150);
    expect(m.camera.clockOffsetMeasuredAt?.epochMs).toBe(T0 - 120_000);
  });
});
