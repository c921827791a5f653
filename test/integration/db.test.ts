import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest, migrationsFor } from '../../src/db/migrations.ts';
import type { Database } from '../../src/db/schema.ts';
import { MAX_SEGMENT_DURATION_MS, SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { GapsRepo, LONG_GAP_MS, type GapRecord } from '../../src/db/gaps-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { ApiTokensRepo } from '../../src/db/api-tokens-repo.ts';
import { CasesRepo } from '../../src/db/cases-repo.ts';
import { ExportsRepo } from '../../src/db/exports-repo.ts';
import { LoginAttemptsRepo } from '../../src/db/login-attempts-repo.ts';
import { SessionsRepo } from '../../src/db/sessions-repo.ts';
import { UsersRepo } from '../../src/db/users-repo.ts';
import { isVigilError, type ErrorCode } from '../../src/errors.ts';
import { rangesOverlap, type TimeRange } from '../../src/time.ts';
import { PG_APP_PASSWORD } from '../helpers/postgres.ts';
import { freePort } from '../helpers/ports.ts';
import { TEST_DIALECTS, TestDatabases } from '../helpers/test-db.ts';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-db-'));
  dirs.push(dir);
  return path.join(dir, 'vigil.db');
};
const dbs = new TestDatabases();
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await dbs.cleanup();
});

/** The message of a rejected promise, with its VigilError code and hint. */
async function failureOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string }> {
  return p.then(
    () => ({ code: 'resolved', message: '', hint: '' }),
    (e: unknown) => ({ code: isVigilError(e) ? e.code : 'not a VigilError', message: String((e as Error).message), hint: isVigilError(e) ? (e.hint ?? '') : '' }),
  );
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (isVigilError(e) ? e.code : String(e)),
  );
}

/** A small deterministic PRNG (mulberry32), so the oracle tests are repeatable. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seg = (cameraId: string, startMs: number, durationMs = 10_000): SegmentRecord => ({
  cameraId, startMs, durationMs, sizeBytes: 1000, sha256: 'ab'.repeat(32), objectKey: `${cameraId}/${startMs}-${durationMs}.mp4`, initBytes: 800,
});

describe('opening the database', () => {
  it('uses WAL, full sync, a busy timeout and foreign keys', async () => {
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: tempFile() });
    try {
      const pragma = async (name: string) => Object.values((await sql.raw(`PRAGMA ${name}`).execute(db)).rows[0] as object)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(await pragma('foreign_keys')).toBe(1);
    } finally {
      await db.destroy();
    }
  });

  it('migrates once: reopening runs nothing and keeps the data', async () => {
    const file = tempFile();
    const db1 = await openDatabase({ driver: 'sqlite', sqlitePath: file });
    await new SegmentsRepo(db1, () => T0).insert(seg('cam-a', T0));
    await db1.destroy();
    const db2 = await openDatabase({ driver: 'sqlite', sqlitePath: file });
    try {
      expect(await migrateToLatest(db2)).toEqual([]);
      expect(await new SegmentsRepo(db2, () => T0).countAndBytes('cam-a')).toEqual({ count: 1, bytes: 1000 });
    } finally {
      await db2.destroy();
    }
  });

  it('upgrades a database made by migration 0001 alone', async () => {
    const file = tempFile();
    const old = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
    const migrator = new Migrator({ db: old, provider: { getMigrations: async () => migrationsFor('sqlite') } });
    expect((await migrator.migrateTo('0001_index')).error).toBeUndefined();
    await old.insertInto('cameras').values({ id: 'cam-a', name: 'Quầy 1', site_id: null, source: 'rtsp', created_ms: T0, updated_ms: T0 }).execute();
    await old.destroy();
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: file });
    try {
      expect(await new CamerasRepo(db, () => T0).get('cam-a')).toMatchObject({ id: 'cam-a', name: 'Quầy 1', details: {} });
      const indexes = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'gaps' ORDER BY name`.execute(db);
      expect(indexes.rows.map((r) => r.name)).toContain('gaps_long_end');
    } finally {
      await db.destroy();
    }
  });

  it('says plainly when the file cannot be opened, and when the PostgreSQL URL is missing', async () => {
    const blocker = tempFile();
    writeFileSync(blocker, 'a file where a folder should be');
    expect(await codeOf(openDatabase({ driver: 'sqlite', sqlitePath: path.join(blocker, 'sub', 'vigil.db') }))).toBe('database_unavailable');
    expect(await codeOf(openDatabase({ driver: 'postgres' }))).toBe('config_invalid');
    expect(await codeOf(openDatabase({ driver: 'postgres', postgresUrl: 'postgres://[bad/vigil' }))).toBe('config_invalid');
  });
});

describe('opening a PostgreSQL database', () => {
  it('migrates once: reopening runs nothing and keeps the data; integers come back as numbers', async () => {
    const settings = await dbs.fresh('postgres');
    const db1 = await openDatabase(settings);
    await new SegmentsRepo(db1, () => T0).insert(seg('cam-a', T0));
    await db1.destroy();
    const db2 = await openDatabase(settings);
    try {
      expect(await migrateToLatest(db2, 'postgres')).toEqual([]);
      expect(await new SegmentsRepo(db2, () => T0).countAndBytes('cam-a')).toEqual({ count: 1, bytes: 1000 });
      const raw = await db2.selectFrom('segments').select(['id', 'start_ms', 'size_bytes']).executeTakeFirstOrThrow();
      expect(raw).toEqual({ id: 1, start_ms: T0, size_bytes: 1000 });
      const names = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db2);
      expect(names.rows.map((r) => r.name)).toEqual(Object.keys(migrationsFor('postgres')).sort());
    } finally {
      await db2.destroy();
    }
  });

  it('lets two nodes start on a new database at once: both open it, each migration runs once', async () => {
    const settings = await dbs.fresh('postgres');
    const [a, b] = await Promise.all([openDatabase(settings), openDatabase(settings)]);
    try {
      const runs = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(a);
      expect(runs.rows.map((r) => r.name)).toEqual(Object.keys(migrationsFor('postgres')).sort());
      expect(await new SegmentsRepo(b, () => T0).insert(seg('cam-a', T0))).toBe(true);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  it('upgrades a database made by migration 0001 alone, with the same indexes as SQLite', async () => {
    const settings = await dbs.fresh('postgres');
    const pool = new pg.Pool({ connectionString: settings.postgresUrl });
    const old = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    const migrator = new Migrator({ db: old, provider: { getMigrations: async () => migrationsFor('postgres') } });
    expect((await migrator.migrateTo('0001_index')).error).toBeUndefined();
    await old.insertInto('cameras').values({ id: 'cam-a', name: 'Quầy 1', site_id: null, source: 'rtsp', created_ms: T0, updated_ms: T0 }).execute();
    await old.destroy();
    const db = await openDatabase(settings);
    const lite = await dbs.open('sqlite');
    try {
      expect(await new CamerasRepo(db, () => T0).get('cam-a')).toMatchObject({ id: 'cam-a', name: 'Quầy 1', details: {} });
      const pgIndexes = await sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = 'public' and indexname not like '%_pkey' and indexname not like '%_key' and tablename not like 'kysely%' order by 1`.execute(db);
      const liteIndexes = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex%' order by name`.execute(lite);
      expect(pgIndexes.rows.map((r) => r.name)).toEqual(liteIndexes.rows.map((r) => r.name));
      expect(pgIndexes.rows.map((r) => r.name)).toContain('gaps_long_end');
    } finally {
      await db.destroy();
    }
  });

  it('names host, port, database and user when it cannot connect, never the password', async () => {
    const closed = await freePort();
    const refused = await failureOf(openDatabase({ driver: 'postgres', postgresUrl: `postgres://vigil:s3cret-pw@127.0.0.1:${closed}/vigil` }));
    expect(refused).toMatchObject({ code: 'database_unavailable' });
    expect(refused.message).toContain(`"vigil" at 127.0.0.1:${closed} (user "vigil")`);
    expect(refused.message).toContain('ECONNREFUSED');
    expect(refused.hint).toMatch(/PostgreSQL runs on that host and port/);

    const server = await dbs.postgres();
    const url = await server.createDatabase();
    const wrong = await failureOf(openDatabase({ driver: 'postgres', postgresUrl: url.replace(encodeURIComponent(PG_APP_PASSWORD), 'wrong-pw-123') }));
    expect(wrong).toMatchObject({ code: 'database_unavailable' });
    expect(wrong.message).toMatch(/password authentication failed for user "vigil"/);
    expect(wrong.hint).toMatch(/user and password/);
    const missing = await failureOf(openDatabase({ driver: 'postgres', postgresUrl: server.urlFor('no_such_db') }));
    expect(missing.message).toMatch(/database "no_such_db" does not exist/);
    expect(missing.hint).toMatch(/CREATE DATABASE/);
    for (const f of [refused, wrong, missing]) {
      expect(`${f.message} ${f.hint}`).not.toMatch(/s3cret-pw|wrong-pw-123|vigil-test-pw/);
    }
  });

  it('refuses a database that does not sort text in byte order, saying how to create one that does', async () => {
    const server = await dbs.postgres();
    const url = await server.createDatabase({ icuLocale: 'vi-VN' });
    const f = await failureOf(openDatabase({ driver: 'postgres', postgresUrl: url }));
    expect(f.code).toBe('database_unavailable');
    expect(f.message).toMatch(/sorts text by an ICU collation; Vigil needs byte order/);
    expect(f.hint).toContain("LOCALE 'C.UTF-8'");
    const tables = await server.admin<{ n: string }>(`select count(*) as n from pg_tables where schemaname = 'public'`, [], new URL(url).pathname.slice(1));
    expect(Number(tables[0]!.n)).toBe(0); // nothing was created in it
  });
});

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

describe.each(TEST_DIALECTS)('job and account repositories on real %s', (dialect) => {
  let db: Kysely<Database>;
  beforeAll(async () => {
    db = await dbs.open(dialect);
  });

  it('export jobs: claimed once, progress kept as a float, done or failed, running ones failed after a restart', async () => {
    const by = { userId: 'u1', username: 'lan' };
    await new CasesRepo(db).insert({ id: 'case-1', reference: 'KN-1', title: 't', description: '', siteId: null, status: 'open', createdBy: by, createdMs: T0, updatedMs: T0, closedMs: null });
    const jobs = new ExportsRepo(db);
    for (const id of ['ev-a', 'ev-b', 'ev-c']) {
      await jobs.insert({ id, caseId: 'case-1', cameraId: 'cam-a', askedStartMs: T0, askedEndMs: T0 + 60_000, reason: 'r', requestedBy: by, requestedIp: null, runnerId: 'r1', createdMs: T0 });
    }
    expect(await jobs.claim('ev-a', 'r1', T0 + 1)).toBe(true);
    expect(await jobs.claim('ev-a', 'r2', T0 + 2)).toBe(false);
    await jobs.setProgress('ev-a', 1 / 3, 'hashing', T0 + 3);
    expect(await jobs.get('ev-a')).toMatchObject({ status: 'running', progress: 1 / 3, phase: 'hashing', startedMs: T0 + 1, updatedMs: T0 + 3 });
    expect(await jobs.claim('ev-b', 'r1', T0 + 4)).toBe(true);
    expect(await jobs.markDone('ev-b', { actualStartMs: T0 - 500, actualEndMs: T0 + 60_000, objectKey: 'exports/case-1/ev-b.tar', sizeBytes: 5_000_000_000, packageSha256: 'a'.repeat(64), keyFingerprint: 'fp' }, T0 + 5)).toBe(true);
    expect(await jobs.get('ev-b')).toMatchObject({ status: 'done', sizeBytes: 5_000_000_000, actualStartMs: T0 - 500 });
    expect(await jobs.failRunning('r1', 'the runner restarted', T0 + 6)).toEqual(['ev-a']);
    expect((await jobs.queued('r1')).map((j) => j.id)).toEqual(['ev-c']);
    expect((await jobs.holdingNear('cam-a', { startMs: T0, endMs: T0 + 1 })).map((j) => j.id).sort()).toEqual(['ev-b', 'ev-c']); // same start: no order between them
  });

  it('users, sessions, tokens and login counters round-trip, with their conditional updates', async () => {
    let now = T0;
    const users = new UsersRepo(db, () => now);
    const u = await users.create({ username: ' Lan.Nguyen ', displayName: 'Nguyễn Thị Lan', role: 'admin', siteScopes: ['b', 'a', 'b'], passwordHash: 'h' });
    expect(u).toMatchObject({ username: 'lan.nguyen', siteScopes: ['a', 'b'], disabled: false, createdMs: T0 });
    await expect(users.create({ username: 'LAN.NGUYEN', displayName: 'x', role: 'viewer', siteScopes: [], passwordHash: 'h' })).rejects.toMatchObject({ code: 'conflict' });
    const root = await users.create({ username: 'root', displayName: 'Root', role: 'admin', siteScopes: [], passwordHash: 'h' });
    expect(await users.countUnscopedActiveAdmins()).toBe(1);
    now += 1;
    expect(await users.update(root.id, { disabled: true })).toMatchObject({ disabled: true, updatedMs: T0 + 1 });
    expect(await users.countUnscopedActiveAdmins()).toBe(0);
    expect((await users.list()).map((x) => x.username)).toEqual(['lan.nguyen', 'root']);

    const sessions = new SessionsRepo(db);
    await sessions.create({ tokenHash: 's1', userId: u.id, createdMs: T0, expiresMs: T0 + 1_000, lastSeenMs: T0, ip: '10.0.0.1', userAgent: 'x'.repeat(400) });
    await sessions.create({ tokenHash: 's2', userId: u.id, createdMs: T0, expiresMs: T0 + 100_000, lastSeenMs: T0 + 50_000, ip: '', userAgent: '' });
    expect((await sessions.get('s1'))?.userAgent).toHaveLength(300);
    expect(await sessions.purgeExpired(T0 + 1_000, 60_000)).toBe(1);
    expect(await sessions.deleteForUser(u.id, 's2')).toBe(0);

    const tokens = new ApiTokensRepo(db);
    await tokens.create({ id: 't1', tokenHash: 'th1', userId: u.id, name: 'đêm', createdMs: T0, expiresMs: null });
    expect(await tokens.revoke('t1', T0 + 9)).toBe(true);
    expect(await tokens.revoke('t1', T0 + 10)).toBe(true); // already revoked: still there
    expect(await tokens.byHash('th1')).toMatchObject({ revokedMs: T0 + 9, expiresMs: null });
    expect(await tokens.revoke('t-none', T0)).toBe(false);

    const attempts = new LoginAttemptsRepo(db);
    await attempts.put('user:lan', { failures: 2, lastFailureMs: T0, lockedUntilMs: 0 });
    await attempts.put('user:lan', { failures: 3, lastFailureMs: T0 + 1, lockedUntilMs: T0 + 60_000 });
    expect(await attempts.get('user:lan')).toEqual({ failures: 3, lastFailureMs: T0 + 1, lockedUntilMs: T0 + 60_000 });
    expect(await attempts.purgeStale(T0 + 2, T0 + 1)).toBe(0); // still locked
    expect(await attempts.purgeStale(T0 + 2, T0 + 60_000)).toBe(1);
    expect(await attempts.get('user:lan')).toBeNull();
  });
});
