import { isVigilError } from '../../src/errors.ts';
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import type { Database } from '../../src/db/schema.ts';
import type { BackfillConfig } from '../../src/config/backfill-schema.ts';
import { BackfillRepo, type BackfillJob } from '../../src/db/backfill-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { FencedWrites, type Fence } from '../../src/db/fenced-writes.ts';
import { backfilledWithin } from '../../src/db/backfill-index.ts';
import { mergeRanges, type TimeRange } from '../../src/time.ts';
import { redactText } from '../../src/redact.ts';
import type { RecorderEvent } from '../../src/notify/notice.ts';
import type { EdgeCameraAccess, EdgeFetcher, EdgeSupport } from './edge-fetch-types.ts';
import {
  BACKFILL_REASONS, decideAfterAttempt, expiredBeforeAttempt, gapsNeedingJobs,
  type AttemptOutcome, type BackfillPolicy,
} from './backfill-plan.ts';
import { prepareBackfillDir } from './backfill-spool.ts';
import { BackfillJobIo } from './backfill-job-io.ts';
import type { BackfillUploader } from './backfill-uploader.ts';
import type { BackfillMetrics } from './backfill-metrics.ts';

/**
 * Runs edge backfill on one recorder: finds gaps worth recovering (backfill-plan.ts), fetches
 * them from the camera's own storage with the injected EdgeFetcher, uploads what came back
 * through the backfill uploader (rows marked 'backfill', gaps shrunk in the same transaction)
 * and records each job's outcome.
 *
 *  - Triggers: a gap of a backfill reason is written (which happens when footage resumes, so
 *    the camera is recording again) → after `settle`, that camera is scanned and due jobs run;
 *    a camera goes back to recording → after `settle`, its due jobs run; every `scanEvery`,
 *    all cameras. At start, jobs left running (a crash) are pending again.
 *  - Bounds: at most `concurrency` jobs at once, one per camera, and maxBytesPerSec passed to
 *    the fetcher. Only cameras this node records now (`targets`), only while recording, and
 *    with leases only while the fence still holds.
 */
export interface BackfillTarget {
  cameraId: string;
  /** Lease held for this camera (leases on), else null. */
  fence: Fence | null;
  /** ONVIF access to the camera; null (plain RTSP camera): no edge storage to ask. */
  access: EdgeCameraAccess | null;
  /** The camera records now (watchdog state recording). */
  recording: boolean;
  /** The camera's audio setting (backfilled segments carry audio as its live ones do); default 'auto'. */
  audio?: 'auto' | 'off';
}

export interface BackfillRunnerOptions {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  config: BackfillConfig;
  fetcher: EdgeFetcher;
  uploader: BackfillUploader;
  metrics: BackfillMetrics;
  spoolRoot: string;
  segmentTargetMs: number;
  /** ffmpeg for G.711 audio → AAC (default 'ffmpeg'). */
  ffmpegPath?: string;
  /** The cameras this node records now. */
  targets: () => BackfillTarget[];
  /** Leases on: the fences are checked before each job (null = leases off). */
  leases: boolean;
  /**
   * Measures the camera's clock offset now (ClockWatch.checkNow: RTCP sender report, ms-precise,
   * else ONVIF whole seconds); null when it cannot. Asked right before each fetch, since the
   * footage is placed on the recorder's clock by it and the stored value may be minutes old or
   * from before the outage. Absent or null: cameras.details.clockOffsetMs.
   */
  freshClockOffset?: (cameraId: string) => Promise<number | null>;
  /**
   * Why no new job may start now (e.g. the live uploads are behind: the store is down or slow,
   * and fetched footage would only take spool space live recording needs), or null. Jobs
   * running go on; the next trigger or scan tries again.
   */
  holdBack?: () => string | null;
}

export function policyOf(c: BackfillConfig): BackfillPolicy {
  return { minGapMs: c.minGap, giveUpAfterMs: c.giveUpAfter, retryFirstMs: c.retry.first, retryMaxMs: c.retry.max };
}

export class BackfillRunner {
  private readonly repo: BackfillRepo;
  private readonly gaps: GapsRepo;
  private readonly cams: CamerasRepo;
  private readonly policy: BackfillPolicy;
  private readonly io: BackfillJobIo;
  private readonly running = new Map<string, Promise<void>>();
  /** The last holdBack reason logged (logged once per change). */
  private heldFor: string | null = null;
  private readonly abort = new AbortController();
  private readonly timers = new Set<() => void>();
  private stopped = false;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  /** Leases on: cameras whose left-running jobs were put back (resume). */
  private readonly resumed = new Set<string>();

  constructor(private readonly o: BackfillRunnerOptions) {
    const now = () => o.clock.nowMs();
    this.repo = new BackfillRepo(o.db, now);
    this.gaps = new GapsRepo(o.db, now);
    this.cams = new CamerasRepo(o.db, now);
    this.policy = policyOf(o.config);
    this.io = new BackfillJobIo({ db: o.db, clock: o.clock, spoolRoot: o.spoolRoot, uploader: o.uploader, metrics: o.metrics });
  }

  /** Resumes jobs a stopped or crashed runner left running, then scans on schedule. */
  async start(): Promise<void> {
    if (!this.o.leases) await this.resume();
    await this.io.refreshJobGauge();
    this.scheduleScan();
  }

  /**
   * Jobs left running by a stopped or crashed runner are pending again. Leases on: per camera,
   * when this node first works on it (it holds the lease, so whoever ran them has lost it).
   */
  private async resume(cameraId?: string): Promise<void> {
    const resumed = await this.repo.requeueRunning(this.o.clock.nowMs(), cameraId === undefined ? undefined : [cameraId]);
    if (resumed) this.o.log.info({ resumed, cameraId }, 'backfill jobs left running are pending again');
  }

  /** Stops scheduling, cuts running fetches and waits for their jobs to be put back. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.abort.abort(new Error('the recorder is stopping'));
    await this.pumping;
    await Promise.all(this.running.values());
    this.o.uploader.stop();
  }

  /** The recorder's events (camera transitions, gaps): what makes a camera worth looking at now. */
  onRecorderEvent(e: RecorderEvent): void {
    if (this.stopped) return;
    if (e.type === 'gap' && BACKFILL_REASONS.has(e.reason)) this.later(this.o.config.settle, async () => void (await this.scanCamera(e.cameraId)));
    else if (e.type === 'camera_state' && e.toState === 'recording') this.later(this.o.config.settle, async () => undefined);
  }

  /** Creates the jobs one camera's recent gaps deserve. Returns how many were added. */
  async scanCamera(cameraId: string): Promise<number> {
    const now = this.o.clock.nowMs();
    const window = { startMs: now - this.policy.giveUpAfterMs, endMs: now };
    const edge = edgeOf((await this.cams.get(cameraId))?.details);
    if (!edge?.profileG) return 0; // cameras without Profile G get no job at all
    const gaps = (await this.gaps.overlapping(cameraId, window)).map((g) => ({ startMs: g.startMs, endMs: g.endMs, reason: g.reason }));
    const jobs = await this.repo.overlapping(cameraId, window);
    const fresh = gapsNeedingJobs(gaps, jobs.map((j) => ({ startMs: j.gapStartMs, endMs: j.gapEndMs })), edge, now, this.policy);
    let added = 0;
    for (const g of fresh) {
      if (await this.repo.createOnce({ cameraId, gapStartMs: g.startMs, gapEndMs: g.endMs, gapReason: g.reason, nextAttemptMs: now })) added++;
    }
    if (added) {
      this.o.log.info({ cameraId, jobs: added }, 'backfill jobs created for gaps the camera may hold');
      await this.io.refreshJobGauge();
    }
    return added;
  }

  /** Scans every camera this node records. */
  async scanAll(): Promise<void> {
    for (const t of this.o.targets()) if (t.access) await this.scanCamera(t.cameraId);
  }

  /**
   * Starts due jobs while slots are free (one job per camera, `concurrency` in all) and
   * resolves when no job runs and none of the recording cameras has one due.
   */
  runDue(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = this.pump().finally(() => (this.pumping = null));
    return this.pumping;
  }

  private async pump(): Promise<void> {
    do {
      this.pumpAgain = false;
      /** Cameras whose job was put back untried in this pass (lease not held): not picked again. */
      const skipped = new Set<string>();
      while (!this.stopped) {
        const held = this.o.holdBack?.() ?? null;
        if (held !== this.heldFor) {
          if (held) this.o.log.info({ why: held }, 'backfill waits: live recording comes first');
          this.heldFor = held;
        }
        const free = held ? 0 : this.o.config.concurrency - this.running.size;
        if (free > 0) {
          const ready = this.o.targets().filter((t) => t.recording && t.access && !this.running.has(t.cameraId) && !skipped.has(t.cameraId));
          for (const t of ready) {
            if (!this.o.leases || this.resumed.has(t.cameraId)) continue;
            await this.resume(t.cameraId);
            this.resumed.add(t.cameraId);
          }
          const due = await this.repo.due(this.o.clock.nowMs(), 50, ready.map((t) => t.cameraId));
          const picked: BackfillJob[] = [];
          for (const j of due) if (picked.length < free && !picked.some((p) => p.cameraId === j.cameraId)) picked.push(j);
          for (const job of picked) {
            if (!(await this.repo.claim(job.id))) continue;
            const target = ready.find((t) => t.cameraId === job.cameraId)!;
            const run = this.runJob({ ...job, state: 'running' }, target)
              .then(
                (tried) => void (tried || skipped.add(job.cameraId)),
                (err: unknown) => {
                  skipped.add(job.cameraId); // put back pending; not again in this pass (no hot loop)
                  this.o.log.error({ cameraId: job.cameraId, jobId: job.id, err }, 'backfill job failed unexpectedly');
                },
              )
              .finally(() => {
                this.running.delete(job.cameraId);
                this.o.metrics.running.set(this.running.size);
              });
            this.running.set(job.cameraId, run);
            this.o.metrics.running.set(this.running.size);
          }
          if (picked.length > 0) continue;
        }
        if (this.running.size === 0) break;
        await Promise.race(this.running.values());
      }
    } while (this.pumpAgain && !this.stopped);
  }

  /** One attempt of one job (claimed: state running). False when it was put back untried. */
  private async runJob(job: BackfillJob, target: BackfillTarget): Promise<boolean> {
    const cameraId = job.cameraId;
    const log = this.o.log.child({ cameraId, jobId: job.id });
    const jobRange = { startMs: job.gapStartMs, endMs: job.gapEndMs };
    const fence = target.fence;
    const signal = this.abort.signal;
    try {
      if (this.o.leases && (!fence || !(await new FencedWrites(this.o.db, () => this.o.clock.nowMs()).holds(cameraId, fence)))) {
        // Not ours any more: leave the job to whoever holds the camera now.
        await this.repo.update(job.id, { state: 'pending' });
        return false;
      }
      const now = this.o.clock.nowMs();
      if (expiredBeforeAttempt(job, now, this.policy)) {
        const remaining = await this.io.remainingOf(job);
        const recoveredMs = sumMs(await backfilledWithin(this.o.db, cameraId, jobRange));
        const d = decideAfterAttempt(job, remaining, recoveredMs, { kind: 'failed', error: 'not tried before the give-up age' }, now, this.policy);
        await this.io.finish(job, d, remaining, target.fence, log);
        return true;
      }
      await prepareBackfillDir(this.o.spoolRoot, cameraId);
      // What a killed run fetched but did not upload is uploaded first (nothing is fetched twice).
      await this.io.uploadWaiting(cameraId, fence, signal, log, true);
      const asked = await this.io.remainingOf(job);
      const camera = await this.cams.get(cameraId);
      const fresh = this.o.freshClockOffset ? await this.o.freshClockOffset(cameraId).catch(() => null) : null;
      const clockOffsetMs = fresh ?? (typeof camera?.details.clockOffsetMs === 'number' ? camera.details.clockOffsetMs : 0);
      const edgeHas: TimeRange[] = [];
      const details: string[] = [];
      let outcome: AttemptOutcome | null = null;
      for (const range of asked) {
        try {
          const res = await this.o.fetcher({
            cameraId, onvif: target.access!, clockOffsetMs, range, segmentTargetMs: this.o.segmentTargetMs,
            outDir: (await prepareBackfillDir(this.o.spoolRoot, cameraId)), maxBytesPerSec: this.o.config.maxBytesPerSec,
            requestTimeoutMs: this.o.config.requestTimeout, signal, log,
            audio: target.audio ?? 'auto', ...(this.o.ffmpegPath ? { ffmpegPath: this.o.ffmpegPath } : {}),
          });
          this.o.metrics.fetchedBytes.inc({ camera: cameraId }, res.segments.reduce((s, x) => s + x.sizeBytes, 0));
          edgeHas.push(...res.edgeHas);
          if (res.detail) details.push(res.detail);
        } catch (e) {
          if (signal.aborted) throw e;
          const error = redactText((e as Error).message ?? String(e));
          outcome = isVigilError(e) && e.details['unsupported'] === true ? { kind: 'unsupported', error } : { kind: 'failed', error };
        }
        await this.io.uploadWaiting(cameraId, fence, signal, log, false);
        if (outcome) break;
      }
      outcome ??= { kind: 'fetched', edgeHas: mergeRanges(edgeHas), detail: details.join('; ') };
      this.o.metrics.attempts.inc({ camera: cameraId, outcome: outcome.kind });
      const remaining = await this.io.remainingOf(job);
      const recoveredMs = sumMs(await backfilledWithin(this.o.db, cameraId, jobRange));
      const d = decideAfterAttempt(job, remaining, recoveredMs, outcome, this.o.clock.nowMs(), this.policy);
      await this.io.finish(job, d, remaining, target.fence, log);
      return true;
    } catch (e) {
      // Stopping (or an unexpected error): the job is pending again; files fetched so far stay
      // in the backfill area and are uploaded first next time.
      await this.repo.update(job.id, { state: 'pending' }).catch(() => undefined);
      if (!signal.aborted) throw e;
      return false;
    }
  }

  private later(delayMs: number, fn: () => Promise<void>): void {
    const cancel = this.o.clock.setTimer(delayMs, () => {
      this.timers.delete(cancel);
      if (this.stopped) return;
      void fn()
        .then(() => this.runDue())
        .catch((err: unknown) => this.o.log.error({ err }, 'backfill scan failed'));
    });
    this.timers.add(cancel);
  }

  private scheduleScan(): void {
    if (this.stopped) return;
    this.later(this.o.config.scanEvery, async () => {
      await this.scanAll();
      this.scheduleScan();
    });
  }
}

/** cameras.details.edge as onboarding stores it, or null when absent or malformed. */
export function edgeOf(details: Record<string, unknown> | undefined): EdgeSupport | null {
  const e = details?.edge as Partial<EdgeSupport> | undefined;
  if (!e || typeof e !== 'object' || typeof e.profileG !== 'boolean') return null;
  return { profileG: e.profileG, checkedMs: Number(e.checkedMs ?? 0), detail: String(e.detail ?? ''), ...(typeof e.recordingToken === 'string' ? { recordingToken: e.recordingToken } : {}) };
}

function sumMs(rs: readonly TimeRange[]): number {
  return rs.reduce((s, r) => s + r.endMs - r.startMs, 0);
}
