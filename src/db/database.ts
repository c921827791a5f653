import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { VigilError } from '../errors.ts';
import { migrateToLatest, type SqlDialectName } from './migrations.ts';
import { checkPostgresDatabase, createPostgresPool, describePostgresUrl, postgresUnavailable } from './postgres-pool.ts';
import type { Database } from './schema.ts';

/**
 * Opens the index database (SQLite file or PostgreSQL) and brings it to the latest schema.
 * Both run the same migrations (built per dialect in migrations.ts) and the same repositories.
 * Messages name the place (file, or host/port/database/user) and never the password.
 */
export interface DatabaseSettings {
  driver: 'sqlite' | 'postgres';
  sqlitePath?: string;
  postgresUrl?: string;
}

/** SQLite waits this long for a lock held by another process (e.g. `vigil reindex`) before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export interface DatabaseConnection {
  db: Kysely<Database>;
  dialect: SqlDialectName;
  /** "the SQLite file …" / "the PostgreSQL database "vigil" at host:5432 (user "vigil")". */
  where: string;
}

/** Opens and migrates to the latest schema (what every role does at start). */
export async function openDatabase(s: DatabaseSettings): Promise<Kysely<Database>> {
  const { db, dialect, where } = await connectDatabase(s);
  try {
    await migrateToLatest(db, dialect);
  } catch (e) {
    await db.destroy().catch(() => undefined);
    throw migrationFailed(where, e);
  }
  return db;
}

/**
 * Opens without migrating (`vigil migrate` reports what it runs). On PostgreSQL it connects once,
 * so an unreachable server, a wrong password or an unsuitable database fails here, in plain words.
 */
export async function connectDatabase(s: DatabaseSettings): Promise<DatabaseConnection> {
  if (s.driver === 'sqlite') {
    if (!s.sqlitePath) throw new VigilError('config_invalid', 'database.sqlitePath is required when database.driver is "sqlite"');
    return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: openSqliteFile(s.sqlitePath) }) }), dialect: 'sqlite', where: `the SQLite file ${s.sqlitePath}` };
  }
  if (s.driver !== 'postgres') throw new VigilError('config_invalid', `database.driver must be "sqlite" or "postgres" (got "${String(s.driver)}")`);
  if (!s.postgresUrl) throw new VigilError('config_invalid', 'database.postgresUrl is required when database.driver is "postgres"', { hint: 'Set it to postgres://USER:PASSWORD@HOST:5432/DATABASE (or VIGIL_DATABASE_POSTGRES_URL).' });
  const url = s.postgresUrl;
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPostgresPool(url) }) });
  try {
    await checkPostgresDatabase(db, url);
  } catch (e) {
    await db.destroy().catch(() => undefined);
    throw e instanceof VigilError ? e : postgresUnavailable(url, e);
  }
  return { db, dialect: 'postgres', where: describePostgresUrl(url) };
}

/** Where the settings point, for command output ("the SQLite file …", "the PostgreSQL database …"). */
export function describeDatabase(s: DatabaseSettings): string {
  return s.driver === 'postgres' ? describePostgresUrl(s.postgresUrl ?? '') : `the SQLite file ${s.sqlitePath ?? '(unset)'}`;
}

export function migrationFailed(where: string, e: unknown): VigilError {
  if (e instanceof VigilError) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  const hint = code === '42501'
    ? 'The database user may not create tables: make it the owner of the database (CREATE DATABASE … OWNER <user>).'
    : 'Check that this Vigil version is not older than the one that last used the database.';
  return new VigilError('database_unavailable', `${where} cannot be brought to the current schema: ${(e as Error)?.message ?? String(e)}`, { hint }, { cause: e });
}

/**
 * One better-sqlite3 connection (Kysely serialises queries on it) with: WAL, so readers never
 * block the writer; synchronous=FULL, so a committed index row survives a power cut (the
 * uploader deletes the spool file right after the commit); a busy timeout for other processes;
 * foreign keys enforced.
 */
function openSqliteFile(file: string): SQLite.Database {
  let conn: SQLite.Database;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    conn = new SQLite(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new VigilError('database_unavailable', `cannot open the SQLite database ${file} (${code})`, { hint: 'Check database.sqlitePath and that the Vigil user may write to its folder.' }, { cause: e });
  }
  try {
    conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const mode = conn.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL refused (network or read-only filesystem?)`);
    conn.pragma('synchronous = FULL');
    conn.pragma('foreign_keys = ON');
  } catch (e) {
    conn.close();
    throw new VigilError('database_unavailable', `cannot use the SQLite database ${file}: ${(e as Error).message}`, { hint: 'Put database.sqlitePath on a local, writable disk.' }, { cause: e });
  }
  return conn;
}
