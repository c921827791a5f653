import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { AuditLog, verifyAuditChain } from '../../src/audit/audit-log.ts';
import { CaseService } from '../../src/cases/case-service.ts';
import { ManualClock } from '../../src/clock.ts';
import { ApiTokensRepo } from '../../src/db/api-tokens-repo.ts';
import { AuditRepo } from '../../src/db/audit-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { openDatabase } from '../../src/db/database.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { ExportsRepo } from '../../src/db/exports-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { COPY_TABLES, copyIndex } from '../../src/db/index-copy.ts';
import { LoginAttemptsRepo } from '../../src/db/login-attempts-repo.ts';
import { migrationsFor } from '../../src/db/migrations.ts';
import { RetentionRepo } from '../../src/db/retention-repo.ts';
import { RetentionSettingsRepo } from '../../src/db/retention-settings-repo.ts';
import type { Database } from '../../src/db/schema.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { SessionsRepo } from '../../src/db/sessions-repo.ts';
import { UsersRepo } from '../../src/db/users-repo.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { TestDatabases } from '../helpers/test-db.ts';

const MIGRATION_NAMES = Object.keys(migrationsFor('sqlite')).sort();
const LATEST = MIGRATION_NAMES.at(-1)!;
const PREVIOUS = MIGRATION_NAMES.at(-2)!;

/**
 * The documented move of an embedded install (SQLite + fs objects) to PostgreSQL + MinIO, run
 * through the real `vigil migrate` command: every table of a populated index (real rows written
 * by the repositories and services the roles use), its objects, then checks that PostgreSQL
 * holds the same rows, the audit chain is intact up to the file's head, the bucket holds every
 * object, new rows get fresh ids, and that re-runs are idempotent and refuse a mixed index.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const T0 = Date.UTC(2026, 2, 3, 2, 0, 0);
const dbs = new TestDatabases();
let minio: MinioServer;
let dir: string;
let sqliteFile: string;
let objectsDir: string;
let pgUrl: string;
let configFile: string;
let bucketStore: ObjectStore;
let sqliteHead: { seq: number; hash: string };

function vigil(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

async function keysIn(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list('')) out.push(`${o.key}:${o.sizeBytes}`);
  return out;
}

/** Every row of every table, in key order (SQLite's and PostgreSQL's read the same way). */
async function dump(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of COPY_TABLES) out[t.table] = await (db as Kysely<any>).selectFrom(t.table).selectAll().orderBy(t.key).execute();
  return out;
}

/** An embedded install with rows in every table, written the way the roles write them. */
async function populate(db: Kysely<Database>, store: FsObjectStore): Promise<void> {
  const clock = new ManualClock(T0);
  const now = () => clock.nowMs();
  const cameras = new CamerasRepo(db, now);
  await cameras.upsert({ id: 'quay-1', name: 'Quầy 1 — tiếp nhận hồ sơ', siteId: 'phuong-a', source: 'onvif', details: { model: 'IPC-HFW 🎥', clockOffsetMs: -420 } });
  await cameras.upsert({ id: 'quay-2', name: null, siteId: null, source: 'rtsp' });
  const segments = new SegmentsRepo(db, now);
  for (const cam of ['quay-1', 'quay-2']) {
    for (let i = 0; i < 120; i++) {
      const startMs = T0 + i * 2_000;
      const body = Buffer.alloc(600 + i, i % 251);
      const key = segmentKey(cam, startMs, 2_000);
      await store.put(key, body);
      await segments.insert({ cameraId: cam, startMs, durationMs: 2_000, sizeBytes: body.length, sha256: String(i).padStart(64, 'a'), objectKey: key, initBytes: 500 });
    }
  }
  const gaps = new GapsRepo(db, now);
  await gaps.insert({ cameraId: 'quay-1', startMs: T0 - 7 * 86_400_000, endMs: T0, reason: 'recorder_down', detail: 'máy chủ khởi động lại' });
  await gaps.insert({ cameraId: 'quay-2', startMs: T0 + 240_000, endMs: T0 + 250_000, reason: 'stream_stalled', detail: '' });
  await db
    .insertInto('backfill_jobs')
    .values({ camera_id: 'quay-2', gap_start_ms: T0 + 240_000, gap_end_ms: T0 + 250_000, gap_reason: 'stream_stalled', state: 'partial', attempts: 2, next_attempt_ms: T0 + 600_000, recovered_ms: 6_000, detail: 'thẻ nhớ thiếu 4 giây', created_ms: T0, updated_ms: T0 + 1 })
    .execute();
  const events = new EventsRepo(db);
  await events.insert({ cameraId: 'quay-1', atMs: T0, fromState: 'connecting', toState: 'recording', detail: '' });
  await events.insert({ cameraId: 'quay-2', atMs: T0 + 240_000, fromState: 'recording', toState: 'stalled', detail: 'no media for 5 s' });
  // Retention: two segments deleted (expired ranges), one still marked (a crash mid-run).
  const retention = new RetentionRepo(db, now);
  const live = await retention.live();
  await retention.mark([{ id: live[0]!.id, reason: 'age' }, { id: live[2]!.id, reason: 'age' }, { id: live[4]!.id, reason: 'quota' }]);
  const marked = await retention.marked(10);
  await store.delete(marked.slice(0, 2).map((m) => m.objectKey));
  await retention.finish(marked.slice(0, 2));

  const users = new UsersRepo(db, now);
  const lan = await users.create({ username: 'lan.nguyen', displayName: 'Nguyễn Thị Lan', role: 'investigator', siteScopes: ['phuong-a'], passwordHash: 'scrypt$ln=15$r=8$p=1$c2FsdA$aGFzaA' });
  const admin = await users.create({ username: 'admin', displayName: 'Quản trị', role: 'admin', siteScopes: [], passwordHash: 'scrypt$x' });
  await users.update(admin.id, { disabled: true });
  await new SessionsRepo(db).create({ tokenHash: 'f'.repeat(64), userId: lan.id, createdMs: T0, expiresMs: T0 + 43_200_000, lastSeenMs: T0 + 60_000, ip: '10.20.0.5', userAgent: 'Mozilla/5.0 (Cốc Cốc)' });
  await new ApiTokensRepo(db).create({ id: 'tok-1', tokenHash: 'e'.repeat(64), userId: admin.id, name: 'báo cáo hằng đêm', createdMs: T0, expiresMs: null });
  await new LoginAttemptsRepo(db).put('user:lan.nguyen', { failures: 3, lastFailureMs: T0 + 5, lockedUntilMs: 0 });
  // Retention values saved in the web UI (migration 0008).
  await new RetentionSettingsRepo(db, now).apply([{ scope: 'default', targetId: '', days: 45 }, { scope: 'site', targetId: 'phuong-1', days: 90, quotaBytes: 5 * 1024 ** 3 }], 'quantri');

  const audit = new AuditLog({ db, clock });
  const cases = new CaseService({ db, clock, audit });
  const by = { actor: { userId: lan.id, username: lan.username }, ip: '10.20.0.5' };
  const c = await cases.createCase({ reference: 'KN-2026/031', title: 'Thái độ cán bộ quầy 1', siteId: 'phuong-a', description: 'Công dân phản ánh lúc 09:40' }, by);
  clock.advance(1_000);
  await cases.addClip(c.id, { cameraId: 'quay-1', startMs: T0 + 10_000, endMs: T0 + 40_000, reason: 'công dân nói 09:40–09:41' }, by);
  const { hold } = await cases.addClip(c.id, { cameraId: 'quay-2', startMs: T0, endMs: T0 + 4_000, reason: 'góc khác' }, by);
  await cases.releaseHold(hold.id, 'không liên quan', by);
  const exportsRepo = new ExportsRepo(db);
  for (const id of ['ev-1', 'ev-2']) {
    await exportsRepo.insert({ id, caseId: c.id, cameraId: 'quay-1', askedStartMs: T0 + 10_000, askedEndMs: T0 + 40_000, reason: 'nộp cho thanh tra', requestedBy: by.actor, requestedIp: '10.20.0.5', runnerId: 'runner-a', createdMs: clock.nowMs() });
  }
  await exportsRepo.claim('ev-1', 'runner-a', clock.nowMs());
  await exportsRepo.setProgress('ev-1', 1 / 3, 'hashing', clock.nowMs()); // a float that float4 would round
  await exportsRepo.claim('ev-2', 'runner-a', clock.nowMs());
  await store.put(`exports/${c.id}/ev-2.tar`, Buffer.alloc(10_240, 1));
  await exportsRepo.markDone('ev-2', { actualStartMs: T0 + 8_000, actualEndMs: T0 + 40_000, objectKey: `exports/${c.id}/ev-2.tar`, sizeBytes: 10_240, packageSha256: 'b'.repeat(64), keyFingerprint: 'SHA256:abc' }, clock.nowMs());
  for (let i = 0; i < 30; i++) {
    clock.advance(1_000);
    await audit.append({ actor: by.actor, ip: '10.20.0.5', action: 'clip.view', cameraId: 'quay-1', startMs: T0 + i * 1_000, endMs: T0 + i * 1_000 + 500, reason: `xem lại lần ${i}`, detail: { i, note: 'ổn' } });
  }
}

beforeAll(async () => {
  minio = await startMinio();
  dir = mkdtempSync(path.join(tmpdir(), 'vigil-move-'));
  sqliteFile = path.join(dir, 'old', 'vigil.db');
  objectsDir = path.join(dir, 'old', 'objects');
  const db = await openDatabase({ driver: 'sqlite', sqlitePath: sqliteFile });
  await populate(db, new FsObjectStore(objectsDir));
  sqliteHead = (await new AuditRepo(db).head())!;
  await db.destroy();
  pgUrl = (await dbs.fresh('postgres')).postgresUrl!;
  const minioSettings = { endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: 'vigil-footage' };
  bucketStore = new MinioObjectStore(minioSettings);
  configFile = path.join(dir, 'vigil-new.json');
  writeFileSync(configFile, JSON.stringify({ dataDir: path.join(dir, 'new'), log: { level: 'warn' }, database: { driver: 'postgres', postgresUrl: pgUrl }, storage: { driver: 'minio', minio: minioSettings } }));
}, 120_000);

afterAll(async () => {
  await dbs.cleanup();
  await minio?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('moving an embedded install to PostgreSQL + MinIO with vigil migrate', () => {
  it('vigil migrate alone brings the new database to the latest schema and says what ran', () => {
    const first = vigil(['migrate', '--config', configFile]);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Database: the PostgreSQL database');
    expect(first.out).toContain(`Running ${Object.keys(migrationsFor('postgres')).length} migration(s): 0001_index, 0002_camera_details_long_gaps`);
    expect(first.out).not.toContain('vigil-test-pw'); // the URL's password is never printed
    const again = vigil(['migrate', '--config', configFile]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(new RegExp(`Nothing to run: the schema is at ${LATEST}, the latest\\.`));
  });

  it('copies the objects and every table, verified: same rows, intact audit chain, every object in the bucket', async () => {
    const r = vigil(['migrate', '--config', configFile, '--copy-objects-from', objectsDir, '--copy-from-sqlite', sqliteFile, '--batch-size', '50']);
    expect(r.out).toContain('The index is copied and verified.');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/objects: 239 in the folder, 239 copied/); // 240 segments − 2 expired + 1 export package
    expect(r.out).toMatch(/segments\s+238 rows: 238 copied, 0 already there, all verified/);
    expect(r.out).toContain(`holds the file's head (seq ${sqliteHead.seq}, hash ${sqliteHead.hash})`);
    expect(r.out).toMatch(/footage: all 237 indexed segments have their object in the minio store/); // one still marked for deletion

    const sqlite = await openDatabase({ driver: 'sqlite', sqlitePath: sqliteFile });
    const pg = await openDatabase({ driver: 'postgres', postgresUrl: pgUrl });
    try {
      const [a, b] = [await dump(sqlite), await dump(pg)];
      for (const t of COPY_TABLES) expect(a[t.table]!.length, t.table).toBeGreaterThan(0);
      expect(b).toEqual(a);
      expect(await verifyAuditChain(pg, sqliteHead)).toMatchObject({ ok: true, rowsChecked: sqliteHead.seq });
      expect(await keysIn(bucketStore)).toEqual(await keysIn(new FsObjectStore(objectsDir)));

      // The new install carries on: fresh ids after the copied ones, the chain continues.
      const maxId = Number((await sql<{ m: number }>`select max(id) as m from segments`.execute(pg)).rows[0]!.m);
      const newKey = segmentKey('quay-1', T0 + 900_000, 2_000);
      await bucketStore.put(newKey, Buffer.alloc(1, 9));
      expect(await new SegmentsRepo(pg, () => T0).insert({ cameraId: 'quay-1', startMs: T0 + 900_000, durationMs: 2_000, sizeBytes: 1, sha256: 'c'.repeat(64), objectKey: newKey, initBytes: 0 })).toBe(true);
      expect((await pg.selectFrom('segments').select('id').where('start_ms', '=', T0 + 900_000).executeTakeFirstOrThrow()).id).toBe(maxId + 1);
      const audit = new AuditLog({ db: pg, clock: new ManualClock(T0 + 3_600_000) });
      expect((await audit.record({ actor: null, action: 'index.copied' })).seq).toBe(sqliteHead.seq + 1);
      expect(await audit.verify()).toMatchObject({ ok: true, rowsChecked: sqliteHead.seq + 1 });
    } finally {
      await sqlite.destroy();
      await pg.destroy();
    }
  });

  it('is idempotent: a second run copies nothing and verifies again', () => {
    const r = vigil(['migrate', '--config', configFile, '--copy-objects-from', objectsDir, '--copy-from-sqlite', sqliteFile]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/objects: 239 in the folder, 0 copied \(0 B\), 239 already in the store/);
    expect(r.out).toMatch(new RegExp(`audit_log\\s+${sqliteHead.seq} rows: 0 copied, ${sqliteHead.seq} already there, all verified; PostgreSQL also holds 1 row\\(s\\) not in the file`));
    expect(r.out).toMatch(/segments\s+238 rows: 0 copied, 238 already there, all verified; PostgreSQL also holds 1 row/);
  });

  it('finds an indexed segment missing from the bucket, and a second copy of the objects puts it back', async () => {
    const victim = segmentKey('quay-2', T0 + 100_000, 2_000);
    await bucketStore.delete([victim]);
    const r = vigil(['migrate', '--config', configFile, '--copy-from-sqlite', sqliteFile]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`footage: 1 of 238 indexed segments are not in the minio store as indexed:\n  - ${victim} is indexed but not in the store`);
    expect(r.out).toContain('The copy is NOT complete');
    const fixed = vigil(['migrate', '--config', configFile, '--copy-objects-from', objectsDir, '--copy-from-sqlite', sqliteFile]);
    expect(fixed.out).toMatch(/239 in the folder, 1 copied/);
    expect(fixed.out).toMatch(/footage: all 238 indexed segments have their object/);
    expect(fixed.code).toBe(0);
  });

  it('refuses to mix two indexes: a row that differs in PostgreSQL stops the copy, naming table and column, not the value', async () => {
    const server = await dbs.postgres();
    const dbName = new URL(pgUrl).pathname.slice(1);
    await server.admin(`update users set display_name = 'Someone Else' where username = 'admin'`, [], dbName);
    const r = vigil(['migrate', '--config', configFile, '--copy-from-sqlite', sqliteFile]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/PostgreSQL already holds users row id = "usr_[0-9a-f-]+" with a different display_name/);
    expect(r.out).toContain('Copy into a new, empty database');
    expect(r.out).not.toContain('Someone Else');
  });

  it('refuses a SQLite index that is behind this version, and a target that is not PostgreSQL', async () => {
    const lite = await dbs.open('sqlite');
    await sql`delete from kysely_migration where name = ${LATEST}`.execute(lite);
    const pg = await dbs.open('postgres');
    await expect(copyIndex({ source: lite, target: pg })).rejects.toMatchObject({ code: 'config_invalid', message: expect.stringContaining(`at migration ${PREVIOUS}, not ${LATEST}`) });
    const sqliteConfig = path.join(dir, 'vigil-sqlite.json');
    writeFileSync(sqliteConfig, JSON.stringify({ dataDir: path.join(dir, 'other') }));
    const r = vigil(['migrate', '--config', sqliteConfig, '--copy-from-sqlite', sqliteFile]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('--copy-from-sqlite copies into PostgreSQL');
  });
});
