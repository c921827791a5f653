import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Clock } from '../src/clock.ts';
import type { Logger } from '../src/logger.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import type { ObjectStore } from '../src/store/object-store.ts';
import type { Database } from '../src/db/schema.ts';
import { SegmentsRepo, type SegmentRecord } from '../src/db/segments-repo.ts';
import { GapsRepo } from '../src/db/gaps-repo.ts';
import { EventsRepo } from '../src/db/events-repo.ts';
import { CamerasRepo } from '../src/db/cameras-repo.ts';
import { CameraRecorder, type CameraIndex, type CameraSource } from './camera-recorder.ts';
import { Spool, type ReadyFile } from './spool.ts';
import { SpoolQuota, backfillWaitReason } from './spool-quota.ts';
import { Uploader } from './uploader.ts';
import { createRecorderMetrics, type RecorderMetrics } from './recorder-metrics.ts';
import { sourceFor } from './camera-source.ts';
import type { RecorderEvent } from '../src/notify/notice.ts';
import { liveHubFor, type LiveHub } from './live/live-hub-config.ts';
import type { ExtraOutput } from './ffmpeg-args.ts';
import type { CameraConfig } from '../src/config/schema.ts';
import { FencedWrites, type Fence } from '../src/db/fenced-writes.ts';
import { LeasesRepo } from '../src/db/leases-repo.ts';
import { LeaseKeeper, type LossReason } from './leases/lease-keeper.ts';
import { readyFilesToKeep } from './leases/spool-adoption.ts';
import type { EdgeFetcher } from './backfill/edge-fetch-types.ts';
import type { BackfillRunner } from './backfill/backfill-runner.ts';
import { createRecorderBackfill } from './backfill/backfill-wiring.ts';
import { ClockWatch, liveUrlIn, storeReadingIn } from './clock-watch.ts';
import { createClockMetrics } from './clock-metrics.ts';

/**
 * The recorder role: one CameraRecorder per enabled camera, one spool, one uploader, and the
 * spool quota policy. Built from its dependencies so tests run the real thing on temp dirs.
 */
export interface RecorderDeps {
  config: ResolvedConfig;
  clock: Clock;
  log: Logger;
  registry: Registry;
  store: ObjectStore;
  db: Kysely<Database>;
  random?: () => number;
  /** Override how cameras are reached (tests); default from config. */
  sourceOf?: (cameraId: string) => () => Promise<CameraSource>;
  quotaCheckMs?: number;
  /** Told of camera transitions, gaps, spool drops and upload outcomes (src/notify/). Must not throw. */
  notify?: (event: RecorderEvent) => void;
  /**
   * Many recorders on one PostgreSQL index (recorder/leases/): record only the cameras this
   * node holds a lease on, every index write fenced by the lease epoch. Absent: every camera.
   */
  leases?: { nodeId: string; sites: string[] | null; ttlMs: number; renewMs: number; liveUrl?: string | null };
  /** Edge backfill (recorder/backfill/): fetches an interval from a camera's own storage. Absent: no backfill. */
  fetchEdgeFootage?: EdgeFetcher;
}

export class Recorder {
  readonly metrics: RecorderMetrics;
  readonly spool: Spool;
  readonly uploader: Uploader;
  /** Live view of every camera from its recording ffmpeg (null when live.enabled is false). */
  readonly live: LiveHub | null;
  /** Camera clock offsets measured every recorder.clockCheckMs (ONVIF cameras being recorded). */
  readonly clockWatch: ClockWatch;
  private readonly cameras = new Map<string, CameraRecorder>();
  private readonly segments: SegmentsRepo;
  private readonly gaps: GapsRepo;
  private readonly events: EventsRepo;
  private readonly quota: SpoolQuota;
  private cancelQuota: (() => void) | null = null;
  private stopping = false;
  private keeper: LeaseKeeper | null = null;
  private readonly fenced: FencedWrites;
  /** Spool file → the lease it was recorded under (lease mode). */
  private readonly fences = new Map<string, Fence>();
  private readonly liveOutputs = new Map<string, ExtraOutput>();
  private stopGraceMs = 0;
  /** Edge backfill of outages (null: backfill.enabled false or no edge fetcher). */
  readonly backfill: BackfillRunner | null;

  constructor(private readonly d: RecorderDeps) {
    const now = () => d.clock.nowMs();
    this.metrics = createRecorderMetrics(d.registry);
    this.spool = new Spool(d.config.recorder.spoolDir);
    this.segments = new SegmentsRepo(d.db, now);
    this.gaps = new GapsRepo(d.db, now);
    this.events = new EventsRepo(d.db);
    this.fenced = new FencedWrites(d.db, now);
    this.uploader = new Uploader({
      spool: this.spool,
      clock: d.clock,
      log: d.log,
      ...(d.random ? { random: d.random } : {}),
      target: {
        putObject: (key, data) => d.store.put(key, data, { contentType: 'video/mp4' }),
        recordSegment: (row, file) => this.recordSegment(row, file),
      },
      onLatency: (s) => this.metrics.uploadLatency.observe(s),
    });
    this.uploader.on('retry', () => this.metrics.uploadFailures.inc());
    this.quota = new SpoolQuota({
      spool: this.spool, configuredBytes: d.config.recorder.spoolQuotaBytes, clock: d.clock, log: d.log, metrics: this.metrics,
      inFlight: this.uploader.inFlight, forget: (p) => this.uploader.forget(p), ...(d.notify ? { notify: d.notify } : {}),
      writeGap: async (f, gap) => {
        const fence = this.fences.get(f.path);
        this.fences.delete(f.path);
        if (!d.leases) await this.gaps.insert(gap);
        else if (fence) await this.fenced.insertGap(gap, fence);
      },
    });
    this.backfill = createRecorderBackfill({
      config: d.config, db: d.db, clock: d.clock, log: d.log, registry: d.registry, store: d.store, spool: this.spool,
      fetcher: d.fetchEdgeFootage, nodeId: d.leases?.nodeId ?? null,
      cameras: () => [...this.cameras.entries()].map(([cameraId, c]) => ({
        cameraId, state: c.state.state, epoch: this.keeper?.heldLeases().find((l) => l.cameraId === cameraId)?.epoch ?? null,
      })),
      freshClockOffset: (cameraId) => this.clockWatch.checkNow(cameraId).then((r) => r?.offsetMs ?? null),
      // Live footage first: while live segments wait for the store, no new backfill starts.
      holdBack: () => backfillWaitReason(this.uploader.pending(), this.cameras.size, this.quota.last),
    });
    // Store reachability (alerts, notices): failed attempts since the last stored segment.
    let consecutiveFailures = 0;
    this.uploader.on('retry', (r: { error: string }) => {
      this.metrics.uploadConsecutiveFailures.set(++consecutiveFailures);
      d.notify?.({ type: 'upload_failed', atMs: d.clock.nowMs(), error: r.error });
    });
    this.uploader.on('uploaded', () => {
      consecutiveFailures = 0;
      this.metrics.uploadConsecutiveFailures.set(0);
      this.metrics.uploadLastSuccess.set(d.clock.nowMs() / 1000);
      d.notify?.({ type: 'upload_ok', atMs: d.clock.nowMs() });
    });
    this.clockWatch = new ClockWatch({
      clock: d.clock, log: d.log, metrics: createClockMetrics(d.registry), intervalMs: d.config.recorder.clockCheckMs,
      store: storeReadingIn(new CamerasRepo(d.db, now)), liveUrlOf: liveUrlIn(new CamerasRepo(d.db, now)),
    });
    this.live = liveHubFor(d.config, d);
  }

  async start(): Promise<void> {
    const cams = new CamerasRepo(this.d.db, () => this.d.clock.nowMs());
    const enabled = this.d.config.cameras.filter((c) => c.enabled);
    if (this.d.leases) {
      for (const cam of enabled) await cams.upsert({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, source: cam.onvif ? 'onvif' : 'rtsp' });
      this.keeper = new LeaseKeeper({
        ...this.d.leases,
        cameras: enabled.map((c) => ({ cameraId: c.id, siteId: c.site ?? null, nodes: c.recorders ?? null })),
        repo: new LeasesRepo(this.d.db),
        clock: this.d.clock,
        log: this.d.log,
        metrics: this.metrics,
        onGained: (cameraId, fence) => this.startCamera(enabled.find((c) => c.id === cameraId)!, cams, fence),
        onLost: (cameraId, _fence, reason) => this.stopCamera(cameraId, reason),
      });
      this.uploader.on('uploaded', () => this.metrics.uploadQueue.set(this.uploader.pending()));
      this.scheduleQuotaCheck();
      await this.backfill?.start();
      await this.keeper.start();
      return;
    }
    await this.uploader.resume();
    for (const cam of enabled) {
      await cams.upsert({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, source: cam.onvif ? 'onvif' : 'rtsp' });
      await this.startCamera(cam, cams, null);
    }
    this.uploader.on('uploaded', () => this.metrics.uploadQueue.set(this.uploader.pending()));
    this.scheduleQuotaCheck();
    await this.backfill?.start();
  }

  /**
   * Starts recording a camera added while running (the web UI's camera add; the caller has
   * already written it to the configuration file). Single node only: in lease mode the lease
   * keeper's camera list is fixed at start and the planner would have to learn the camera, so
   * there (and while stopping) it answers 'restart_needed' and records from the next start.
   */
  async addCamera(cam: CameraConfig): Promise<'started' | 'restart_needed'> {
    if (this.d.leases || this.keeper || this.stopping || !cam.enabled) return 'restart_needed';
    if (this.cameras.has(cam.id)) throw new Error(`camera ${cam.id} is already being recorded`);
    const cams = new CamerasRepo(this.d.db, () => this.d.clock.nowMs());
    await cams.upsert({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, source: cam.onvif ? 'onvif' : 'rtsp' });
    await this.startCamera(cam, cams, null);
    this.d.log.info({ cameraId: cam.id }, 'camera added while running: recording');
    return 'started';
  }

  /**
   * Starts one camera's recorder, accounted from where the index (and spool) leave off. With a
   * fence (lease mode) its index writes carry the lease epoch, and only the spool's segments
   * after what the index already covers are kept and uploaded under this lease.
   */
  private async startCamera(cam: CameraConfig, cams: CamerasRepo, fence: Fence | null): Promise<void> {
    if (this.stopping) return;
    const indexedUntilMs = maxOrNull([
      ...[await this.segments.last(cam.id)].filter((s) => s !== null).map((s) => s.startMs + s.durationMs),
      await this.gaps.lastEndMs(cam.id),
    ]);
    let ready = (await this.spool.listReady()).filter((f) => f.cameraId === cam.id);
    if (fence) {
      const { keep, drop } = readyFilesToKeep(ready, indexedUntilMs, this.uploader.inFlight);
      for (const f of drop) {
        this.d.log.warn({ cameraId: cam.id, file: f.path }, 'spool segment overlaps footage another node indexed meanwhile; removed');
        await this.spool.remove(f.path);
      }
      for (const f of keep) {
        this.fences.set(f.path, fence);
        this.uploader.enqueue(f);
      }
      ready = keep;
    }
    const coveredUntilMs = maxOrNull([indexedUntilMs, ...ready.map((f) => f.startMs + f.durationMs)]);
    {
      const liveOutput = this.liveOutputs.get(cam.id) ?? (await this.live?.addCamera(cam.id));
      if (liveOutput) this.liveOutputs.set(cam.id, liveOutput);
      const index: CameraIndex = fence ? this.fencedIndex(fence) : { insertGap: (g) => this.gaps.insert(g), insertEvent: (e) => this.events.insert(e) };
      const recorder = new CameraRecorder({
        cameraId: cam.id,
        ...(liveOutput ? { liveOutput } : {}),
        source: this.d.sourceOf?.(cam.id) ?? sourceFor(cam, this.d.clock, {
          onOnboarded: (details) => cams.upsert({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, source: 'onvif', details }),
          storedDetails: async () => (await cams.get(cam.id))?.details ?? null,
        }),
        segmentMs: this.d.config.recorder.segmentMs,
        stallTimeoutMs: this.d.config.recorder.stallTimeoutMs,
        ffmpegPath: this.d.config.recorder.ffmpegPath,
        spool: this.spool,
        clock: this.d.clock,
        log: this.d.log,
        index,
        metrics: this.metrics,
        notify: (e: RecorderEvent) => {
          this.d.notify?.(e);
          this.backfill?.onRecorderEvent(e);
          // Recording (again): the onboarding details (live URL) are stored, so the clock is read
          // now with its sender report, not only at the next interval; backfill relies on it.
          if (e.type === 'camera_state' && e.toState === 'recording') void this.clockWatch.checkNow(e.cameraId);
        },
        coveredUntilMs,
        onReady: (file) => {
          if (fence) this.fences.set(file.path, fence);
          this.uploader.enqueue(file);
          this.metrics.uploadQueue.set(this.uploader.pending());
        },
        ...(this.d.random ? { random: this.d.random } : {}),
      });
      this.initCameraSeries(cam.id, cam.site ?? '');
      this.cameras.set(cam.id, recorder);
      await recorder.start();
      if (cam.onvif) this.clockWatch.watch(cam.id, { host: cam.onvif.host, port: cam.onvif.port, username: cam.onvif.username, password: cam.onvif.password });
    }
  }

  /**
   * Graceful: ffmpeg finalises open segments, then uploads are drained for up to drainMs.
   * afterGroupSignal: Vigil is stopping because its process group got SIGINT/SIGTERM (which
   * reached ffmpeg too); give ffmpeg a second to finish by itself before signalling it.
   */
  async stop(opts: { drainMs?: number; afterGroupSignal?: boolean } = {}): Promise<void> {
    const drainMs = opts.drainMs ?? 10_000;
    this.stopping = true;
    await this.backfill?.stop();
    this.cancelQuota?.();
    this.clockWatch.stop();
    this.stopGraceMs = opts.afterGroupSignal ? 1_000 : 0;
    // Lease mode: cameras stop and their last segments are uploaded before the leases go.
    await this.keeper?.stop();
    await Promise.all([...this.cameras.values()].map((c) => c.stop({ graceMs: opts.afterGroupSignal ? 1_000 : 0 })));
    this.d.log.debug({ pending: this.uploader.pending() }, 'cameras stopped; draining uploads');
    let cancel: () => void = () => undefined;
    await Promise.race([this.uploader.drain(), new Promise<void>((r) => (cancel = this.d.clock.setTimer(drainMs, r)))]);
    cancel();
    this.uploader.stop();
    await this.live?.close();
  }

  /** Lease mode: the cameras this node holds, with their epochs (empty on a single node). */
  heldLeases(): Array<{ cameraId: string; epoch: number }> {
    return this.keeper?.heldLeases() ?? [];
  }

  /** Stops a camera whose lease is lost or handed over; a hand-over first uploads its spool. */
  private async stopCamera(cameraId: string, reason: LossReason): Promise<void> {
    const recorder = this.cameras.get(cameraId);
    this.cameras.delete(cameraId);
    this.clockWatch.unwatch(cameraId);
    await recorder?.stop({ graceMs: this.stopGraceMs });
    if (reason === 'moved' || reason === 'expired') return; // what waits would be refused anyway
    const deadlineMs = this.d.clock.nowMs() + Math.min(10_000, this.d.leases?.ttlMs ?? 10_000) / 2;
    while (this.d.clock.nowMs() < deadlineMs && (await this.spool.listReady()).some((f) => f.cameraId === cameraId)) {
      await new Promise<void>((r) => this.d.clock.setTimer(200, r));
    }
  }

  private fencedIndex(fence: Fence): CameraIndex {
    const refused = (kind: string, cameraId: string) => {
      this.metrics.fencedWrites.inc({ kind });
      this.d.log.warn({ cameraId, kind, epoch: fence.epoch }, 'index write refused: the camera lease moved to another node');
    };
    return {
      insertGap: async (g) => void ((await this.fenced.insertGap(g, fence)) === 'fenced' && refused('gap', g.cameraId)),
      insertEvent: async (e) => void ((await this.fenced.insertEvent(e, fence)) === 'fenced' && refused('event', e.cameraId)),
    };
  }

  /**
   * The uploader's index write. Lease mode: fenced by the epoch the segment was recorded under;
   * a refused segment's object is deleted (unless a row of that key exists), so neither the
   * index nor `vigil reindex` ever sees footage the lease holder did not record.
   */
  private async recordSegment(row: SegmentRecord, file: ReadyFile): Promise<void | 'fenced'> {
    if (!this.d.leases) return void (await this.segments.insert(row));
    const fence = this.fences.get(file.path);
    const outcome = fence ? await this.fenced.insertSegment(row, fence) : 'fenced';
    if (outcome !== 'fenced') {
      this.fences.delete(file.path);
      return;
    }
    if (!(await this.segments.byObjectKey(row.objectKey))) await this.d.store.delete([row.objectKey]);
    this.fences.delete(file.path);
    this.metrics.fencedWrites.inc({ kind: 'segment' });
    this.d.log.warn({ cameraId: row.cameraId, objectKey: row.objectKey, epoch: fence?.epoch ?? null }, 'segment refused: the camera lease moved to another node while it waited; its object was deleted');
    return 'fenced';
  }

  cameraStates(): Array<{ cameraId: string; state: string; sinceMs: number; reason: string | null; detail: string }> {
    return [...this.cameras.entries()].map(([cameraId, c]) => ({
      cameraId, state: c.state.state, sinceMs: c.state.sinceMs, reason: c.state.lastReason, detail: c.state.lastDetail,
    }));
  }

  /** Runs the spool quota policy once: returns how many segments were dropped. */
  enforceSpoolQuota(): Promise<number> {
    return this.quota.enforce();
  }

  /**
   * Series every camera has from its start: the site join for dashboards and alerts, and its
   * counters at 0, so Prometheus' increase() sees the first gap or reconnect (a series born
   * at its first increment has no earlier sample to compare with).
   */
  private initCameraSeries(camera: string, site: string): void {
    this.metrics.cameraInfo.set({ camera, site }, 1);
    for (const reason of ['camera_unreachable', 'stream_stalled', 'auth_failed', 'stream_error', 'recorder_down', 'spool_full'] as const) {
      this.metrics.gapSeconds.inc({ camera, reason }, 0);
    }
    this.metrics.reconnects.inc({ camera }, 0);
    this.metrics.outages.inc({ camera }, 0);
    this.metrics.segments.inc({ camera }, 0);
    this.metrics.bytes.inc({ camera }, 0);
    this.metrics.spoolDropped.inc({ camera }, 0);
  }

  private scheduleQuotaCheck(): void {
    if (this.stopping) return;
    this.cancelQuota = this.d.clock.setTimer(this.d.quotaCheckMs ?? 5_000, () => {
      void this.enforceSpoolQuota()
        .catch((err: unknown) => this.d.log.error({ err }, 'spool quota check failed'))
        .finally(() => this.scheduleQuotaCheck());
    });
  }
}

function maxOrNull(values: Array<number | null>): number | null {
  const nums = values.filter((v): v is number => v !== null);
  return nums.length ? Math.max(...nums) : null;
}
