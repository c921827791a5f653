import type { ResolvedConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/database.ts';
import { VigilError } from '../src/errors.ts';
import { isCameraId } from '../src/object-keys.ts';
import { reindex, type ReindexResult } from '../src/reindex.ts';
import { createObjectStore } from '../src/store/object-store.ts';

/**
 * `vigil reindex`: rebuilds the segment rows of the index database from the object store's
 * listing (src/reindex.ts) and prints what it did. Safe to run again and while the recorder
 * runs: keys already indexed are neither downloaded nor inserted twice. A store that does not
 * answer stops it with the store's own message (which names the endpoint, never a key).
 */
export interface ReindexRun {
  config: ResolvedConfig;
  cameraId?: string | undefined;
  print: (line: string) => void;
}

/** Skipped objects listed one by one up to this many; the rest are counted. */
export const MAX_SKIPPED_LISTED = 50;

export async function reindexCommand(run: ReindexRun): Promise<void> {
  if (run.cameraId !== undefined && !isCameraId(run.cameraId)) {
    throw new VigilError('config_invalid', `--camera must be a camera id of lowercase letters, digits and dashes (got "${run.cameraId}")`);
  }
  const store = createObjectStore(run.config);
  const db = await openDatabase(run.config.database);
  const only = run.cameraId === undefined ? '' : ` (camera "${run.cameraId}" only)`;
  run.print(`Reindexing ${storeDescription(run.config)} into ${databaseDescription(run.config)}${only}...`);
  let result: ReindexResult;
  try {
    result = await reindex({ store, db, ...(run.cameraId !== undefined ? { cameraId: run.cameraId } : {}) });
  } finally {
    await db.destroy();
  }
  printSummary(result, run.print);
  if (result.scanned === 0) {
    run.print(`No objects found${only}. If recordings should be there, check the storage settings (vigil check-config).`);
  }
}

function printSummary(r: ReindexResult, print: (line: string) => void): void {
  print(`scanned:         ${r.scanned} object${r.scanned === 1 ? '' : 's'}`);
  print(`inserted:        ${r.inserted} segment${r.inserted === 1 ? '' : 's'}`);
  print(`already indexed: ${r.alreadyIndexed} segment${r.alreadyIndexed === 1 ? '' : 's'}`);
  print(`skipped:         ${r.skipped.length} object${r.skipped.length === 1 ? '' : 's'}${r.skipped.length > 0 ? ' (not segments Vigil can index; left in the store as they are)' : ''}`);
  for (const s of r.skipped.slice(0, MAX_SKIPPED_LISTED)) print(`  - ${printable(s.key)}: ${s.reason}`);
  if (r.skipped.length > MAX_SKIPPED_LISTED) print(`  ... and ${r.skipped.length - MAX_SKIPPED_LISTED} more`);
}

/** An object key as one safe terminal line: control characters shown as escapes. */
function printable(key: string): string {
  return key.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function storeDescription(c: ResolvedConfig): string {
  const m = c.storage.minio;
  if (c.storage.driver === 'minio' && m) return `the MinIO bucket "${m.bucket}" at ${m.endPoint}:${m.port}`;
  return `the object folder ${c.storage.fsRoot}`;
}

function databaseDescription(c: ResolvedConfig): string {
  return c.database.driver === 'sqlite' ? `the SQLite index ${c.database.sqlitePath}` : `the ${c.database.driver} index`;
}
