import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { checkAccounting, describeAccounting, type AccountingReport, type CoverPiece } from '../../src/accounting.ts';

/**
 * What every chaos scenario checks when it is over, on the index and the store as they are:
 *
 *  - the accounting invariant per camera: segments, gaps and expired ranges cover the camera's
 *    whole recorded interval with no hole and no overlap, and that interval reaches the moment
 *    the recorder stopped (nothing missing silently at the end);
 *  - integrity: every index row's object exists with its size and SHA-256; every object has a
 *    row (evidence packages under exports/ excepted); no row is left marked for deletion.
 *
 * Problems come back as plain lines, so a failing scenario says all that is wrong at once.
 */
export interface SystemCheck {
  problems: string[];
  accounting: Map<string, AccountingReport>;
  segments: number;
  objects: number;
  /** Over all cameras, ms per gap reason. */
  gapMsByReason: Record<string, number>;
}

export async function checkSystem(
  db: Kysely<Database>,
  store: ObjectStore,
  o: { cameraIds: readonly string[]; stoppedAtMs: number; endToleranceMs?: number },
): Promise<SystemCheck> {
  const problems: string[] = [];
  const rows = await db.selectFrom('segments').select(['camera_id', 'start_ms', 'duration_ms', 'size_bytes', 'sha256', 'object_key', 'deleting_ms']).execute();
  const gaps = await db.selectFrom('gaps').select(['camera_id', 'start_ms', 'end_ms', 'reason']).execute();
  const expired = await db.selectFrom('expired_ranges').select(['camera_id', 'start_ms', 'end_ms']).execute();

  const accounting = new Map<string, AccountingReport>();
  const gapMsByReason: Record<string, number> = {};
  const tolerance = o.endToleranceMs ?? 5_000;
  for (const cameraId of o.cameraIds) {
    const pieces: CoverPiece[] = [
      ...rows.filter((r) => r.camera_id === cameraId).map((r) => ({ kind: 'segment' as const, startMs: r.start_ms, endMs: r.start_ms + r.duration_ms, label: r.object_key })),
      ...gaps.filter((g) => g.camera_id === cameraId).map((g) => ({ kind: 'gap' as const, startMs: g.start_ms, endMs: g.end_ms, label: g.reason })),
      ...expired.filter((e) => e.camera_id === cameraId).map((e) => ({ kind: 'gap' as const, startMs: e.start_ms, endMs: e.end_ms, label: 'retention' })),
    ];
    if (pieces.length === 0) {
      problems.push(`${cameraId}: no segment and no gap at all`);
      continue;
    }
    const startMs = Math.min(...pieces.map((p) => p.startMs));
    const endMs = Math.max(...pieces.map((p) => p.endMs));
    const report = checkAccounting({ startMs, endMs }, pieces);
    accounting.set(cameraId, report);
    for (const line of describeAccounting(report)) problems.push(`${cameraId}: ${line}`);
    if (endMs < o.stoppedAtMs - tolerance) problems.push(`${cameraId}: accounted only until ${endMs}, ${o.stoppedAtMs - endMs} ms before the recorder stopped`);
    for (const [reason, ms] of Object.entries(report.gapMsByReason)) gapMsByReason[reason] = (gapMsByReason[reason] ?? 0) + ms;
  }

  const objects = new Map<string, number>();
  for await (const obj of store.list('')) objects.set(obj.key, obj.sizeBytes);
  const keys = new Set<string>();
  for (const r of rows) {
    if (keys.has(r.object_key)) problems.push(`${r.object_key}: indexed twice`);
    keys.add(r.object_key);
    if (r.deleting_ms !== null) problems.push(`${r.object_key}: left marked for deletion`);
    const size = objects.get(r.object_key);
    if (size === undefined) {
      problems.push(`${r.object_key}: indexed but not in the store`);
      continue;
    }
    if (size !== r.size_bytes) {
      problems.push(`${r.object_key}: ${size} bytes in the store, ${r.size_bytes} in the index`);
      continue;
    }
    const sha = await sha256Of(await store.get(r.object_key));
    if (sha !== r.sha256) problems.push(`${r.object_key}: SHA-256 ${sha} in the store, ${r.sha256} in the index`);
  }
  for (const key of objects.keys()) {
    if (!keys.has(key) && !key.startsWith('exports/')) problems.push(`${key}: in the store without an index row (orphan)`);
  }
  return { problems, accounting, segments: rows.length, objects: objects.size, gapMsByReason };
}

async function sha256Of(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}
