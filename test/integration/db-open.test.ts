import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest, migrationsFor } from '../../src/db/migrations.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { PG_APP_PASSWORD } from '../helpers/postgres.ts';
import { freePort } from '../helpers/ports.ts';
import { T0, failureOf, codeOf, seg, useTestDatabases } from './db-fixture.ts';

const { dbs, tempFile } = useTestDatabases();

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
