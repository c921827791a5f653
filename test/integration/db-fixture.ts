import { afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SegmentRecord } from '../../src/db/segments-repo.ts';
import { isVigilError, type ErrorCode } from '../../src/errors.ts';
import { TestDatabases } from '../helpers/test-db.ts';

/** What the database tests share (db-open, db-index-repos, db-account-repos). */
export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

/** Test databases and temp SQLite files of one test file, removed after it. */
export function useTestDatabases(): { dbs: TestDatabases; tempFile: () => string } {
  const dirs: string[] = [];
  const dbs = new TestDatabases();
  afterAll(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await dbs.cleanup();
  });
  return {
    dbs,
    tempFile: () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-db-'));
      dirs.push(dir);
      return path.join(dir, 'vigil.db');
    },
  };
}

/** The message of a rejected promise, with its VigilError code and hint. */
export async function failureOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string }> {
  return p.then(
    () => ({ code: 'resolved', message: '', hint: '' }),
    (e: unknown) => ({ code: isVigilError(e) ? e.code : 'not a VigilError', message: String((e as Error).message), hint: isVigilError(e) ? (e.hint ?? '') : '' }),
  );
}

export async function codeOf(p: Promise<unknown>): Promise<ErrorCode | string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (isVigilError(e) ? e.code : String(e)),
  );
}

/** A small deterministic PRNG (mulberry32), so the oracle tests are repeatable. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const seg = (cameraId: string, startMs: number, durationMs = 10_000): SegmentRecord => ({
  cameraId, startMs, durationMs, sizeBytes: 1000, sha256: 'ab'.repeat(32), objectKey: `${cameraId}/${startMs}-${durationMs}.mp4`, initBytes: 800,
});
