import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Dialect } from 'kysely';
import { VigilError } from '../errors.ts';
import { migrateToLatest, type SqlDialectName } from './migrations.ts';
import type { Database } from './schema.ts';

/**
 * Opens the index database and brings it to the latest schema. The dialect is chosen in
 * createDialect() only: PostgreSQL joins as one more branch there (Kysely's PostgresDialect
 * over a `pg` Pool) and migrations are already built per dialect.
 */
export interface DatabaseSettings {
  driver: 'sqlite' | 'postgres';
  sqlitePath?: string;
  postgresUrl?: string;
}

/** SQLite waits this long for a lock held by another process (e.g. `vigil reindex`) before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export async function openDatabase(s: DatabaseSettings): Promise<Kysely<Database>> {
  const { dialect, name, where } = createDialect(s);
  const db = new Kysely<Database>({ dialect });
  try {
    await migrateToLatest(db, name);
  } catch (e) {
    await db.destroy().catch(() => undefined);
    throw new VigilError('database_unavailable', `the index database ${where} cannot be brought to the current schema: ${(e as Error).message}`, { hint: 'Check that this Vigil version is not older than the one that last used the database.' }, { cause: e });
  }
  return db;
}

function createDialect(s: DatabaseSettings): { dialect: Dialect; name: SqlDialectName; where: string } {
  if (s.driver === 'sqlite') {
    if (!s.sqlitePath) throw new VigilError('config_invalid', 'database.sqlitePath is required when database.driver is "sqlite"');
    return { dialect: new SqliteDialect({ database: openSqliteFile(s.sqlitePath) }), name: 'sqlite', where: s.sqlitePath };
  }
  throw new VigilError('config_invalid', 'database.driver "postgres" is not available in this version yet; use "sqlite"', { hint: 'Set database.driver to sqlite (the default).' });
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
