import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { AuditLog, verifyAuditChain } from '../../src/audit/audit-log.ts';
import { ManualClock } from '../../src/clock.ts';
import { openDatabase, type DatabaseSettings } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { isVigilError } from '../../src/errors.ts';
import { TEST_DIALECTS, TestDatabases, type TestDialect } from '../helpers/test-db.ts';

/** Every suite runs on SQLite and on PostgreSQL (one real server for this file). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());
const actor = (id: string) => ({ userId: id, username: `name-${id}` });

async function withDb<T>(settings: DatabaseSettings, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = await openDatabase(settings);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** Where the child process appends: the SQLite file or the PostgreSQL URL. */
const target = (s: DatabaseSettings) => (s.driver === 'sqlite' ? s.sqlitePath! : s.postgresUrl!);

describe.each(TEST_DIALECTS)('audit log appends on %s', (dialect) => {
  const freshDb = () => dbs.fresh(dialect);
  it('gives concurrent callers consecutive positions in call order, with time from the clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 2, 40));
    await withDb(await freshDb(), async (db) => {
      const log = new AuditLog({ db, clock });
      const rows = await Promise.all(Array.from({ length: 400 }, (_, i) => log.record({ actor: actor(`u${i % 5}`), action: 'clip.view', cameraId: 'cam-1', detail: { i } })));
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
      expect(rows.every((r, i) => r.detail === `{"i":${i}}`)).toBe(true);
      expect(rows[0]!.atMs).toBe(clock.nowMs());
      const v = await log.verify();
      expect(v).toEqual({ ok: true, rowsChecked: 400, head: { seq: 400, hash: rows[399]!.hash } });
    });
  });

  it('never forks the chain when several processes append to one database at once', async () => {
    const settings = await freshDb();
    await withDb(settings, async () => undefined); // migrate once before the children start
    const child = (tag: string, count: number) =>
      new Promise<{ retries: number }>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/integration/audit-append-child.ts'), target(settings), String(count), tag], { cwd: repoRoot, timeout: 60_000 }, (err, out, errText) => {
          if (err) reject(new Error(`${tag}: ${err.message}\n${errText}`));
          else resolve(JSON.parse(out) as { retries: number });
        });
      });
    const results = await Promise.all([child('p1', 150), child('p2', 150), child('p3', 150)]);
    await withDb(settings, async (db) => {
      const rows = await db.selectFrom('audit_log').select(['seq', 'actor_id']).orderBy('seq').execute();
      expect(rows.length).toBe(450);
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
      for (const p of ['p1', 'p2', 'p3']) expect(rows.filter((r) => r.actor_id === p).length).toBe(150);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rowsChecked: 450 });
    });
    // the append lock taken first makes other processes wait instead of colliding: on
    // PostgreSQL (a table lock, waits well under lock_timeout) no append ever has to retry
    console.log(`audit on ${dialect}: 3 processes × 150 appends, contention retries ${results.map((r) => r.retries).join('/')}`);
    if (dialect === 'postgres') expect(results.map((r) => r.retries)).toEqual([0, 0, 0]);
  });

  it('scrubs secrets from detail and reason before they become unchangeable', async () => {
    await withDb(await freshDb(), async (db) => {
      const log = new AuditLog({ db, clock: new ManualClock() });
      const r = await log.record({ actor: actor('a'), action: 'camera.update', reason: 'moved to rtsp://admin:hunter2@10.0.0.9/ch1', detail: { password: 'hunter2', url: 'rtsp://admin:hunter2@10.0.0.9/ch1' } });
      expect(r.detail).not.toContain('hunter2');
      expect(r.reason).not.toContain('hunter2');
      expect((await log.verify()).ok).toBe(true);
    });
  });

  it('refuses a malformed entry without breaking the queue behind it', async () => {
    await withDb(await freshDb(), async (db) => {
      const log = new AuditLog({ db, clock: new ManualClock() });
      const bad = log.append({ actor: null, action: 'Not A Verb' }).then(() => 'resolved', (e: unknown) => (isVigilError(e) ? e.code : String(e)));
      const good = log.record({ actor: null, action: 'auth.login_failed', ip: '10.1.1.1' });
      expect(await bad).toBe('internal');
      expect((await good).seq).toBe(1);
      await expect(log.append({ actor: null, action: 'clip.view', startMs: 1.5 })).rejects.toMatchObject({ code: 'invalid_time' });
    });
  });
});

describe.each(TEST_DIALECTS)('audit chain verification against edits made in %s directly', (dialect) => {
  let base: DatabaseSettings;
  let copies = 0;
  const hashes: string[] = [];
  beforeAll(async () => {
    base = await dbs.fresh(dialect);
    const clock = new ManualClock();
    await withDb(base, async (db) => {
      const log = new AuditLog({ db, clock });
      for (let i = 0; i < 60; i++) {
        clock.advance(1000);
        hashes.push((await log.record({ actor: actor(`u${i % 3}`), action: i % 2 ? 'clip.view' : 'export.create', cameraId: `cam-${i % 2}`, startMs: 1000 * i, endMs: 1000 * i + 500, reason: 'check', detail: { i } })).hash);
      }
    });
  });

  /** A copy of the base log (a file copy, or CREATE DATABASE … TEMPLATE) and SQL run on it directly. */
  const copyOfBase = async (): Promise<DatabaseSettings> => {
    if (dialect === 'sqlite') {
      const copy = await dbs.fresh('sqlite');
      copyFileSync(base.sqlitePath!, copy.sqlitePath!);
      return copy;
    }
    const server = await dbs.postgres();
    return { driver: 'postgres', postgresUrl: await server.createDatabase({ name: `audit_copy_${++copies}`, template: new URL(base.postgresUrl!).pathname.slice(1) }) };
  };
  const runSql = async (settings: DatabaseSettings, statements: string[]) => {
    if (settings.driver === 'sqlite') {
      const raw = new SQLite(settings.sqlitePath!);
      for (const st of statements) raw.exec(st);
      raw.close();
      return;
    }
    const server = await dbs.postgres();
    for (const st of statements) await server.admin(st, [], new URL(settings.postgresUrl!).pathname.slice(1));
  };
  const tampered = async (sqlText: string[]) => {
    const copy = await copyOfBase();
    await runSql(copy, sqlText);
    return withDb(copy, (db) => verifyAuditChain(db));
  };

  it('an untouched copy verifies', async () => {
    expect(await tampered([])).toEqual({ ok: true, rowsChecked: 60, head: { seq: 60, hash: hashes[59]! } });
  });

  it.each<[string, string[], number, string]>([
    ['a field modified', ['update audit_log set actor_name = \'someone else\' where seq = 37'], 37, 'row_modified'],
    ['a time moved', ['update audit_log set at_ms = at_ms - 3600000 where seq = 12'], 12, 'row_modified'],
    ['the camera changed', ['update audit_log set camera_id = \'cam-9\' where seq = 60'], 60, 'row_modified'],
    ['the detail edited', ['update audit_log set detail = \'{"i":99}\' where seq = 5'], 5, 'row_modified'],
    ['a row deleted', ['delete from audit_log where seq = 37'], 37, 'row_missing'],
    ['three rows deleted', ['delete from audit_log where seq between 20 and 22'], 20, 'row_missing'],
    ['two rows swapped', ['update audit_log set seq = -1 where seq = 20', 'update audit_log set seq = 20 where seq = 30', 'update audit_log set seq = 30 where seq = -1'], 20, 'chain_broken'],
    ['a row rewritten with a recomputed-looking hash', ['update audit_log set hash = prev_hash where seq = 44'], 44, 'row_modified'],
  ])('%s: verify names the row', async (_n, edits, seq, problem) => {
    const v = await tampered(edits);
    expect(v).toMatchObject({ ok: false, seq, problem });
    if (!v.ok) expect(v.message).toContain(`row ${seq}`);
  });

  it('rows deleted from the end are found with the head kept as an anchor', async () => {
    const copy = await copyOfBase();
    const anchor = await withDb(copy, (db) => verifyAuditChain(db));
    if (!anchor.ok || !anchor.head) throw new Error('expected an intact chain');
    await runSql(copy, ['delete from audit_log where seq > 57']);
    await withDb(copy, async (db) => {
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, rowsChecked: 57 }); // undetectable from the chain alone
      expect(await verifyAuditChain(db, anchor.head!)).toMatchObject({ ok: false, problem: 'head_mismatch', seq: 58 });
    });
  });
});

describe.each(TEST_DIALECTS)('audit queries on %s', (dialect: TestDialect) => {
  it('filters by camera, actor, action, case and time, newest first, paged without loss', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 0, 0));
    const t0 = clock.nowMs();
    await withDb(await dbs.fresh(dialect), async (db) => {
      const log = new AuditLog({ db, clock });
      for (let i = 0; i < 50; i++) {
        clock.advance(60_000);
        await log.append({ actor: actor(`u${i % 4}`), action: i % 3 === 0 ? 'export.create' : 'playback.view', cameraId: `cam-${i % 2}`, caseId: i % 5 === 0 ? 'case-1' : undefined, detail: { i } });
      }
      const all = await log.query({}, { limit: 1000 });
      expect(all.entries.length).toBe(50);
      expect(all.entries[0]!.seq).toBe(50);
      expect(all.nextBeforeSeq).toBeNull();

      const cam1 = await log.query({ cameraId: 'cam-1' }, { limit: 100 });
      expect(cam1.entries.map((e) => e.detail.i)).toEqual(Array.from({ length: 25 }, (_, k) => 49 - 2 * k));
      const u2exports = await log.query({ actorId: 'u2', action: 'export.create' }, { limit: 100 });
      expect(u2exports.entries.map((e) => e.detail.i)).toEqual([42, 30, 18, 6]);
      expect(u2exports.entries[0]!.actor).toEqual(actor('u2'));
      expect((await log.query({ caseId: 'case-1' }, { limit: 100 })).entries.length).toBe(10);
      // minutes 10..19 after t0 are entries i = 9..18
      const window = await log.query({ fromMs: t0 + 10 * 60_000, toMs: t0 + 20 * 60_000 }, { limit: 100 });
      expect(window.entries.map((e) => e.detail.i)).toEqual([18, 17, 16, 15, 14, 13, 12, 11, 10, 9]);

      const seen: number[] = [];
      let before: number | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await log.query({ cameraId: 'cam-0' }, { limit: 7, ...(before !== undefined ? { beforeSeq: before } : {}) });
        seen.push(...page.entries.map((e) => e.detail.i as number));
        if (page.nextBeforeSeq === null) break;
        before = page.nextBeforeSeq;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, k) => 48 - 2 * k));
      await expect(log.query({}, { limit: 0 })).rejects.toMatchObject({ code: 'invalid_range' });
    });
  });
});
