import { rm } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import type { Database } from '../../src/db/schema.ts';
import { BackfillRepo, FINAL_BACKFILL_STATES, type BackfillJob } from '../../src/db/backfill-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { FencedWrites, type Fence } from '../../src/db/fenced-writes.ts';
import { mergeRanges, subtractRanges, type TimeRange } from '../../src/time.ts';
import type { ReadyFile } from '../spool.ts';
import { BACKFILL_REASONS, annotateGapDetail, rangesToFetch, type decideAfterAttempt, type GapView } from './backfill-plan.ts';
import { listBackfillFiles } from './backfill-spool.ts';
import type { BackfillUploader } from './backfill-uploader.ts';
import type { BackfillMetrics } from './backfill-metrics.ts';

/**
 * The index and spool side of one backfill job (backfill-runner.ts decides when jobs run):
 * what of its range is still a gap, uploading what a fetch left in the camera's backfill
 * area, and recording an attempt's outcome (job row, the gap details left, an event, metrics).
 */
export interface BackfillJobIoDeps {
  db: Kysely<Database>;
  clock: Clock;
  spoolRoot: string;
  uploader: BackfillUploader;
  metrics: BackfillMetrics;
}

export class BackfillJobIo {
  private readonly repo: BackfillRepo;
  private readonly gaps: GapsRepo;

  constructor(private readonly d: BackfillJobIoDeps) {
    const now = () => d.clock.nowMs();
    this.repo = new BackfillRepo(d.db, now);
    this.gaps = new GapsRepo(d.db, now);
  }

  async finish(job: BackfillJob, d: ReturnType<typeof decideAfterAttempt>, remaining: TimeRange[], fence: Fence | null, log: Logger): Promise<void> {
    await this.repo.update(job.id, { state: d.state, attempts: d.attempts, nextAttemptMs: d.nextAttemptMs, recoveredMs: d.recoveredMs, detail: d.detail });
    const gained = d.recoveredMs - job.recoveredMs;
    if (gained > 0) this.d.metrics.recoveredSeconds.inc({ camera: job.cameraId }, gained / 1000);
    const final = FINAL_BACKFILL_STATES.includes(d.state);
    if (final && d.remainingDetail && remaining.length > 0) {
      // The pieces left keep their reason; their detail says what backfill found.
      const jobRange = { startMs: job.gapStartMs, endMs: job.gapEndMs };
      const left = (await this.gaps.overlapping(job.cameraId, jobRange)).filter((g) => BACKFILL_REASONS.has(g.reason));
      for (const reason of new Set(left.map((g) => g.reason))) {
        const detail = annotateGapDetail(left.find((g) => g.reason === reason)?.detail ?? '', d.remainingDetail);
        await this.gaps.setDetailWithin(job.cameraId, jobRange, reason, detail);
      }
    }
    if (gained > 0 || final) {
      const event = { cameraId: job.cameraId, atMs: this.d.clock.nowMs(), fromState: 'backfill', toState: d.state, detail: d.detail };
      if (fence) await new FencedWrites(this.d.db, () => this.d.clock.nowMs()).insertEvent(event, fence);
      else await new EventsRepo(this.d.db).insert(event);
    }
    (final ? log.info.bind(log) : log.warn.bind(log))({ state: d.state, recoveredMs: d.recoveredMs, attempts: d.attempts, nextAttemptMs: d.nextAttemptMs, detail: d.detail }, 'backfill attempt finished');
    await this.refreshJobGauge();
  }

  /** The job's range pieces still stored as gaps. */
  async remainingOf(job: BackfillJob): Promise<TimeRange[]> {
    const gaps: GapView[] = (await this.gaps.overlapping(job.cameraId, { startMs: job.gapStartMs, endMs: job.gapEndMs })).map((g) => ({ startMs: g.startMs, endMs: g.endMs, reason: g.reason }));
    return rangesToFetch(job, gaps);
  }

  /**
   * Uploads the files waiting in the camera's backfill area. A file not lying wholly inside
   * the camera's current gaps (e.g. a replay that began at a keyframe before the gap) is
   * removed unsent: indexing it would count footage twice, and its put could replace the
   * object of a live segment with the same timing.
   */
  async uploadWaiting(cameraId: string, fence: Fence | null, signal: AbortSignal, log: Logger, removeUnfinished: boolean): Promise<void> {
    const files = await listBackfillFiles(this.d.spoolRoot, cameraId, { removeUnfinished });
    if (files.length === 0) return;
    const envelope = { startMs: files[0]!.startMs, endMs: Math.max(...files.map((f) => f.startMs + f.durationMs)) };
    const gapRanges = mergeRanges((await this.gaps.overlapping(cameraId, envelope)).map((g) => ({ startMs: g.startMs, endMs: g.endMs })));
    const placeable: ReadyFile[] = [];
    for (const f of files) {
      const r = { startMs: f.startMs, endMs: f.startMs + f.durationMs };
      if (subtractRanges(r, gapRanges).length === 0) placeable.push(f);
      else {
        log.warn({ file: f.path, startMs: r.startMs, endMs: r.endMs }, 'fetched segment overlaps footage already accounted for; not indexed');
        await rm(f.path, { force: true });
      }
    }
    await this.d.uploader.upload(placeable, fence, signal);
  }

  async refreshJobGauge(): Promise<void> {
    this.d.metrics.setJobs(await this.repo.countByState());
  }
}
