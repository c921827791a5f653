import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { VigilError } from '../errors.ts';
import type { Database } from './schema.ts';
import { migrateToLatest } from './migrations.ts';

/**
 * Opens the index database and brings it to the latest schema. The dialect is chosen here
 * only, so PostgreSQL joins as one more branch.
 */
export interface DatabaseSettings {
  driver: 'sqlite' | 'postgres';
  sqlitePath: string;
}

export async function openDatabase(s: DatabaseSettings): Promise<Kysely<Database>> {
  if (s.driver !== 'sqlite') {
    throw new VigilError('config_invalid', 'database.driver "postgres" is not available yet in this version; use "sqlite"');
  }
  mkdirSync(path.dirname(s.sqlitePath), { recursive: true });
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(s.sqlitePath);
  } catch (e) {
    throw new VigilError('config_invalid', `cannot open the SQLite database ${s.sqlitePath}: ${(e as Error).message}`, { hint: 'Check database.sqlitePath and the folder permissions.' });
  }
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.defaultSafeIntegers(false);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrateToLatest(db);
  return db;
}
