import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseSettings } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { startPostgres, type PostgresServer } from './postgres.ts';

/**
 * Fresh index databases of either dialect for suites that run on both:
 *
 *   const dbs = new TestDatabases();
 *   afterAll(() => dbs.cleanup());
 *   describe.each(TEST_DIALECTS)('… on %s', (dialect) => { … await dbs.open(dialect) … });
 *
 * SQLite: a new file in a temp dir. PostgreSQL: a new database (CREATE DATABASE) on one real
 * server per test file, started at the first request, so a file that only uses SQLite never
 * starts one. cleanup() stops the server and removes every file.
 */
export type TestDialect = 'sqlite' | 'postgres';
export const TEST_DIALECTS: readonly TestDialect[] = ['sqlite', 'postgres'];

/** The dialect of suites that take one from the environment (TEST_DB_DIALECT=postgres), default SQLite. */
export function envTestDialect(env: NodeJS.ProcessEnv = process.env): TestDialect {
  const v = env.TEST_DB_DIALECT ?? 'sqlite';
  if (v !== 'sqlite' && v !== 'postgres') throw new Error(`TEST_DB_DIALECT must be "sqlite" or "postgres" (got "${v}")`);
  return v;
}

export class TestDatabases {
  private server: Promise<PostgresServer> | null = null;
  private dir: string | null = null;
  private n = 0;
  private readonly opened: Kysely<Database>[] = [];

  /** The PostgreSQL server of this file (started on first use). */
  postgres(): Promise<PostgresServer> {
    this.server ??= startPostgres();
    return this.server;
  }

  /** Settings of a new, empty database (not yet migrated). */
  async fresh(dialect: TestDialect): Promise<DatabaseSettings> {
    if (dialect === 'postgres') return { driver: 'postgres', postgresUrl: await (await this.postgres()).createDatabase() };
    this.dir ??= mkdtempSync(path.join(tmpdir(), 'vigil-testdb-'));
    return { driver: 'sqlite', sqlitePath: path.join(this.dir, `index-${++this.n}.db`) };
  }

  /** A new database opened (and migrated) through openDatabase; destroyed by cleanup() unless already. */
  async open(dialect: TestDialect): Promise<Kysely<Database>> {
    const db = await openDatabase(await this.fresh(dialect));
    this.opened.push(db);
    return db;
  }

  async cleanup(): Promise<void> {
    for (const db of this.opened.splice(0)) await db.destroy().catch(() => undefined); // destroying twice is harmless
    if (this.server) await (await this.server.catch(() => null))?.stop();
    this.server = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
