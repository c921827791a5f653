import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { RetentionRepo, type MarkedSegment } from '../db/retention-repo.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { toIsoInZone } from '../time.ts';
import type { RetentionMetrics } from './retention-metrics.ts';
import { planRetention, type HeldRange, type PlannedDeletion, type RetentionPlan, type RetentionPolicy } from './retention-plan.ts';

/**
 * One retention run: first finishes any deletion a crash left behind, then plans and deletes in
 * batches, each batch as mark in the index → delete the objects (one batched request) → delete
 * the rows and record their time as expired, in one transaction. A crash anywhere leaves marked
 * rows whose objects may or may not exist; the next run deletes those objects again (deleting a
 * missing key is not an error) and then the rows. So no object is left without a row to find
 * it by, and no row points at a deleted object for longer than a run.
 */
export interface HeldSource {
  /** Every active hold and export range, merged per camera. */
  allActive(): Promise<Array<{ cameraId: string; startMs: number; endMs: number; caseIds?: string[]; exportIds?: string[] }>>;
}

export interface RetentionDeps {
  db: Kysely<Database>;
  store: ObjectStore;
  clock: Clock;
  log: Logger;
  policy: RetentionPolicy;
  held: HeldSource;
  warnAtFraction: number;
  siteOf?: (cameraId: string) => string | null;
  metrics?: RetentionMetrics;
  /** Segments per batch (one store delete request and one transaction each). */
  batchSize?: number;
}

export interface RetentionOutcome {
  dryRun: boolean;
  plan: RetentionPlan;
  /** Segments of an interrupted earlier run finished first. */
  resumedSegments: number;
  deletedSegments: number;
  freedBytes: number;
}

const DEFAULT_BATCH = 500;

export async function runRetention(d: RetentionDeps, opts: { dryRun?: boolean } = {}): Promise<RetentionOutcome> {
  const repo = new RetentionRepo(d.db, () => d.clock.nowMs());
  const batch = d.batchSize ?? DEFAULT_BATCH;
  const dryRun = opts.dryRun ?? false;
  try {
    const resumedSegments = dryRun ? 0 : await finishMarked(d, repo, batch);
    if (resumedSegments > 0) d.log.warn({ segments: resumedSegments }, 'retention finished a deletion interrupted earlier');
    const plan = planRetention({ nowMs: d.clock.nowMs(), segments: await repo.live(), holds: await heldRanges(d.held), policy: d.policy });
    let deletedSegments = 0;
    let freedBytes = 0;
    if (!dryRun) {
      for (let i = 0; i < plan.deletions.length; i += batch) {
        // Holds placed since planning are honoured: a batch is checked again just before it is marked.
        const stillHeld = await heldRanges(d.held);
        const chunk = plan.deletions.slice(i, i + batch).filter((s) => !stillHeld.some((h) => h.cameraId === s.cameraId && h.startMs < s.startMs + s.durationMs && s.startMs < h.endMs));
        if (chunk.length === 0) continue;
        await repo.mark(chunk.map((s) => ({ id: s.id, reason: s.reason })));
        await deleteBatch(d, repo, chunk.map(asMarked));
        deletedSegments += chunk.length;
        freedBytes += chunk.reduce((n, s) => n + s.sizeBytes, 0);
      }
    }
    await report(d, repo, plan, dryRun);
    if (!dryRun) {
      d.metrics?.lastRun.set(d.clock.nowMs() / 1000);
      d.metrics?.lastRunSuccess.set(1);
      d.log.info({ deletedSegments, freedBytes, resumedSegments }, 'retention run finished');
    }
    return { dryRun, plan, resumedSegments, deletedSegments, freedBytes };
  } catch (err) {
    if (!dryRun) {
      d.metrics?.lastRun.set(d.clock.nowMs() / 1000);
      d.metrics?.lastRunSuccess.set(0);
    }
    d.log.error({ err }, 'retention run failed; it resumes where it stopped at the next run');
    throw err;
  }
}

async function finishMarked(d: RetentionDeps, repo: RetentionRepo, batch: number): Promise<number> {
  let n = 0;
  for (;;) {
    const marked = await repo.marked(batch);
    if (marked.length === 0) return n;
    await deleteBatch(d, repo, marked);
    n += marked.length;
  }
}

async function deleteBatch(d: RetentionDeps, repo: RetentionRepo, segments: readonly MarkedSegment[]): Promise<void> {
  await d.store.delete(segments.map((s) => s.objectKey));
  await repo.finish(segments);
  for (const reason of ['age', 'quota']) {
    const of = segments.filter((s) => s.reason === reason);
    if (of.length === 0) continue;
    d.metrics?.deletedSegments.inc({ reason }, of.length);
    d.metrics?.deletedBytes.inc({ reason }, of.reduce((n, s) => n + s.sizeBytes, 0));
  }
}

/** Gauges of what is stored, and warnings when a quota is near, or cannot be met. */
async function report(d: RetentionDeps, repo: RetentionRepo, plan: RetentionPlan, dryRun: boolean): Promise<void> {
  if (dryRun) return;
  const totals = await repo.totals();
  if (d.metrics) {
    d.metrics.storedBytes.reset();
    d.metrics.oldestFootage.reset();
    for (const t of totals) {
      d.metrics.storedBytes.set({ camera: t.cameraId, site: d.siteOf?.(t.cameraId) ?? '' }, t.bytes);
      d.metrics.oldestFootage.set({ camera: t.cameraId }, t.oldestStartMs / 1000);
    }
  }
  for (const q of plan.quotas) {
    d.metrics?.quotaBytes.set({ scope: q.scope }, q.quotaBytes);
    d.metrics?.quotaUsedBytes.set({ scope: q.scope }, q.afterBytes);
    d.metrics?.quotaUnmet.set({ scope: q.scope }, q.unmet ? 1 : 0);
    if (q.unmet) {
      d.log.error({ scope: q.scope, quotaBytes: q.quotaBytes, usedBytes: q.afterBytes }, 'quota cannot be met: the rest is footage on hold; recording continues — raise the quota, add storage or release holds');
    } else if (q.afterBytes > q.quotaBytes * d.warnAtFraction) {
      d.log.warn({ scope: q.scope, quotaBytes: q.quotaBytes, usedBytes: q.afterBytes }, 'store is near its quota');
    }
  }
}

async function heldRanges(held: HeldSource): Promise<HeldRange[]> {
  return (await held.allActive()).map((h) => ({
    cameraId: h.cameraId,
    startMs: h.startMs,
    endMs: h.endMs,
    why: [...(h.caseIds ?? []).map((c) => `case ${c}`), ...(h.exportIds ?? []).map((e) => `export ${e}`)].join(', ') || 'hold',
  }));
}

function asMarked(s: PlannedDeletion): MarkedSegment {
  return { id: s.id, cameraId: s.cameraId, startMs: s.startMs, durationMs: s.durationMs, sizeBytes: s.sizeBytes, objectKey: s.objectKey, reason: s.reason };
}

/** The dry run as lines for a terminal: per camera, hours removed, bytes freed, held ranges kept. */
export function describePlan(plan: RetentionPlan, timeZone: string): string[] {
  const at = (ms: number) => toIsoInZone(ms, timeZone);
  const lines = [`Retention plan at ${at(plan.nowMs)}: ${plan.deletions.length} segment(s) to delete.`];
  for (const c of plan.cameras) {
    lines.push(`  ${c.cameraId}: remove ${(c.removedMs / 3_600_000).toFixed(2)} h (${c.segmentsDeleted} segments, ${formatBytes(c.freedBytes)}), keep ${formatBytes(c.keptBytes)}; footage ending before ${at(c.cutoffMs)} is past its age`);
    for (const h of c.heldKept) lines.push(`    kept on hold: ${at(h.startMs)} – ${at(h.endMs)} (${h.why})`);
  }
  for (const q of plan.quotas) {
    lines.push(`  quota ${q.scope}: ${formatBytes(q.beforeBytes)} → ${formatBytes(q.afterBytes)} of ${formatBytes(q.quotaBytes)}${q.unmet ? ' — CANNOT BE MET without deleting footage on hold' : ''}`);
  }
  return lines;
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} B`;
}
