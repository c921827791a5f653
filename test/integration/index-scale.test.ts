import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, sql, type Compilable, type Kysely } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { MAX_SEGMENT_DURATION_MS, SegmentsRepo } from '../../src/db/segments-repo.ts';
import { GapsRepo, LONG_GAP_MS } from '../../src/db/gaps-repo.ts';
import { TestDatabases } from '../helpers/test-db.ts';

/**
 * The index at scale: 1,000,000 segment rows (100 cameras × 10,000 ten-second segments, about
 * 28 hours each) and 100,000 gaps in a real SQLite file, then in a real PostgreSQL (its own
 * describe, at the end: EXPLAIN differs). The overlap queries the repositories run must be
 * index searches (SQLite: no SCAN of a table, no sort). Timings are printed, not asserted.
 */
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const CAMERAS = 100;
const PER_CAMERA = 10_000;
const SEG_MS = 10_000;

let dir: string;
let file: string;
let db: Kysely<Database>;
let raw: SQLite.Database;

/** EXPLAIN QUERY PLAN of the exact SQL and parameters a Kysely query compiles to. */
function plan(q: Compilable): string[] {
  const c = q.compile();
  return (raw.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...(c.parameters as unknown[])) as Array<{ detail: string }>).map((r) => r.detail);
}

async function timeIt<T>(runs: number, fn: (i: number) => Promise<T>): Promise<{ avgMs: number; last: T }> {
  let last!: T;
  const began = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) last = await fn(i);
  return { avgMs: Number(process.hrtime.bigint() - began) / 1e6 / runs, last };
}

describe('index at a million segment rows on SQLite', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-scale-'));
    file = path.join(dir, 'vigil.db');
    db = await openDatabase({ driver: 'sqlite', sqlitePath: file });
    // Bulk load over a second connection: one transaction, one prepared statement.
    raw = new SQLite(file);
    raw.pragma('busy_timeout = 5000');
    const began = Date.now();
    const insertSegment = raw.prepare(
      'INSERT INTO segments (camera_id, start_ms, duration_ms, size_bytes, sha256, object_key, init_bytes, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertGap = raw.prepare('INSERT INTO gaps (camera_id, start_ms, end_ms, reason, detail, created_ms) VALUES (?, ?, ?, ?, ?, ?)');
    const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    raw.transaction(() => {
      for (let i = 0; i < PER_CAMERA; i++) {
        for (let c = 0; c < CAMERAS; c++) {
          const start = T0 + i * SEG_MS;
          insertSegment.run(`cam-${c}`, start, SEG_MS, 2_500_000, sha, `cam-${c}/${start}-${SEG_MS}.mp4`, 1_200, start + 12_000);
        }
      }
      for (let i = 0; i < 1_000; i++) {
        for (let c = 0; c < CAMERAS; c++) {
          const start = T0 + i * 100_000 + 3_000;
          const long = i % 100 === 0; // one in a hundred lasts two hours
          insertGap.run(`cam-${c}`, start, start + (long ? 2 * LONG_GAP_MS : 4_000), long ? 'recorder_down' : 'stream_stalled', '', start);
        }
      }
    })();
    const mib = (statSync(file).size + statSync(`${file}-wal`).size) / 2 ** 20;
    console.log(`loaded ${CAMERAS * PER_CAMERA} segments and ${CAMERAS * 1_000} gaps in ${Date.now() - began} ms (${mib.toFixed(0)} MiB)`);
  }, 180_000);

  afterAll(async () => {
    raw?.close();
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds a million rows', () => {
    expect((raw.prepare('SELECT count(*) AS n FROM segments').get() as { n: number }).n).toBe(1_000_000);
  });

  it('answers segment overlap with one bounded search of (camera_id, start_ms), in index order', async () => {
    const segments = new SegmentsRepo(db, () => T0);
    const from = T0 + 5_000 * SEG_MS + 1_234;
    const range = { startMs: from, endMs: from + 600_000 };
    const details = plan(segments.overlappingQuery('cam-7', range));
    console.log(`EXPLAIN QUERY PLAN segments overlap:\n  ${details.join('\n  ')}`);
    expect(details).toHaveLength(1);
    expect(details[0]).toBe('SEARCH segments USING INDEX segments_camera_start (camera_id=? AND start_ms>? AND start_ms<?)');
    expect(details.join(' ')).not.toMatch(/\bSCAN\b|TEMP B-TREE/);

    const hits = await segments.overlapping('cam-7', range);
    expect(hits.map((h) => h.startMs)).toEqual(Array.from({ length: 61 }, (_, i) => T0 + (5_000 + i) * SEG_MS));
    const day = 86_400_000;
    const tenMin = await timeIt(200, (i) => segments.overlapping(`cam-${i % CAMERAS}`, { startMs: T0 + ((i * 7_919) % day), endMs: T0 + ((i * 7_919) % day) + 600_000 }));
    const oneHour = await timeIt(200, (i) => segments.overlapping(`cam-${i % CAMERAS}`, { startMs: T0 + ((i * 7_919) % day), endMs: T0 + ((i * 7_919) % day) + 3_600_000 }));
    console.log(`segment overlap at 1,000,000 rows: 10-minute range ${tenMin.avgMs.toFixed(3)} ms (${tenMin.last.length} rows), 1-hour range ${oneHour.avgMs.toFixed(3)} ms (${oneHour.last.length} rows), average of 200 lookups`);
  });

  it('shows why the start bound matters: without it the search runs from the camera’s first segment', async () => {
    const lateFrom = T0 + 9_900 * SEG_MS;
    const unbounded = raw.prepare('SELECT * FROM segments WHERE camera_id = ? AND start_ms < ? AND start_ms + duration_ms > ? ORDER BY start_ms');
    const planUnbounded = (raw.prepare(`EXPLAIN QUERY PLAN ${unbounded.source}`).all('cam-7', lateFrom + 600_000, lateFrom) as Array<{ detail: string }>).map((r) => r.detail);
    expect(planUnbounded.join(' ')).toMatch(/\(camera_id=\? AND start_ms<\?\)/);
    const segments = new SegmentsRepo(db, () => T0);
    const bounded = await timeIt(50, () => segments.overlapping('cam-7', { startMs: lateFrom, endMs: lateFrom + 600_000 }));
    const naive = await timeIt(50, async () => unbounded.all('cam-7', lateFrom + 600_000, lateFrom));
    expect(naive.last).toHaveLength(bounded.last.length);
    console.log(`late 10-minute range: bounded ${bounded.avgMs.toFixed(3)} ms vs unbounded ${naive.avgMs.toFixed(3)} ms (plan: ${planUnbounded.join(' | ')}); MAX_SEGMENT_DURATION_MS = ${MAX_SEGMENT_DURATION_MS}`);
  });

  it('answers gap overlap with two index searches, short gaps by start and long ones by the partial index', async () => {
    const gaps = new GapsRepo(db, () => T0);
    const from = T0 + 30_000_000;
    const details = plan(gaps.overlappingQuery('cam-7', { startMs: from, endMs: from + 600_000 }));
    console.log(`EXPLAIN QUERY PLAN gaps overlap:\n  ${details.join('\n  ')}`);
    // The short-gap part comes in index order; only the few long gaps are sorted (TEMP B-TREE).
    expect(details).toEqual([
      'MERGE (UNION ALL)',
      'LEFT',
      'SEARCH gaps USING INDEX gaps_camera_start (camera_id=? AND start_ms>? AND start_ms<?)',
      'RIGHT',
      'SEARCH gaps USING INDEX gaps_long_end (camera_id=? AND end_ms>?)',
      'USE TEMP B-TREE FOR ORDER BY',
    ]);
    const found = await gaps.overlapping('cam-7', { startMs: from, endMs: from + 600_000 });
    expect(found.length).toBeGreaterThan(0);
    const t = await timeIt(200, (i) => gaps.overlapping(`cam-${i % CAMERAS}`, { startMs: T0 + i * 400_000, endMs: T0 + i * 400_000 + 600_000 }));
    console.log(`gap overlap at 100,000 gaps: 10-minute range ${t.avgMs.toFixed(3)} ms (average of 200)`);
  });

  it('keeps both plans once SQLite has statistics (after ANALYZE)', () => {
    raw.exec('ANALYZE');
    const range = { startMs: T0 + 30_000_000, endMs: T0 + 30_600_000 };
    expect(plan(new SegmentsRepo(db, () => T0).overlappingQuery('cam-7', range))).toEqual([
      'SEARCH segments USING INDEX segments_camera_start (camera_id=? AND start_ms>? AND start_ms<?)',
    ]);
    expect(plan(new GapsRepo(db, () => T0).overlappingQuery('cam-7', range)).filter((d) => d.startsWith('SEARCH'))).toEqual([
      'SEARCH gaps USING INDEX gaps_camera_start (camera_id=? AND start_ms>? AND start_ms<?)',
      'SEARCH gaps USING INDEX gaps_long_end (camera_id=? AND end_ms>?)',
    ]);
  });

  it('finds the last segment from the index and counts a camera through it', async () => {
    const segments = new SegmentsRepo(db, () => T0);
    const lastPlan = plan(db.selectFrom('segments').selectAll().where('camera_id', '=', 'cam-7').orderBy('start_ms', 'desc').limit(1));
    expect(lastPlan).toEqual(['SEARCH segments USING INDEX segments_camera_start (camera_id=?)']);
    const last = await timeIt(200, (i) => segments.last(`cam-${i % CAMERAS}`));
    expect(last.last?.startMs).toBe(T0 + (PER_CAMERA - 1) * SEG_MS);
    const count = await timeIt(5, () => segments.countAndBytes('cam-7'));
    expect(count.last).toEqual({ count: PER_CAMERA, bytes: PER_CAMERA * 2_500_000 });
    console.log(`last(): ${last.avgMs.toFixed(3)} ms; countAndBytes() over ${PER_CAMERA} rows of a camera: ${count.avgMs.toFixed(2)} ms`);
  });
});

/**
 * The same index on PostgreSQL, loaded server-side (generate_series, cameras interleaved as a
 * recorder writes them). PostgreSQL's EXPLAIN differs from SQLite's, so the checks are its own:
 * no sequential scan, the index conditions bound start_ms on both sides, and the index hands
 * back only the bounded window (EXPLAIN ANALYZE's actual rows), which PostgreSQL then sorts
 * (a bitmap heap scan + a sort of ≈ 120 rows is its cheapest plan for rows spread over the heap).
 * Plans are checked after ANALYZE, as autovacuum would leave them.
 */
describe('index at a million segment rows on PostgreSQL', () => {
  const dbs = new TestDatabases();
  let pgdb: Kysely<Database>;

  interface PlanNode { 'Node Type': string; 'Index Name'?: string; 'Index Cond'?: string; 'Actual Rows'?: number; Plans?: PlanNode[] }
  const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
  /** EXPLAIN (ANALYZE, FORMAT JSON) of the exact SQL and parameters, as a flat list of plan nodes. */
  async function pgPlan(q: Compilable): Promise<PlanNode[]> {
    const c = q.compile();
    const res = await pgdb.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${c.sql}`, [...c.parameters]));
    return nodes(res.rows[0]!['QUERY PLAN'][0]!.Plan);
  }
  const show = (ns: PlanNode[]) => ns.map((n) => `${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}${n['Index Cond'] ? ` ${n['Index Cond']}` : ''} (rows ${n['Actual Rows']})`).join('\n  ');
  const indexScans = (ns: PlanNode[]) => ns.filter((n) => n['Index Name'] !== undefined);

  beforeAll(async () => {
    pgdb = await dbs.open('postgres');
    const began = Date.now();
    const sha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    await sql`insert into segments (camera_id, start_ms, duration_ms, size_bytes, sha256, object_key, init_bytes, created_ms)
      select 'cam-' || c, ${T0}::bigint + i * ${SEG_MS}, ${SEG_MS}, 2500000, ${sha}, 'cam-' || c || '/' || (${T0}::bigint + i * ${SEG_MS}) || '-' || ${SEG_MS} || '.mp4', 1200, ${T0}::bigint + i * ${SEG_MS} + 12000
      from generate_series(0, ${PER_CAMERA - 1}) as i, generate_series(0, ${CAMERAS - 1}) as c order by i, c`.execute(pgdb);
    await sql`insert into gaps (camera_id, start_ms, end_ms, reason, detail, created_ms)
      select 'cam-' || c, ${T0}::bigint + i * 100000 + 3000,
        ${T0}::bigint + i * 100000 + 3000 + case when i % 100 = 0 then ${2 * LONG_GAP_MS} else 4000 end,
        case when i % 100 = 0 then 'recorder_down' else 'stream_stalled' end, '', ${T0}::bigint + i * 100000 + 3000
      from generate_series(0, 999) as i, generate_series(0, ${CAMERAS - 1}) as c order by i, c`.execute(pgdb);
    await sql`analyze segments`.execute(pgdb);
    await sql`analyze gaps`.execute(pgdb);
    const size = await sql<{ mib: number }>`select (pg_database_size(current_database()) / 1048576)::int as mib`.execute(pgdb);
    console.log(`PostgreSQL: loaded ${CAMERAS * PER_CAMERA} segments and ${CAMERAS * 1_000} gaps in ${Date.now() - began} ms (${size.rows[0]!.mib} MiB)`);
  }, 180_000);

  afterAll(() => dbs.cleanup());

  it('holds a million rows', async () => {
    expect(await new SegmentsRepo(pgdb, () => T0).countAndBytes('cam-7')).toEqual({ count: PER_CAMERA, bytes: PER_CAMERA * 2_500_000 });
    const all = await pgdb.selectFrom('segments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(all.n).toBe(1_000_000);
  });

  it('answers segment overlap from (camera_id, start_ms) bounded on both sides, reading only the window', async () => {
    const segments = new SegmentsRepo(pgdb, () => T0);
    const from = T0 + 5_000 * SEG_MS + 1_234;
    const range = { startMs: from, endMs: from + 600_000 };
    const plan = await pgPlan(segments.overlappingQuery('cam-7', range));
    console.log(`EXPLAIN segments overlap (PostgreSQL):\n  ${show(plan)}`);
    expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    const scans = indexScans(plan);
    expect(scans.map((n) => n['Index Name'])).toEqual(['segments_camera_start']);
    expect(scans[0]!['Index Cond']).toMatch(/camera_id = .*start_ms < .*start_ms >= /);
    // [start − 10 min, end) of ten-second segments: exactly 120 index entries, of 1,000,000.
    expect(scans[0]!['Actual Rows']).toBe(120);

    const hits = await segments.overlapping('cam-7', range);
    expect(hits.map((h) => h.startMs)).toEqual(Array.from({ length: 61 }, (_, i) => T0 + (5_000 + i) * SEG_MS));
    const day = 86_400_000;
    const tenMin = await timeIt(200, (i) => segments.overlapping(`cam-${i % CAMERAS}`, { startMs: T0 + ((i * 7_919) % day), endMs: T0 + ((i * 7_919) % day) + 600_000 }));
    const oneHour = await timeIt(200, (i) => segments.overlapping(`cam-${i % CAMERAS}`, { startMs: T0 + ((i * 7_919) % day), endMs: T0 + ((i * 7_919) % day) + 3_600_000 }));
    console.log(`PostgreSQL segment overlap at 1,000,000 rows: 10-minute range ${tenMin.avgMs.toFixed(3)} ms (${tenMin.last.length} rows), 1-hour range ${oneHour.avgMs.toFixed(3)} ms (${oneHour.last.length} rows), average of 200 lookups`);
  });

  it('answers gap overlap with two index searches, short gaps by start and long ones by the partial index', async () => {
    const gaps = new GapsRepo(pgdb, () => T0);
    const from = T0 + 30_000_000;
    const plan = await pgPlan(gaps.overlappingQuery('cam-7', { startMs: from, endMs: from + 600_000 }));
    console.log(`EXPLAIN gaps overlap (PostgreSQL):\n  ${show(plan)}`);
    expect(plan.map((n) => n['Node Type'])).not.toContain('Seq Scan');
    const scans = indexScans(plan);
    expect(scans.map((n) => n['Index Name']).sort()).toEqual(['gaps_camera_start', 'gaps_long_end']);
    expect(scans.find((n) => n['Index Name'] === 'gaps_camera_start')!['Index Cond']).toMatch(/camera_id = .*start_ms < .*start_ms >= /);
    expect(scans.every((n) => (n['Actual Rows'] ?? 0) < 100)).toBe(true);
    expect((await gaps.overlapping('cam-7', { startMs: from, endMs: from + 600_000 })).length).toBeGreaterThan(0);
    const t = await timeIt(200, (i) => gaps.overlapping(`cam-${i % CAMERAS}`, { startMs: T0 + i * 400_000, endMs: T0 + i * 400_000 + 600_000 }));
    console.log(`PostgreSQL gap overlap at 100,000 gaps: 10-minute range ${t.avgMs.toFixed(3)} ms (average of 200)`);
  });

  it('finds the last segment by walking the index backwards, one row', async () => {
    const segments = new SegmentsRepo(pgdb, () => T0);
    const plan = await pgPlan(pgdb.selectFrom('segments').selectAll().where('camera_id', '=', 'cam-7').orderBy('start_ms', 'desc').limit(1));
    expect(plan.map((n) => n['Node Type'])).toEqual(['Limit', 'Index Scan']);
    expect(plan[1]).toMatchObject({ 'Index Name': 'segments_camera_start', 'Actual Rows': 1 });
    const last = await timeIt(200, (i) => segments.last(`cam-${i % CAMERAS}`));
    expect(last.last?.startMs).toBe(T0 + (PER_CAMERA - 1) * SEG_MS);
    console.log(`PostgreSQL last(): ${last.avgMs.toFixed(3)} ms`);
  });
});
