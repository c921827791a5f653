import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { MAX_SEGMENT_DURATION_MS, SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { GapsRepo, LONG_GAP_MS, type GapRecord } from '../../src/db/gaps-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { rangesOverlap, type TimeRange } from '../../src/time.ts';
import { TEST_DIALECTS } from '../helpers/test-db.ts';
import { T0, codeOf, prng, seg, useTestDatabases } from './db-fixture.ts';

const { dbs } = useTestDatabases();

describe.each(TEST_DIALECTS)('index repositories on real %s', (dialect) => {
  let db: Kysely<Database>;
  let segments: SegmentsRepo;
  let gaps: GapsRepo;
  beforeAll(async () => {
    db = await dbs.open(dialect);
    segments = new SegmentsRepo(db, () => T0);
    gaps = new GapsRepo(db, () => T0);
  });
  afterAll(async () => {
    await db?.destroy();
  });
  afterEach(async () => {
    for (const t of ['segments', 'gaps', 'events', 'cameras'] as const) await db.deleteFrom(t).execute();
  });

  it('inserts a segment once per object key: a re-insert is a no-op, even with other values', async () => {
    expect(await segments.insert(seg('cam-a', T0))).toBe(true);
    expect(await segments.insert(seg('cam-a', T0))).toBe(false);
    expect(await segments.insert({ ...seg('cam-a', T0), sizeBytes: 5_000 })).toBe(false);
    expect(await segments.countAndBytes('cam-a')).toEqual({ count: 1, bytes: 1000 });
    expect(await segments.byObjectKey(`cam-a/${T0}-10000.mp4`)).toEqual(seg('cam-a', T0));
    expect(await segments.byObjectKey('cam-a/none.mp4')).toBeNull();
  });

  it.each([
    ['zero duration', { durationMs: 0 }],
    ['longer than the maximum', { durationMs: MAX_SEGMENT_DURATION_MS + 1 }],
    ['fractional start', { startMs: T0 + 0.5 }],
    ['negative size', { sizeBytes: -1 }],
    ['init larger than the object', { initBytes: 2000 }],
  ])('refuses a segment with %s', async (_why, patch) => {
    expect(await codeOf(segments.insert({ ...seg('cam-a', T0), ...patch }))).toBe('invalid_range');
    expect(await segments.countAndBytes('cam-a')).toEqual({ count: 0, bytes: 0 });
  });

  it.each([
    ['straddling a join', [T0 + 9_999, T0 + 20_000], [T0, T0 + 10_000]],
    ['starting where one ends (half-open)', [T0 + 10_000, T0 + 10_001], [T0 + 10_000]],
    ['ending where one starts (half-open)', [T0 - 5, T0], []],
    ['after the last', [T0 + 30_000, T0 + 40_000], []],
    ['the last ms of the longest segment', [T0 + 100_000 + MAX_SEGMENT_DURATION_MS - 1, T0 + 100_000 + MAX_SEGMENT_DURATION_MS], [T0 + 100_000]],
    ['just after the longest segment', [T0 + 100_000 + MAX_SEGMENT_DURATION_MS, T0 + 200_000 + MAX_SEGMENT_DURATION_MS], []],
    ['everything', [0, Number.MAX_SAFE_INTEGER], [T0, T0 + 10_000, T0 + 20_000, T0 + 100_000]],
  ])('finds the segments overlapping a range %s, in order', async (_why, [startMs, endMs], starts) => {
    for (const s of [seg('cam-a', T0 + 20_000), seg('cam-a', T0), seg('cam-a', T0 + 100_000, MAX_SEGMENT_DURATION_MS), seg('cam-a', T0 + 10_000), seg('cam-b', T0)]) {
      await segments.insert(s);
    }
    const hits = await segments.overlapping('cam-a', { startMs: startMs!, endMs: endMs! });
    expect(hits.map((h) => h.startMs)).toEqual(starts);
  });

  it('agrees with a brute-force overlap check on random segments and ranges', async () => {
    const rand = prng(7);
    const all: SegmentRecord[] = [];
    for (let i = 0; i < 400; i++) {
      const s = seg(['cam-a', 'cam-b', 'cam-c'][i % 3]!, T0 + Math.floor(rand() * 3_600_000), 1 + Math.floor(rand() * MAX_SEGMENT_DURATION_MS));
      all.push(s);
      await segments.insert(s);
    }
    for (let i = 0; i < 300; i++) {
      const startMs = T0 - 700_000 + Math.floor(rand() * 4_400_000);
      const range: TimeRange = { startMs, endMs: startMs + 1 + Math.floor(rand() * (i % 2 ? 5_000 : 1_200_000)) };
      const expected = all
        .filter((s) => s.cameraId === 'cam-b' && rangesOverlap(range, { startMs: s.startMs, endMs: s.startMs + s.durationMs }))
        .map((s) => s.objectKey)
        .sort();
      const got = await segments.overlapping('cam-b', range);
      expect(got.map((s) => s.objectKey).sort()).toEqual(expected);
      expect(got.map((s) => s.startMs)).toEqual([...got.map((s) => s.startMs)].sort((a, b) => a - b));
    }
  });

  it('gives the last segment, counts and bytes per camera, and refuses an empty range', async () => {
    expect(await segments.last('cam-a')).toBeNull();
    await segments.insert(seg('cam-a', T0 + 20_000));
    await segments.insert(seg('cam-a', T0));
    await segments.insert({ ...seg('cam-b', T0 + 50_000), sizeBytes: 7_000 });
    expect((await segments.last('cam-a'))?.startMs).toBe(T0 + 20_000);
    expect(await segments.countAndBytes('cam-a')).toEqual({ count: 2, bytes: 2000 });
    expect(await segments.countAndBytes('cam-z')).toEqual({ count: 0, bytes: 0 });
    expect(await codeOf(segments.overlapping('cam-a', { startMs: T0, endMs: T0 }))).toBe('invalid_range');
  });

  it('stores gaps with reasons, ignores empty ones, finds long and short ones by overlap', async () => {
    const week: GapRecord = { cameraId: 'cam-a', startMs: T0 - 7 * 86_400_000, endMs: T0, reason: 'recorder_down', detail: 'host rebooted' };
    await gaps.insert(week);
    await gaps.insert({ cameraId: 'cam-a', startMs: T0 + 5_000, endMs: T0 + 8_000, reason: 'stream_stalled', detail: '' });
    await gaps.insert({ cameraId: 'cam-a', startMs: T0, endMs: T0, reason: 'empty', detail: '' });
    await gaps.insert({ cameraId: 'cam-b', startMs: T0 - 10, endMs: T0 + 10, reason: 'camera_unreachable', detail: '' });
    expect(await gaps.overlapping('cam-a', { startMs: T0 - 10, endMs: T0 + 6_000 })).toEqual([week, { cameraId: 'cam-a', startMs: T0 + 5_000, endMs: T0 + 8_000, reason: 'stream_stalled', detail: '' }]);
    expect(await gaps.overlapping('cam-a', { startMs: T0 - 3 * 86_400_000, endMs: T0 - 3 * 86_400_000 + 1 })).toEqual([week]);
    expect(await gaps.overlapping('cam-a', { startMs: T0, endMs: T0 + 5_000 })).toEqual([]);
    expect(await gaps.lastEndMs('cam-a')).toBe(T0 + 8_000);
    expect(await gaps.lastEndMs('cam-z')).toBeNull();
    expect(await codeOf(gaps.insert({ ...week, startMs: 1.5 }))).toBe('invalid_range');
  });

  it('agrees with a brute-force check on gaps of every length, around the long-gap bound', async () => {
    const rand = prng(11);
    const lengths = [1, 1_000, LONG_GAP_MS - 1, LONG_GAP_MS, LONG_GAP_MS + 1, 2 * LONG_GAP_MS, 86_400_000, 10 * 86_400_000];
    const all: GapRecord[] = [];
    for (let i = 0; i < 300; i++) {
      const startMs = T0 + Math.floor(rand() * 20 * 86_400_000);
      const g = { cameraId: i % 2 ? 'cam-a' : 'cam-b', startMs, endMs: startMs + lengths[i % lengths.length]!, reason: 'camera_unreachable', detail: String(i) };
      all.push(g);
      await gaps.insert(g);
    }
    for (let i = 0; i < 300; i++) {
      const startMs = T0 - 86_400_000 + Math.floor(rand() * 32 * 86_400_000);
      const range = { startMs, endMs: startMs + 1 + Math.floor(rand() * (i % 2 ? 60_000 : 3 * LONG_GAP_MS)) };
      const expected = all.filter((g) => g.cameraId === 'cam-a' && rangesOverlap(range, g)).map((g) => g.detail).sort();
      const got = await gaps.overlapping('cam-a', range);
      expect(got.map((g) => g.detail).sort()).toEqual(expected);
      expect(got.map((g) => g.startMs)).toEqual([...got.map((g) => g.startMs)].sort((a, b) => a - b));
    }
  });

  it('lists events in a half-open range, oldest first, ties in insertion order', async () => {
    const events = new EventsRepo(db);
    await events.insert({ cameraId: 'cam-a', atMs: T0 + 10, fromState: 'recording', toState: 'stalled', detail: 'no media for 5 s' });
    await events.insert({ cameraId: 'cam-a', atMs: T0, fromState: 'connecting', toState: 'recording', detail: '' });
    await events.insert({ cameraId: 'cam-a', atMs: T0 + 10, fromState: 'stalled', toState: 'reconnecting', detail: '' });
    await events.insert({ cameraId: 'cam-b', atMs: T0 + 5, fromState: 'connecting', toState: 'recording', detail: '' });
    const got = await events.list('cam-a', { startMs: T0, endMs: T0 + 11 });
    expect(got.map((e) => `${e.atMs - T0}:${e.toState}`)).toEqual(['0:recording', '10:stalled', '10:reconnecting']);
    expect(await events.list('cam-a', { startMs: T0 + 1, endMs: T0 + 10 })).toEqual([]);
  });

  it('upserts cameras: keeps the first sighting and the details unless given, never a secret', async () => {
    let now = T0;
    const cameras = new CamerasRepo(db, () => now);
    await cameras.upsert({ id: 'cam-a', name: 'Quầy 1', siteId: null, source: 'rtsp' });
    expect(await cameras.get('cam-a')).toEqual({ id: 'cam-a', name: 'Quầy 1', siteId: null, source: 'rtsp', details: {}, createdMs: T0, updatedMs: T0 });
    now = T0 + 1_000;
    await cameras.upsert({
      id: 'cam-a', name: 'Quầy số 1', siteId: 'ward-x', source: 'onvif',
      details: { model: 'IPC-HFW', clockOffsetMs: -420, password: 'hunter2', streamUri: 'rtsp://admin:hunter2@10.0.0.9/main' },
    });
    now = T0 + 2_000;
    await cameras.upsert({ id: 'cam-a', name: 'Quầy số 1', siteId: 'ward-x', source: 'onvif' });
    await cameras.upsert({ id: 'cam-0', name: null, siteId: null, source: 'rtsp' });
    const a = await cameras.get('cam-a');
    expect(a).toMatchObject({ name: 'Quầy số 1', siteId: 'ward-x', source: 'onvif', createdMs: T0, updatedMs: T0 + 2_000 });
    expect(a?.details).toEqual({ model: 'IPC-HFW', clockOffsetMs: -420, password: '[redacted]', streamUri: 'rtsp://[redacted]@10.0.0.9/main' });
    const raw = await db.selectFrom('cameras').select('details').where('id', '=', 'cam-a').executeTakeFirstOrThrow();
    expect(raw.details).not.toContain('hunter2');
    expect((await cameras.list()).map((c) => c.id)).toEqual(['cam-0', 'cam-a']);
    expect(await cameras.get('cam-z')).toBeNull();
  });
});
