import { statSync } from 'node:fs';
import SQLite from 'better-sqlite3';

/**
 * What the index says about a window of recording, read from the SQLite file while Vigil runs
 * (WAL: readers do not block the recorder): segments stored and their bytes (the upload
 * throughput and PUT rate), how long after its end each segment was indexed (upload lag: a
 * saturated recorder shows it first), gaps written, and the index's size per row.
 */
export interface IndexWindow {
  segments: number;
  bytes: number;
  /** created_ms − segment end, per segment indexed in the window. */
  lagMs: number[];
  gapsMsByReason: Record<string, number>;
}

export function indexWindow(dbFile: string, fromMs: number, toMs: number): IndexWindow {
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('select start_ms as s, duration_ms as d, size_bytes as b, created_ms as c from segments where created_ms >= ? and created_ms < ?').all(fromMs, toMs) as Array<{ s: number; d: number; b: number; c: number }>;
    const gaps = db.prepare('select reason, sum(end_ms - start_ms) as ms from gaps where created_ms >= ? and created_ms < ? group by reason').all(fromMs, toMs) as Array<{ reason: string; ms: number }>;
    return {
      segments: rows.length,
      bytes: rows.reduce((n, r) => n + r.b, 0),
      lagMs: rows.map((r) => r.c - (r.s + r.d)),
      gapsMsByReason: Object.fromEntries(gaps.map((g) => [g.reason, g.ms])),
    };
  } finally {
    db.close();
  }
}

/** Per camera, the recorded range [first start, last end) so far. */
export function recordedRanges(dbFile: string): Map<string, { startMs: number; endMs: number }> {
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('select camera_id as id, min(start_ms) as s, max(start_ms + duration_ms) as e from segments group by camera_id').all() as Array<{ id: string; s: number; e: number }>;
    return new Map(rows.map((r) => [r.id, { startMs: r.s, endMs: r.e }]));
  } finally {
    db.close();
  }
}

export interface IndexSize {
  fileBytes: number;
  segmentRows: number;
  gapRows: number;
  auditRows: number;
  /** Pages of the segments table and its indexes (SQLite's dbstat), per segment row. */
  bytesPerSegment: number;
}

export function indexSize(dbFile: string): IndexSize {
  const size = (f: string) => { try { return statSync(f).size; } catch { return 0; } };
  const fileBytes = size(dbFile) + size(`${dbFile}-wal`);
  const db = new SQLite(dbFile, { readonly: true, fileMustExist: true });
  try {
    const count = (t: string) => (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n;
    const segmentRows = count('segments');
    const segmentPages = (db.prepare("select sum(pgsize) as b from dbstat where name in (select name from sqlite_schema where tbl_name = 'segments')").get() as { b: number | null }).b ?? 0;
    return { fileBytes, segmentRows, gapRows: count('gaps'), auditRows: count('audit_log'), bytesPerSegment: segmentRows ? segmentPages / segmentRows : NaN };
  } finally {
    db.close();
  }
}
