import { statfs } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Clock } from '../src/clock.ts';
import type { Logger } from '../src/logger.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import type { ObjectStore } from '../src/store/object-store.ts';
import type { Database } from '../src/db/schema.ts';
import { SegmentsRepo } from '../src/db/segments-repo.ts';
import { GapsRepo } from '../src/db/gaps-repo.ts';
import { EventsRepo } from '../src/db/events-repo.ts';
import { CamerasRepo } from '../src/db/cameras-repo.ts';
import { CameraRecorder, type CameraSource } from './camera-recorder.ts';
import { Spool, planSpoolDrops } from './spool.ts';
import { Uploader } from './uploader.ts';
import { createRecorderMetrics, type RecorderMetrics } from './recorder-metrics.ts';
import { sourceFor } from './camera-source.ts';
import type { RecorderEvent } from '../src/notify/notice.ts';
import { LiveHub } from './live/live-hub.ts';

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
}

/** Free space kept on the spool disk besides the quota, so ffmpeg never hits ENOSPC first. */
const SPOOL_DISK_RESERVE_BYTES = 64 * 1024 * 1024;

export class Recorder {
  readonly metrics: RecorderMetrics;
  readonly spool: Spool;
  readonly uploader: Uploader;
  /** Live view of every camera from its recording ffmpeg (null when live.enabled is false). */
  readonly live: LiveHub | null;
  private readonly cameras = new Map<string, CameraRecorder>();
  private readonly segments: SegmentsRepo;
  private readonly gaps: GapsRepo;
  private readonly events: EventsRepo;
  private cancelQuota: (() => void) | null = null;
  private stopping = false;

  constructor(private readonly d: RecorderDeps) {
    const now = () => d.clock.nowMs();
    this.metrics = createRecorderMetrics(d.registry);
    this.spool = new Spool(d.config.recorder.spoolDir);
    this.segments = new SegmentsRepo(d.db, now);
    this.gaps = new GapsRepo(d.db, now);
    this.events = new EventsRepo(d.db);
    this.uploader = new Uploader({
      spool: this.spool,
      clock: d.clock,
      log: d.log,
      ...(d.random ? { random: d.random } : {}),
      target: {
        putObject: (key, data) => d.store.put(key, data, { contentType: 'video/mp4' }),
        recordSegment: async (row) => void (await this.segments.insert(row)),
      },
      onLatency: (s) => this.metrics.uploadLatency.observe(s),
    });
    this.uploader.on('retry', () => this.metrics.uploadFailures.inc());
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
    const live = d.config.live;
    this.live = live.enabled
      ? new LiveHub({
        clock: d.clock, log: d.log, registry: d.registry, ffmpegPath: d.config.recorder.ffmpegPath, fragmentMs: live.fragmentMs,
        policy: { maxLagMs: live.maxViewerLagMs, dropAfterMs: live.dropViewerAfterMs },
        maxViewersPerCamera: live.maxViewersPerCamera, snapshotIntervalMs: live.snapshotIntervalMs,
        ...(live.socketDir ? { socketDir: live.socketDir } : {}),
      })
      : null;
  }

  async start(): Promise<void> {
    const cams = new CamerasRepo(this.d.db, () => this.d.clock.nowMs());
    await this.uploader.resume();
    const ready = await this.spool.listReady();
    for (const cam of this.d.config.cameras.filter((c) => c.enabled)) {
      await cams.upsert({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, source: cam.onvif ? 'onvif' : 'rtsp' });
      const coveredUntilMs = maxOrNull([
        ...[await this.segments.last(cam.id)].filter((s) => s !== null).map((s) => s.startMs + s.durationMs),
        await this.gaps.lastEndMs(cam.id),
        ...ready.filter((f) => f.cameraId === cam.id).map((f) => f.startMs + f.durationMs),
      ]);
      const liveOutput = await this.live?.addCamera(cam.id);
      const recorder = new CameraRecorder({
        cameraId: cam.id,
        ...(liveOutput ? { liveOutput } : {}),
        source: this.d.sourceOf?.(cam.id) ?? sourceFor(cam, this.d.clock, {
          onOnboarded: (details) => cams.upsert({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, source: 'onvif', details }),
        }),
        segmentMs: this.d.config.recorder.segmentMs,
        stallTimeoutMs: this.d.config.recorder.stallTimeoutMs,
        ffmpegPath: this.d.config.recorder.ffmpegPath,
        spool: this.spool,
        clock: this.d.clock,
        log: this.d.log,
        index: { insertGap: (g) => this.gaps.insert(g), insertEvent: (e) => this.events.insert(e) },
        metrics: this.metrics,
        ...(this.d.notify ? { notify: this.d.notify } : {}),
        coveredUntilMs,
        onReady: (file) => {
          this.uploader.enqueue(file);
          this.metrics.uploadQueue.set(this.uploader.pending());
        },
        ...(this.d.random ? { random: this.d.random } : {}),
      });
      this.initCameraSeries(cam.id, cam.site ?? '');
      this.cameras.set(cam.id, recorder);
      await recorder.start();
    }
    this.uploader.on('uploaded', () => this.metrics.uploadQueue.set(this.uploader.pending()));
    this.scheduleQuotaCheck();
  }

  /**
   * Graceful: ffmpeg finalises open segments, then uploads are drained for up to drainMs.
   * afterGroupSignal: Vigil is stopping because its process group got SIGINT/SIGTERM (which
   * reached ffmpeg too); give ffmpeg a second to finish by itself before signalling it.
   */
  async stop(opts: { drainMs?: number; afterGroupSignal?: boolean } = {}): Promise<void> {
    const drainMs = opts.drainMs ?? 10_000;
    this.stopping = true;
    this.cancelQuota?.();
    await Promise.all([...this.cameras.values()].map((c) => c.stop({ graceMs: opts.afterGroupSignal ? 1_000 : 0 })));
    this.d.log.debug({ pending: this.uploader.pending() }, 'cameras stopped; draining uploads');
    let cancel: () => void = () => undefined;
    await Promise.race([this.uploader.drain(), new Promise<void>((r) => (cancel = this.d.clock.setTimer(drainMs, r)))]);
    cancel();
    this.uploader.stop();
    await this.live?.close();
  }

  cameraStates(): Array<{ cameraId: string; state: string; sinceMs: number; reason: string | null; detail: string }> {
    return [...this.cameras.entries()].map(([cameraId, c]) => ({
      cameraId, state: c.state.state, sinceMs: c.state.sinceMs, reason: c.state.lastReason, detail: c.state.lastDetail,
    }));
  }

  /** Runs the spool quota policy once: returns how many segments were dropped. */
  async enforceSpoolQuota(): Promise<number> {
    const used = await this.spool.usedBytes();
    this.metrics.spoolBytes.set(used);
    let quota = this.d.config.recorder.spoolQuotaBytes;
    const disk = await statfs(this.spool.root).catch(() => null);
    if (disk) quota = Math.min(quota, used + Number(disk.bavail) * Number(disk.bsize) - SPOOL_DISK_RESERVE_BYTES);
    this.metrics.spoolQuotaBytes.set(Math.max(0, quota));
    if (disk) {
      this.metrics.spoolDiskFreeBytes.set(Number(disk.bavail) * Number(disk.bsize));
      this.metrics.spoolDiskSizeBytes.set(Number(disk.blocks) * Number(disk.bsize));
    }
    if (used <= quota) return 0;
    const drops = planSpoolDrops(await this.spool.listReady(), used, quota, this.uploader.inFlight);
    for (const f of drops) {
      this.uploader.forget(f.path);
      await this.spool.remove(f.path);
      await this.gaps.insert({
        cameraId: f.cameraId, startMs: f.startMs, endMs: f.startMs + f.durationMs, reason: 'spool_full',
        detail: 'spool over its quota while the object store was unreachable; oldest footage dropped to keep recording',
      });
      this.metrics.spoolDropped.inc({ camera: f.cameraId });
      this.metrics.gapSeconds.inc({ camera: f.cameraId, reason: 'spool_full' }, f.durationMs / 1000);
    }
    if (drops.length) this.d.log.error({ dropped: drops.length, usedBytes: used, quotaBytes: quota }, 'spool full: oldest segments dropped and recorded as spool_full gaps');
    if (drops.length) this.d.notify?.({ type: 'spool_dropped', atMs: this.d.clock.nowMs(), segments: drops.length, cameraIds: [...new Set(drops.map((f) => f.cameraId))], usedBytes: used, quotaBytes: Math.max(0, quota) });
    return drops.length;
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
