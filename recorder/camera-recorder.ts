import path from 'node:path';
import type { Clock } from '../src/clock.ts';
import type { Logger } from '../src/logger.ts';
import { buildRecordArgs, type AudioPlan, type ExtraOutput } from './ffmpeg-args.ts';
import { isVigilError } from '../src/errors.ts';
import { redactText } from '../src/redact.ts';
import { FfmpegRun, type RunExit } from './ffmpeg-process.ts';
import { classifyExit } from './ffmpeg-failure.ts';
import { newRunClock, observeProgress, placeSegment, type RunClock } from './segment-timing.ts';
import { initialWatchdog, transition, type WatchdogAction, type WatchdogEvent, type WatchdogState, type GapReason, type FailureReason } from './watchdog.ts';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import type { ReadyFile, Spool } from './spool.ts';
import type { RecorderMetrics } from './recorder-metrics.ts';
import { killStaleFfmpeg, writePidFile } from './pid-file.ts';
import { salvagePartialSegment } from './partial-segment.ts';
import type { RecorderEvent } from '../src/notify/notice.ts';

/**
 * One camera: runs ffmpeg, feeds the watchdog, places closed segments in wall time, hands
 * them to the uploader and records every gap with its reason and every state change.
 */
export interface GapRow { cameraId: string; startMs: number; endMs: number; reason: GapReason; detail: string }
export interface EventRow { cameraId: string; atMs: number; fromState: string; toState: string; detail: string }

export interface CameraSource {
  url: string;
  audio: AudioPlan;
}

export interface CameraIndex {
  insertGap(row: GapRow): Promise<void>;
  insertEvent(row: EventRow): Promise<void>;
}

export interface CameraRecorderOptions {
  cameraId: string;
  /**
   * Where to pull from, asked before every run (ONVIF cameras are asked again, so a changed
   * stream address is followed). The URL carries credentials: it only ever reaches ffmpeg.
   * A VigilError with a camera_* code is treated like a failed run with that reason.
   */
  source: () => Promise<CameraSource>;
  segmentMs: number;
  stallTimeoutMs: number;
  ffmpegPath: string;
  spool: Spool;
  clock: Clock;
  log: Logger;
  index: CameraIndex;
  metrics?: RecorderMetrics;
  /** Told of every state change and gap (src/notify/). */
  notify?: (event: RecorderEvent) => void;
  /** End of everything already accounted for (last segment or gap), from the index and spool. */
  coveredUntilMs: number | null;
  onReady: (file: ReadyFile) => void;
  random?: () => number;
  offlineAfterMs?: number;
  authRetryMs?: number;
  /** The live output added to every run (recorder/live/): same process, same camera session. */
  liveOutput?: ExtraOutput;
}

export class CameraRecorder {
  private wd: WatchdogState;
  private run: FfmpegRun | null = null;
  private runClock: RunClock = newRunClock();
  private coveredUntilMs: number | null;
  /** Why footage stopped, and in which run: the next gap gets this reason. */
  private pendingReason: { reason: GapReason; detail: string; run: number } | null = null;
  private cancelStall: (() => void) | null = null;
  private cancelRetry: (() => void) | null = null;
  private work: Promise<unknown> = Promise.resolve();
  private stopGraceMs = 0;
  /** Start-up time while no segment has arrived yet; before it the recorder was down. */
  private downUntilMs: number | null = null;
  private firstFootagePending = false;
  private runCount = 0;
  private readonly log: Logger;

  constructor(private readonly o: CameraRecorderOptions) {
    this.wd = initialWatchdog(o.clock.nowMs());
    this.coveredUntilMs = o.coveredUntilMs;
    this.log = o.log.child({ cameraId: o.cameraId });
  }

  get state(): WatchdogState {
    return this.wd;
  }

  async start(): Promise<void> {
    await this.o.spool.prepare(this.o.cameraId);
    await killStaleFfmpeg(this.pidFile(), this.log);
    for (const partial of await this.o.spool.listIncoming(this.o.cameraId)) {
      if (partial.endsWith('.mp4')) await this.o.spool.remove(partial);
    }
    // Until now the recorder was not running: that part of any gap is `recorder_down`. It is
    // written when the first segment (or the stop) shows where footage resumes.
    this.downUntilMs = this.o.clock.nowMs();
    // A camera seen for the first time is accounted for from now on.
    this.firstFootagePending = this.coveredUntilMs === null;
    this.coveredUntilMs ??= this.downUntilMs;
    this.o.metrics?.setState(this.o.cameraId, 'connecting');
    this.o.notify?.({ type: 'camera_state', cameraId: this.o.cameraId, fromState: 'stopped', toState: 'connecting', atMs: this.downUntilMs, reason: null, detail: '' });
    this.startFfmpeg();
  }

  /**
   * Stops ffmpeg (SIGINT, finalising the open segment) and accounts for any open outage.
   * graceMs: after a signal to the whole process group, ffmpeg is already stopping; wait that
   * long before signalling it again (see FfmpegRun.stop).
   */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.stopGraceMs = opts.graceMs ?? 0;
    const wasRecording = this.wd.state === 'recording';
    this.dispatch({ type: 'stop', atMs: this.o.clock.nowMs() });
    await this.run?.whenExited();
    await this.work;
    if (!wasRecording || this.pendingReason) {
      const why = this.pendingReason ?? { reason: 'camera_unreachable' as GapReason, detail: 'no footage from the camera before the recorder stopped' };
      await this.accountUntil(this.o.clock.nowMs(), why.reason, why.detail);
    }
  }

  private pidFile(): string {
    return path.join(this.o.spool.incomingDir(this.o.cameraId), 'ffmpeg.pid');
  }

  private startFfmpeg(): void {
    this.serial(async () => {
      let source: CameraSource;
      try {
        source = await this.o.source();
      } catch (e) {
        this.runCount++; // a failed attempt counts as a run, so what follows is not start-up
        const reason: FailureReason = isVigilError(e, 'camera_auth_failed') ? 'auth_failed' : isVigilError(e) && e.code.startsWith('camera_') ? 'camera_unreachable' : 'stream_error';
        const detail = redactText((e as Error).message ?? String(e));
        this.dispatch({ type: 'exited', atMs: this.o.clock.nowMs(), reason, detail });
        return;
      }
      if (this.wd.state === 'connecting') this.spawnRun(source);
    });
  }

  private spawnRun(source: CameraSource): void {
    const runId = this.o.clock.nowMs();
    const runNumber = ++this.runCount;
    const args = buildRecordArgs({
      inputUrl: source.url,
      segmentMs: this.o.segmentMs,
      socketTimeoutMs: this.o.stallTimeoutMs + 2_000,
      audio: source.audio,
      filePattern: path.join(this.o.spool.incomingDir(this.o.cameraId), `r${runId}-%06d.mp4`),
      ...(this.o.liveOutput ? { extraOutputs: [this.o.liveOutput] } : {}),
    });
    const run = new FfmpegRun(args, { ffmpegPath: this.o.ffmpegPath, clock: this.o.clock });
    this.run = run;
    this.runClock = newRunClock();
    run.on('progress', (p: { mediaMs: number; atMs: number }) => {
      if (this.run !== run) return;
      this.runClock = observeProgress(this.runClock, p);
      this.armStallTimer();
      this.dispatch({ type: 'media', atMs: p.atMs });
    });
    run.on('segment', (seg: { file: string; startSec: number; endSec: number }) => {
      this.serial(() => this.onSegment(run, runNumber, seg));
    });
    run.on('exit', (exit: RunExit) => {
      this.serial(async () => {
        if (this.run === run) this.run = null;
        this.cancelStall?.();
        await this.salvageUnlisted(runId, runNumber);
        const failure = classifyExit(exit.stderrTail, exit);
        this.dispatch({ type: 'exited', atMs: this.o.clock.nowMs(), reason: failure.reason, detail: failure.detail });
      });
    });
    run.once('spawned', (pid: number) => void writePidFile(this.pidFile(), pid).catch(() => undefined));
    run.start();
    this.armStallTimer();
  }

  /**
   * Files of a run that ffmpeg never listed (killed, or interrupted while the camera stalled)
   * still hold complete fragments: cut back to them, timed by ffprobe, chained after the run's
   * last segment. Nothing playable is left behind silently: an empty remainder is logged.
   */
  private async salvageUnlisted(runId: number, runNumber: number): Promise<void> {
    const prefix = `r${runId}-`;
    const files = (await this.o.spool.listIncoming(this.o.cameraId)).filter((f) => path.basename(f).startsWith(prefix)).sort();
    for (const file of files) {
      const salvaged = await salvagePartialSegment(file);
      if (!salvaged) {
        this.log.warn({ file: path.basename(file) }, 'unfinished segment held no complete fragment; removed');
        await this.o.spool.remove(file);
        continue;
      }
      const endSec = (this.runClock.lastEndSec ?? 0) + salvaged.durationMs / 1000;
      await this.onSegment(null, runNumber, { file, startSec: this.runClock.lastEndSec ?? 0, endSec });
      this.log.info({ file: path.basename(file), durationMs: salvaged.durationMs }, 'unfinished segment salvaged');
    }
  }

  private async onSegment(run: FfmpegRun | null, runNumber: number, seg: { file: string; startSec: number; endSec: number }): Promise<void> {
    this.log.debug({ seg }, 'segment closed');
    const startupFootage = runNumber === 1 && this.runClock.lastEndMs === null;
    const placed = placeSegment(this.runClock, seg, this.coveredUntilMs, this.o.clock.nowMs());
    if (run === null || this.run === run || this.run === null) this.runClock = { ...placed.run, lastEndSec: seg.endSec };
    // The first footage after start-up: the wait for it is part of start-up. A camera seen for
    // the first time is accounted for from its first footage on.
    if (startupFootage && this.firstFootagePending) this.coveredUntilMs = placed.startMs;
    this.firstFootagePending = false;
    const why = startupFootage
      ? { reason: 'recorder_down' as GapReason, detail: 'Vigil recorder was not running (or starting)' }
      : this.pendingReason ?? { reason: 'stream_error' as GapReason, detail: 'stream restarted' };
    await this.accountUntil(placed.startMs, why.reason, why.detail);
    // A segment of a later run than the failure means the outage is over.
    if (this.pendingReason && runNumber > this.pendingReason.run) this.pendingReason = null;
    this.downUntilMs = null;
    const file = path.isAbsolute(seg.file) ? seg.file : path.join(this.o.spool.incomingDir(this.o.cameraId), seg.file);
    const ready = await this.o.spool.promote(this.o.cameraId, file, placed.startMs, placed.durationMs);
    this.coveredUntilMs = placed.startMs + placed.durationMs;
    this.o.metrics?.segments.inc({ camera: this.o.cameraId });
    this.o.metrics?.bytes.inc({ camera: this.o.cameraId }, ready.sizeBytes);
    this.o.metrics?.lastSegment.set({ camera: this.o.cameraId }, this.coveredUntilMs / 1000);
    this.o.onReady(ready);
  }

  private armStallTimer(): void {
    this.cancelStall?.();
    this.cancelStall = this.o.clock.setTimer(this.o.stallTimeoutMs, () => {
      this.cancelStall = null;
      this.dispatch({ type: 'stall_timeout', atMs: this.o.clock.nowMs() });
    });
  }

  private dispatch(e: WatchdogEvent): void {
    const before = this.wd;
    const { next, actions } = transition(before, e, {
      retryDelayMs: (n) => backoffDelayMs(n, (this.o.random ?? Math.random)()),
      stableMs: DEFAULT_BACKOFF.stableMs,
      offlineAfterMs: this.o.offlineAfterMs ?? 60_000,
      authRetryMs: this.o.authRetryMs ?? 300_000,
    });
    this.wd = next;
    if ((e.type === 'exited' || next.state === 'stalled') && next.lastReason) {
      const prev = this.pendingReason;
      if (!prev) this.pendingReason = { reason: next.lastReason, detail: next.lastDetail, run: this.runCount };
      else if (prev.reason !== next.lastReason) {
        // The outage changed its cause (dropped, then unreachable): the gap so far keeps the
        // old reason, the rest takes the new one.
        const atMs = e.atMs;
        this.serial(() => this.accountUntil(atMs, prev.reason, prev.detail));
        this.pendingReason = { reason: next.lastReason, detail: next.lastDetail, run: this.runCount };
      }
    }
    if (next.state !== before.state) this.onTransition(before, next, e);
    for (const a of actions) this.act(a);
  }

  private onTransition(before: WatchdogState, next: WatchdogState, e: WatchdogEvent): void {
    const detail = next.state === 'recording' ? '' : next.lastDetail;
    const line = { from: before.state, to: next.state, reason: next.lastReason ?? undefined, detail };
    if (next.state === 'auth_failed') this.log.error(line, 'camera rejected the credentials; fix the password in the camera settings');
    else if (next.state === 'recording') this.log.info(line, 'camera recording');
    else this.log.warn(line, `camera ${next.state}`);
    this.o.metrics?.setState(this.o.cameraId, next.state);
    this.o.notify?.({ type: 'camera_state', cameraId: this.o.cameraId, fromState: before.state, toState: next.state, atMs: e.atMs, reason: next.lastReason, detail });
    if (next.state === 'connecting' && before.state !== 'stopped') this.o.metrics?.reconnects.inc({ camera: this.o.cameraId });
    this.serial(() =>
      this.o.index.insertEvent({ cameraId: this.o.cameraId, atMs: e.atMs, fromState: before.state, toState: next.state, detail }),
    );
  }

  private act(a: WatchdogAction): void {
    switch (a.type) {
      case 'start_ffmpeg':
        this.startFfmpeg();
        break;
      case 'stop_ffmpeg':
        this.cancelStall?.();
        void this.run?.stop({ graceMs: this.stopGraceMs });
        break;
      case 'schedule_retry':
        this.cancelRetry?.();
        this.cancelRetry = this.o.clock.setTimer(a.delayMs, () => {
          this.cancelRetry = null;
          this.dispatch({ type: 'retry_due', atMs: this.o.clock.nowMs() });
        });
        break;
      case 'cancel_retry':
        this.cancelRetry?.();
        this.cancelRetry = null;
        this.cancelStall?.();
        break;
    }
  }

  /** Records gaps from what is accounted for up to endMs: recorder_down first, then `reason`. */
  private async accountUntil(endMs: number, reason: GapReason, detail: string): Promise<void> {
    if (this.coveredUntilMs === null || endMs <= this.coveredUntilMs) return;
    if (this.downUntilMs !== null && this.coveredUntilMs < this.downUntilMs && reason !== 'recorder_down') {
      await this.writeGap(this.coveredUntilMs, Math.min(endMs, this.downUntilMs), 'recorder_down', 'Vigil recorder was not running');
    }
    if (endMs > this.coveredUntilMs) await this.writeGap(this.coveredUntilMs, endMs, reason, detail);
  }

  private async writeGap(startMs: number, endMs: number, reason: GapReason, detail: string): Promise<void> {
    await this.o.index.insertGap({ cameraId: this.o.cameraId, startMs, endMs, reason, detail });
    this.coveredUntilMs = endMs;
    this.o.metrics?.gapSeconds.inc({ camera: this.o.cameraId, reason }, (endMs - startMs) / 1000);
    this.o.notify?.({ type: 'gap', cameraId: this.o.cameraId, atMs: this.o.clock.nowMs(), startMs, endMs, reason, detail });
    this.log.warn({ startMs, endMs, reason, detail }, 'gap in footage recorded');
  }

  /** Index writes and segment handling run one after another, in event order. */
  private serial(fn: () => Promise<unknown>): void {
    this.work = this.work.then(fn).catch((err: unknown) => this.log.error({ err }, 'camera bookkeeping failed'));
  }
}
