import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { startRecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { checkAccounting, describeAccounting } from '../../src/accounting.ts';
import { HeldFootage } from '../../src/cases/held-footage.ts';
import { ManualClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db/database.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { CasesRepo } from '../../src/db/cases-repo.ts';
import { HoldsRepo } from '../../src/db/holds-repo.ts';
import { RetentionRepo } from '../../src/db/retention-repo.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { runRetention } from '../../src/retention/retention-run.ts';
import { retentionPolicyFrom } from '../../src/retention/retention-policy.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { TestDatabases } from '../helpers/test-db.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;
const quiet = createLogger({ level: 'silent' });
const ALL = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

async function keysIn(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list('')) out.push(o.key);
  return out.sort();
}

describe('retention on a real MinIO', () => {
  let minio: MinioServer;
  const dbs = new TestDatabases();
  beforeAll(async () => {
    minio = await startMinio();
  });
  afterAll(async () => {
    await minio?.destroy();
    await dbs.cleanup();
  });

  it('deletes recorded footage past its age except what a case holds, and accounts for it as expired', async () => {
    const h = await startRecorderHarness({ cameras: [defaultSpec(0, { id: 'counter-1', video: 'h264', audio: 'none' })], minio, segmentMs: 2_000 });
    const segments = new SegmentsRepo(h.db, () => Date.now());
    try {
      await waitFor('five recorded segments', async () => (await segments.overlapping('counter-1', ALL)).length >= 5, { timeoutMs: 60_000, intervalMs: 250 });
      await h.recorder.stop();
      const recorded = await segments.overlapping('counter-1', ALL);
      const held = recorded[2]!;
      // A case holds one minute-fraction inside the third segment only.
      const by = { userId: 'u1', username: 'thanh.tra' };
      await new CasesRepo(h.db).insert({ id: 'case-1', reference: 'KN-2026-001', title: 'Thái độ phục vụ', description: '', siteId: null, status: 'open', createdBy: by, createdMs: Date.now(), updatedMs: Date.now(), closedMs: null });
      await new HoldsRepo(h.db).insert({ caseId: 'case-1', cameraId: 'counter-1', startMs: held.startMs + 100, endMs: held.startMs + 200, createdBy: { userId: 'u1', username: 'thanh.tra' }, createdMs: Date.now() });
      const clock = new ManualClock(Date.now() + 32 * DAY); // the clock advanced past 30 days
      const outcome = await runRetention({
        db: h.db, store: h.store, clock, log: quiet, warnAtFraction: 0.9,
        policy: retentionPolicyFrom(h.config), held: new HeldFootage(h.db),
      });
      expect(outcome.deletedSegments).toBe(recorded.length - 1);
      const left = await segments.overlapping('counter-1', ALL);
      expect(left.map((s) => s.objectKey)).toEqual([held.objectKey]);
      expect(await keysIn(h.store)).toEqual([held.objectKey]);
      expect(outcome.plan.cameras[0]!.heldKept.map((r) => r.why)).toEqual(['case case-1']);

      // Segments + gaps + expired ranges still account for every millisecond recorded.
      const expired = await new RetentionRepo(h.db, () => clock.nowMs()).expiredOverlapping('counter-1', ALL);
      expect(expired.every((e) => e.reason === 'age')).toBe(true);
      const gaps = await new GapsRepo(h.db, () => Date.now()).overlapping('counter-1', ALL);
      const pieces = [
        ...left.map((s) => ({ kind: 'segment' as const, startMs: s.startMs, endMs: s.startMs + s.durationMs, label: s.objectKey })),
        ...gaps.map((g) => ({ kind: 'gap' as const, startMs: g.startMs, endMs: g.endMs, label: g.reason })),
        ...expired.map((e) => ({ kind: 'gap' as const, startMs: e.startMs, endMs: e.endMs, label: `expired:${e.reason}` })),
      ];
      const first = recorded[0]!.startMs;
      const last = recorded[recorded.length - 1]!;
      const report = checkAccounting({ startMs: first, endMs: last.startMs + last.durationMs }, pieces);
      expect(describeAccounting(report)).toEqual([]);
      expect(report.gapMsByReason['expired:age']).toBe(recorded.filter((s) => s !== held).reduce((n, s) => n + s.durationMs, 0));

      // A second run finds nothing more to do.
      const again = await runRetention({ db: h.db, store: h.store, clock, log: quiet, warnAtFraction: 0.9, policy: retentionPolicyFrom(h.config), held: new HeldFootage(h.db) });
      expect(again.deletedSegments).toBe(0);
    } finally {
      await h.stop();
    }
  }, 120_000);

  it('kill -9 in the middle of deleting, then a rerun: no orphan object, no dangling row', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-ret-'));
    const bucket = 'retention-kill';
    const settings = { endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket };
    const configFile = path.join(dir, 'vigil.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: dir, log: { level: 'warn' }, storage: { driver: 'minio', minio: settings }, retention: { days: 30 } }));
    const store = new MinioObjectStore(settings);
    await store.ping();
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
    const segments = new SegmentsRepo(db, () => Date.now());
    // 1,200 old one-second segments (60 days ago) and 20 recent ones; small bodies, real puts.
    const oldStart = Date.now() - 60 * DAY;
    const recentStart = Date.now() - 60_000;
    const rows = [
      ...Array.from({ length: 1_200 }, (_, i) => ({ startMs: oldStart + i * 1_000 })),
      ...Array.from({ length: 20 }, (_, i) => ({ startMs: recentStart + i * 1_000 })),
    ];
    const body = Buffer.alloc(512, 7);
    for (let i = 0; i < rows.length; i += 32) {
      await Promise.all(rows.slice(i, i + 32).map(async (r) => {
        const key = segmentKey('door', r.startMs, 1_000);
        await store.put(key, body);
        await segments.insert({ cameraId: 'door', startMs: r.startMs, durationMs: 1_000, sizeBytes: body.length, sha256: 'x'.repeat(64), objectKey: key, initBytes: 0 });
      }));
    }
    await db.destroy();

    // The dry run says what would go, per camera, and deletes nothing.
    const dry = execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'retention', '--dry-run', '--config', configFile], { cwd: repoRoot, encoding: 'utf8' });
    expect(dry).toContain('1200 segment(s) to delete');
    expect(dry).toMatch(/door: remove 0\.33 h \(1200 segments, 600 KiB|door: remove 0\.33 h \(1200 segments, 614400 B/);
    expect(dry).toContain('Dry run: nothing was deleted.');
    expect((await keysIn(store)).length).toBe(1_220);

    // The real command, batches of 10, killed once some segments are marked.
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'retention', '--now', '--batch-size', '10', '--config', configFile], { cwd: repoRoot, stdio: 'ignore' });
    const marked = () => {
      const conn = new Database(path.join(dir, 'vigil.db'), { readonly: true, fileMustExist: true });
      try {
        return (conn.prepare('select count(*) as n from segments where deleting_ms is not null').get() as { n: number }).n;
      } finally {
        conn.close();
      }
    };
    await waitFor('retention to mark segments for deletion', () => marked() > 0, { timeoutMs: 30_000, intervalMs: 2 });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const db2 = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
    try {
      const retention = new RetentionRepo(db2, () => Date.now());
      const midway = (await retention.live()).length;
      const markedBefore = (await retention.marked(100_000)).length;
      expect(midway).toBeGreaterThan(20); // killed before it was done
      expect(midway).toBeLessThan(1_220);
      const outcome = await runRetention({
        db: db2, store, clock: new ManualClock(Date.now()), log: quiet, warnAtFraction: 0.9,
        policy: retentionPolicyFrom({ timeZone: 'Asia/Ho_Chi_Minh', retention: { days: 30, warnAtFraction: 0.9, schedule: '30 2 * * *' }, sites: [], cameras: [] }),
        held: new HeldFootage(db2),
      });
      expect(outcome.resumedSegments).toBe(markedBefore);
      expect(outcome.deletedSegments).toBe(midway - 20);
      const live = await retention.live();
      expect(live).toHaveLength(20);
      expect(await retention.marked(10)).toEqual([]);
      // Bucket and index agree exactly.
      expect(await keysIn(store)).toEqual(live.map((s) => s.objectKey).sort());
      const expired = await retention.expiredOverlapping('door', ALL);
      const report = checkAccounting({ startMs: oldStart, endMs: oldStart + 1_200_000 }, expired.map((e) => ({ kind: 'gap' as const, startMs: e.startMs, endMs: e.endMs, label: e.reason })));
      expect(describeAccounting(report)).toEqual([]);
    } finally {
      await db2.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  // The planner and the crash-safe run on PostgreSQL (the recorder harness above runs on SQLite;
  // the index side is what differs): old footage goes except the held segment, marks left by a
  // crashed run are finished first, and bucket, index and expired ranges agree exactly.
  it('on PostgreSQL: finishes a crashed run, keeps held footage, and leaves bucket and index agreeing', async () => {
    const db = await dbs.open('postgres');
    const settings = { endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: 'retention-pg' };
    const store = new MinioObjectStore(settings);
    await store.ping();
    const segments = new SegmentsRepo(db, () => Date.now());
    const oldStart = Date.now() - 60 * DAY;
    const starts = [...Array.from({ length: 300 }, (_, i) => oldStart + i * 1_000), ...Array.from({ length: 10 }, (_, i) => Date.now() - 60_000 + i * 1_000)];
    const body = Buffer.alloc(256, 3);
    for (let i = 0; i < starts.length; i += 32) {
      await Promise.all(starts.slice(i, i + 32).map(async (startMs) => {
        const key = segmentKey('quay-2', startMs, 1_000);
        await store.put(key, body);
        await segments.insert({ cameraId: 'quay-2', startMs, durationMs: 1_000, sizeBytes: body.length, sha256: 'x'.repeat(64), objectKey: key, initBytes: 0 });
      }));
    }
    const by = { userId: 'u1', username: 'thanh.tra' };
    await new CasesRepo(db).insert({ id: 'case-pg', reference: 'KN-PG-1', title: 'Quầy 2', description: '', siteId: null, status: 'open', createdBy: by, createdMs: Date.now(), updatedMs: Date.now(), closedMs: null });
    const heldStart = oldStart + 100_000;
    await new HoldsRepo(db).insert({ caseId: 'case-pg', cameraId: 'quay-2', startMs: heldStart + 200, endMs: heldStart + 300, createdBy: by, createdMs: Date.now() });

    // A run that crashed after marking 50 segments and deleting the objects of half of them.
    const retention = new RetentionRepo(db, () => Date.now());
    const live = await retention.live();
    await retention.mark(live.slice(0, 50).map((s) => ({ id: s.id, reason: 'age' })));
    await store.delete(live.slice(0, 25).map((s) => s.objectKey));
    expect(await segments.overlapping('quay-2', { startMs: oldStart, endMs: oldStart + 50_000 })).toEqual([]); // marked: no longer served

    const policy = retentionPolicyFrom({ timeZone: 'Asia/Ho_Chi_Minh', retention: { days: 30, warnAtFraction: 0.9, schedule: '30 2 * * *' }, sites: [], cameras: [] });
    const run = () => runRetention({ db, store, clock: new ManualClock(Date.now()), log: quiet, warnAtFraction: 0.9, policy, held: new HeldFootage(db), batchSize: 64 });
    const outcome = await run();
    expect(outcome.resumedSegments).toBe(50);
    expect(outcome.deletedSegments).toBe(300 - 50 - 1);
    const left = await retention.live();
    expect(left.map((s) => s.startMs)).toEqual([heldStart, ...starts.slice(300)]);
    expect(await retention.marked(10)).toEqual([]);
    expect(await keysIn(store)).toEqual(left.map((s) => s.objectKey).sort());
    expect(await retention.totals()).toEqual([{ cameraId: 'quay-2', bytes: 11 * body.length, oldestStartMs: heldStart, segments: 11 }]);

    const expired = await retention.expiredOverlapping('quay-2', ALL);
    const pieces = [
      { kind: 'segment' as const, startMs: heldStart, endMs: heldStart + 1_000, label: 'held' },
      ...expired.map((e) => ({ kind: 'gap' as const, startMs: e.startMs, endMs: e.endMs, label: `expired:${e.reason}` })),
    ];
    const report = checkAccounting({ startMs: oldStart, endMs: oldStart + 300_000 }, pieces);
    expect(describeAccounting(report)).toEqual([]);
    expect(report.gapMsByReason['expired:age']).toBe(299_000);

    expect((await run()).deletedSegments).toBe(0);
  }, 120_000);
});
