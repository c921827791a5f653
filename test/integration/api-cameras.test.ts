import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { problemOf, startApiHarness, type ApiHarness, type Credential } from './api-harness.ts';

/**
 * Cameras, sites and timelines over real HTTP, with footage rows written through the same
 * repositories the recorder uses.
 */
const H = 3_600_000;
// 2026-03-03 00:00 in Asia/Ho_Chi_Minh (UTC+7)
const DAY0 = Date.UTC(2026, 2, 2, 17, 0, 0);
const CAM = 'ward-a-counter-1';

async function insertRun(h: ApiHarness, cameraId: string, startMs: number, endMs: number, segMs = 10_000): Promise<number> {
  let n = 0;
  await h.db.transaction().execute(async (trx) => {
    const repo = new SegmentsRepo(trx, () => h.clock.nowMs());
    for (let t = startMs; t < endMs; t += segMs) {
      const d = Math.min(segMs, endMs - t);
      await repo.insert({ cameraId, startMs: t, durationMs: d, sizeBytes: 100_000, sha256: 'ab'.repeat(32), objectKey: `${cameraId}/${t}-${d}.mp4`, initBytes: 900 });
      n++;
    }
  });
  return n;
}

const q = (startMs: number, endMs: number) => `?start=${encodeURIComponent(new Date(startMs).toISOString())}&end=${encodeURIComponent(new Date(endMs).toISOString())}`;

describe('cameras, sites and timeline', () => {
  let h: ApiHarness;
  let admin: Credential;
  let wardA: Credential;
  let district1: Credential;
  beforeAll(async () => {
    h = await startApiHarness();
    admin = await h.token(await h.createUser({ username: 'root', role: 'admin' }));
    wardA = await h.token(await h.createUser({ username: 'ward-a-viewer', role: 'viewer', sites: ['ward-a'] }));
    district1 = await h.token(await h.createUser({ username: 'district-1-ops', role: 'ops', sites: ['district-1'] }));
    // 09:00–12:00 recorded, 12:00–12:05 camera unreachable, 12:05–17:00 recorded,
    // 17:00–17:00:30 stalled, 17:00:30–17:30 recorded; nothing accounted after 17:30.
    await insertRun(h, CAM, DAY0 + 9 * H, DAY0 + 12 * H);
    await new GapsRepo(h.db, () => h.clock.nowMs()).insert({ cameraId: CAM, startMs: DAY0 + 12 * H, endMs: DAY0 + 12 * H + 300_000, reason: 'camera_unreachable', detail: '' });
    await insertRun(h, CAM, DAY0 + 12 * H + 300_000, DAY0 + 17 * H);
    await new GapsRepo(h.db, () => h.clock.nowMs()).insert({ cameraId: CAM, startMs: DAY0 + 17 * H, endMs: DAY0 + 17 * H + 30_000, reason: 'stream_stalled', detail: '' });
    await insertRun(h, CAM, DAY0 + 17 * H + 30_000, DAY0 + 17.5 * H);
    const events = new EventsRepo(h.db);
    await events.insert({ cameraId: CAM, atMs: DAY0 + 12 * H, fromState: 'recording', toState: 'reconnecting', detail: 'connection refused' });
    await events.insert({ cameraId: CAM, atMs: DAY0 + 12 * H + 300_000, fromState: 'reconnecting', toState: 'recording', detail: '' });
    // A camera removed from the configuration whose footage is still kept, and one never placed in a site.
    const cams = new CamerasRepo(h.db, () => h.clock.nowMs());
    await cams.upsert({ id: 'old-counter', name: 'Old counter', siteId: 'ward-a', source: 'rtsp' });
    await cams.upsert({ id: 'unsited', name: null, siteId: null, source: 'rtsp' });
  });
  afterAll(async () => h?.close());

  it('draws a day as a handful of spans and gaps with reasons, in +07:00 and epoch ms', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/timeline?start=2026-03-03T00:00:00%2B07:00&end=2026-03-04T00:00:00%2B07:00`, { headers: wardA.headers() });
    expect(res.status).toBe(200);
    const t = (await res.json()) as Record<string, unknown> & { spans: Record<string, unknown>[]; gaps: Record<string, unknown>[]; unknown: Record<string, unknown>[] };
    expect(t).toMatchObject({ cameraId: CAM, start: '2026-03-03T00:00:00.000+07:00', startMs: DAY0, end: '2026-03-04T00:00:00.000+07:00', endMs: DAY0 + 24 * H });
    expect(t.spans).toEqual([
      { start: '2026-03-03T09:00:00.000+07:00', startMs: DAY0 + 9 * H, end: '2026-03-03T12:00:00.000+07:00', endMs: DAY0 + 12 * H, segments: 1080, source: 'live' },
      { start: '2026-03-03T12:05:00.000+07:00', startMs: DAY0 + 12 * H + 300_000, end: '2026-03-03T17:00:00.000+07:00', endMs: DAY0 + 17 * H, segments: 1770, source: 'live' },
      { start: '2026-03-03T17:00:30.000+07:00', startMs: DAY0 + 17 * H + 30_000, end: '2026-03-03T17:30:00.000+07:00', endMs: DAY0 + 17.5 * H, segments: 177, source: 'live' },
    ]);
    expect(t.gaps).toEqual([
      { start: '2026-03-03T12:00:00.000+07:00', startMs: DAY0 + 12 * H, end: '2026-03-03T12:05:00.000+07:00', endMs: DAY0 + 12 * H + 300_000, reason: 'camera_unreachable' },
      { start: '2026-03-03T17:00:00.000+07:00', startMs: DAY0 + 17 * H, end: '2026-03-03T17:00:30.000+07:00', endMs: DAY0 + 17 * H + 30_000, reason: 'stream_stalled' },
    ]);
    expect(t.unknown.map((u) => [u.start, u.end])).toEqual([
      ['2026-03-03T00:00:00.000+07:00', '2026-03-03T09:00:00.000+07:00'],
      ['2026-03-03T17:30:00.000+07:00', '2026-03-04T00:00:00.000+07:00'],
    ]);
  });

  it('clips spans and gaps to the asked range', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/timeline${q(DAY0 + 11.5 * H, DAY0 + 12 * H + 60_000)}`, { headers: wardA.headers() });
    const t = (await res.json()) as { spans: { startMs: number; endMs: number }[]; gaps: { startMs: number; endMs: number }[]; unknown: unknown[] };
    expect(t.spans.map((s) => [s.startMs, s.endMs])).toEqual([[DAY0 + 11.5 * H, DAY0 + 12 * H]]);
    expect(t.gaps.map((g) => [g.startMs, g.endMs])).toEqual([[DAY0 + 12 * H, DAY0 + 12 * H + 60_000]]);
    expect(t.unknown).toEqual([]);
  });

  it.each([
    ['start=yesterday&end=2026-03-04T00:00:00%2B07:00', 'invalid_request', 'start'],
    ['start=2026-03-03T09:00:00&end=2026-03-03T10:00:00%2B07:00', 'invalid_request', 'start'],
    ['start=2026-03-03T09:00:00%2B07:00', 'invalid_request', 'end'],
    ['start=2026-02-30T09:00:00%2B07:00&end=2026-03-03T10:00:00%2B07:00', 'invalid_request', 'start'],
    ['start=2026-03-03T10:00:00%2B07:00&end=2026-03-03T10:00:00%2B07:00', 'invalid_range', 'end'],
    ['start=2026-03-03T10:00:00%2B07:00&end=2026-03-03T09:00:00%2B07:00', 'invalid_range', 'end'],
    ['start=2026-01-01T00:00:00%2B07:00&end=2026-02-01T00:00:01%2B07:00', 'invalid_range', 'end'],
  ])('refuses the timeline query %s with a 400 naming the parameter', async (query, code, param) => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/timeline?${query}`, { headers: wardA.headers() });
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.code).toBe(code);
    const params = p.invalidParams as { name: string; in: string; reason: string }[];
    expect(params.map((x) => x.name)).toContain(param);
    for (const x of params) expect(x.reason).not.toMatch(/Invalid input|expected string/);
    if (query.startsWith('start=2026-01-01')) expect(p).toMatchObject({ maxRangeMs: 31 * 24 * H, detail: expect.stringContaining('31 days') });
    if (query.startsWith('start=2026-02-30')) expect(params[0]!.reason).toBe('"2026-02-30T09:00:00+07:00" is not a real calendar time');
  });

  it('accepts exactly 31 days, and keeps a month of 10 s segments compact', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/timeline?start=2026-02-01T00:00:00%2B07:00&end=2026-03-04T00:00:00%2B07:00`, { headers: wardA.headers() });
    expect(res.status).toBe(200);
    const t = (await res.json()) as { spans: unknown[]; gaps: unknown[] };
    expect(t.spans).toHaveLength(3);
    expect(t.gaps).toHaveLength(2);
  });

  it('lists cameras of the caller’s sites with state, since when, and the last footage', async () => {
    const all = (await (await h.fetch('/api/v1/cameras', { headers: admin.headers() })).json()) as { cameras: Record<string, unknown>[] };
    expect(all.cameras.map((c) => c.id)).toEqual(['old-counter', 'unsited', 'ward-a-counter-1', 'ward-c-counter-1']);
    expect(all.cameras.find((c) => c.id === CAM)).toEqual({
      id: CAM,
      name: 'Counter 1',
      site: { id: 'ward-a', name: 'Phường A' },
      configured: true,
      enabled: true,
      state: 'recording',
      stateSince: '2026-03-03T12:05:00.000+07:00',
      stateSinceMs: DAY0 + 12 * H + 300_000,
      lastFootageEnd: '2026-03-03T17:30:00.000+07:00',
      lastFootageEndMs: DAY0 + 17.5 * H,
    });
    expect(all.cameras.find((c) => c.id === 'ward-c-counter-1')).toMatchObject({ state: 'unknown', stateSince: null, lastFootageEnd: null });
    expect(all.cameras.find((c) => c.id === 'old-counter')).toMatchObject({ configured: false, enabled: false, site: { id: 'ward-a' } });

    const mine = (await (await h.fetch('/api/v1/cameras', { headers: wardA.headers() })).json()) as { cameras: { id: string }[] };
    expect(mine.cameras.map((c) => c.id)).toEqual(['old-counter', 'ward-a-counter-1']);
    const one = await h.fetch('/api/v1/cameras/old-counter', { headers: district1.headers() });
    expect(one.status).toBe(200);
    expect((await h.fetch('/api/v1/cameras/unsited', { headers: district1.headers() })).status).toBe(404);
    expect((await h.fetch('/api/v1/cameras/unsited', { headers: admin.headers() })).status).toBe(200);
  });

  it('lists state events of a camera in a range', async () => {
    const res = await h.fetch(`/api/v1/cameras/${CAM}/events${q(DAY0, DAY0 + 24 * H)}`, { headers: district1.headers() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: Record<string, unknown>[] };
    expect(body.events).toEqual([
      { at: '2026-03-03T12:00:00.000+07:00', atMs: DAY0 + 12 * H, from: 'recording', to: 'reconnecting', detail: 'connection refused' },
      { at: '2026-03-03T12:05:00.000+07:00', atMs: DAY0 + 12 * H + 300_000, from: 'reconnecting', to: 'recording', detail: '' },
    ]);
  });

  it('shows the site tree below the caller’s scope, with ancestors and camera counts', async () => {
    const scoped = (await (await h.fetch('/api/v1/sites', { headers: district1.headers() })).json()) as { sites: Record<string, unknown>[] };
    expect(scoped.sites).toEqual([
      { id: 'district-1', name: 'Quận 1', parentId: 'hn', depth: 0, path: [{ id: 'hn', name: 'Hà Nội' }], cameras: 0 },
      { id: 'ward-a', name: 'Phường A', parentId: 'district-1', depth: 1, path: [{ id: 'hn', name: 'Hà Nội' }, { id: 'district-1', name: 'Quận 1' }], cameras: 2 },
      { id: 'ward-b', name: 'Phường B', parentId: 'district-1', depth: 1, path: [{ id: 'hn', name: 'Hà Nội' }, { id: 'district-1', name: 'Quận 1' }], cameras: 0 },
    ]);
    const all = (await (await h.fetch('/api/v1/sites', { headers: admin.headers() })).json()) as { sites: { id: string; depth: number }[] };
    expect(all.sites.map((s) => `${'  '.repeat(s.depth)}${s.id}`)).toEqual(['hn', '  district-1', '    ward-a', '    ward-b', '  district-2', '    ward-c']);
  });
});
