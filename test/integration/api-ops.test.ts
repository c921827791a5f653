import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import { freePort } from '../helpers/ports.ts';
import { problemOf, startApiHarness, T0, type ApiHarness } from './api-harness.ts';
import { seedSegments } from './api-footage-harness.ts';

// Health, readiness and the office-hours uptime report through the real API.
describe('ops routes', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness();
    // 09:00–09:00:12 recorded, then a 30-minute outage inside office hours.
    await seedSegments(h, 'ward-a-counter-1', T0, 3);
    await new GapsRepo(h.db, () => T0).insert({ cameraId: 'ward-a-counter-1', startMs: T0 + 12_000, endMs: T0 + 12_000 + 30 * 60_000, reason: 'camera_unreachable', detail: 'test' });
  });
  afterAll(async () => h?.close());

  it('is alive and ready, with no credentials and no detail', async () => {
    expect(await (await h.fetch('/api/v1/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await h.fetch('/api/v1/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(body.ready).toBe(true);
    expect(body.checks.map((c) => c.name).sort()).toEqual(['database', 'ffmpeg', 'object_store']);
  });

  it('says 503 with a problem naming the store when the object store does not answer', async () => {
    const dead = new MinioObjectStore({ endPoint: '127.0.0.1', port: await freePort(), useSSL: false, accessKey: 'k', secretKey: 'the-secret-key', bucket: 'nowhere' });
    const h2 = await startApiHarness({ store: dead });
    try {
      const res = await h2.fetch('/api/v1/readyz');
      expect(res.status).toBe(503);
      const p = await problemOf(res);
      expect(p.detail).toBe('not ready: object_store does not answer');
      expect(JSON.stringify(p)).not.toContain('the-secret-key');
    } finally {
      await h2.close();
    }
  });

  it('reports uptime in office hours as JSON and CSV, scoped by site', async () => {
    h.clock.set(T0 + 10 * 3_600_000); // 19:00 local: the whole office day has passed
    const admin = await h.token(await h.createUser({ username: 'ops-admin', role: 'admin' }));
    const res = await h.fetch('/api/v1/reports/uptime?from=2026-03-03&site=ward-a', { headers: admin.headers() });
    expect(res.status).toBe(200);
    const json = JSON.stringify(await res.json());
    expect(json).toContain('ward-a-counter-1');
    expect(json).toContain('camera_unreachable');
    const report = JSON.parse(json) as { total: { officeMs: number; recordedMs: number; gapMsByReason: Record<string, number> } };
    expect(report.total.officeMs).toBe(8 * 3_600_000); // 07–11 and 13–17
    expect(report.total.gapMsByReason.camera_unreachable).toBe(30 * 60_000);
    const csv = await h.fetch('/api/v1/reports/uptime?from=2026-03-03&site=ward-a&format=csv&lang=en', { headers: admin.headers() });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toContain('ward-a-counter-1');
    const scoped = await h.token(await h.createUser({ username: 'ward-c-ops', role: 'ops', sites: ['ward-c'] }));
    const noSite = await h.fetch('/api/v1/reports/uptime?from=2026-03-03', { headers: scoped.headers() });
    expect(noSite.status).toBe(400);
    expect((await problemOf(noSite)).detail).toContain('site=');
    expect((await h.fetch('/api/v1/reports/uptime?from=2026-03-03&site=ward-a', { headers: scoped.headers() })).status).toBe(403);
    const bad = await h.fetch('/api/v1/reports/uptime?from=03/03/2026', { headers: admin.headers() });
    expect(bad.status).toBe(400);
  });
});
