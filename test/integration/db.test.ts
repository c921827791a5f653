import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { SegmentsRepo, MAX_SEGMENT_MS } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
let dir: string;
let db: Kysely<Database>;
let segments: SegmentsRepo;
let gaps: GapsRepo;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-db-'));
  db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
  segments = new SegmentsRepo(db, () => T0);
  gaps = new GapsRepo(db, () => T0);
});
afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const seg = (cameraId: string, startMs: number, durationMs = 10_000) => ({
  cameraId, startMs, durationMs, sizeBytes: 1000, sha256: 'ab'.repeat(32), objectKey: `${cameraId}/${startMs}-${durationMs}.mp4`, initBytes: 800,
});

describe('index repositories on real SQLite', () => {
  it('inserts segments idempotently by object key and finds overlaps in order', async () => {
    expect(await segments.insert(seg('cam-a', T0))).toBe(true);
    expect(await segments.insert(seg('cam-a', T0))).toBe(false);
    await segments.insert(seg('cam-a', T0 + 10_000));
    await segments.insert(seg('cam-a', T0 + 20_000));
    await segments.insert(seg('cam-b', T0 + 10_000));
    const hits = await segments.overlapping('cam-a', { startMs: T0 + 9_999, endMs: T0 + 20_000 });
    expect(hits.map((h) => h.startMs)).toEqual([T0, T0 + 10_000]);
    expect(await segments.overlapping('cam-a', { startMs: T0 + 30_000, endMs: T0 + 40_000 })).toEqual([]);
    expect((await segments.last('cam-a'))?.startMs).toBe(T0 + 20_000);
    expect(await segments.countAndBytes('cam-a')).toEqual({ count: 3, bytes: 3000 });
  });

  it('stores gaps with reasons and finds long ones by overlap', async () => {
    await gaps.insert({ cameraId: 'cam-a', startMs: T0 - 3_600_000, endMs: T0, reason: 'recorder_down', detail: '' });
    await gaps.insert({ cameraId: 'cam-a', startMs: T0, endMs: T0, reason: 'empty', detail: '' });
    const found = await gaps.overlapping('cam-a', { startMs: T0 - 10, endMs: T0 + 10 });
    expect(found).toEqual([{ cameraId: 'cam-a', startMs: T0 - 3_600_000, endMs: T0, reason: 'recorder_down', detail: '' }]);
    expect(await gaps.lastEndMs('cam-a')).toBe(T0);
    expect(await gaps.lastEndMs('cam-z')).toBeNull();
  });

  it('keeps events and cameras', async () => {
    const events = new EventsRepo(db);
    await events.insert({ cameraId: 'cam-a', atMs: T0 + 5, fromState: 'connecting', toState: 'recording', detail: '' });
    expect(await events.list('cam-a', { startMs: T0, endMs: T0 + 10 })).toHaveLength(1);
    const cameras = new CamerasRepo(db, () => T0);
    await cameras.upsert({ id: 'cam-a', name: 'Quầy 1', siteId: null, source: 'rtsp' });
    await cameras.upsert({ id: 'cam-a', name: 'Quầy số 1', siteId: 'ward-x', source: 'onvif' });
    expect(await cameras.list()).toEqual([{ id: 'cam-a', name: 'Quầy số 1', siteId: 'ward-x', source: 'onvif' }]);
  });

  it('answers range lookups from the index at a million rows', async () => {
    // Bulk load in one statement (one transaction).
    await sql`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
      INSERT INTO segments (camera_id, start_ms, duration_ms, size_bytes, sha256, object_key, init_bytes, created_ms)
      SELECT 'cam-' || (i % 100), ${T0 + 86_400_000} + (i / 100) * 10000, 10000, 2500000, 'x', 'bulk/' || i, 900, 0 FROM n`.execute(db);
    const count = await db.selectFrom('segments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBeGreaterThanOrEqual(1_000_000);
    const from = T0 + 86_400_000 + 5_000 * 10_000;
    const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM segments WHERE camera_id = ${'cam-7'} AND start_ms >= ${from - MAX_SEGMENT_MS} AND start_ms < ${from + 600_000} ORDER BY start_ms`.execute(db);
    const details = plan.rows.map((r) => r.detail);
    console.log(`EXPLAIN QUERY PLAN (segments overlap): ${details.join(' | ')}`);
    expect(details.some((d) => /SEARCH segments USING INDEX segments_camera_start/.test(d))).toBe(true);
    expect(details.some((d) => /SCAN segments/.test(d))).toBe(false);
    const t = process.hrtime.bigint();
    const hits = await segments.overlapping('cam-7', { startMs: from, endMs: from + 600_000 });
    console.log(`10-minute lookup among 1,000,000 rows: ${hits.length} segments in ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(2)} ms`);
    expect(hits.length).toBeGreaterThanOrEqual(60);
    const gapPlan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM gaps WHERE camera_id = ${'cam-7'} AND end_ms > ${from} AND start_ms < ${from + 1}`.execute(db);
    expect(gapPlan.rows.map((r) => r.detail).join(' ')).toMatch(/USING INDEX gaps_camera_(end|start)/);
  });
});
