import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A real SQLite database file in a fresh temp dir, removed by cleanup(). */
export function tempSqlite(): { file: string; db: Database.Database; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-sqlite-'));
  const file = path.join(dir, 'vigil.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  return {
    file,
    db,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
