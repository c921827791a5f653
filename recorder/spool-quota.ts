import { statfs } from 'node:fs/promises';
import type { Clock } from '../src/clock.ts';
import type { Logger } from '../src/logger.ts';
import type { GapRecord } from '../src/db/gaps-repo.ts';
import type { RecorderEvent } from '../src/notify/notice.ts';
import type { RecorderMetrics } from './recorder-metrics.ts';
import { planSpoolDrops, type ReadyFile, type Spool } from './spool.ts';

/**
 * Free space kept on the spool disk besides the quota, so ffmpeg never hits ENOSPC first; on a
 * small disk (a tmpfs, an SD card) at most a quarter of it, else the quota goes below zero and
 * every waiting segment is dropped the moment the store goes away (found by the chaos suite).
 */
export const SPOOL_DISK_RESERVE_BYTES = 64 * 1024 * 1024;
export const SPOOL_DISK_RESERVE_MAX_SHARE = 0.25;

export interface DiskSpace {
  sizeBytes: number;
  freeBytes: number;
}

/**
 * Bytes the spool may hold now, pure: the configured quota, or less when the disk has less
 * room (what the spool holds plus the free space, minus the reserve). Null disk: the quota.
 */
export function effectiveQuotaBytes(configuredBytes: number, usedBytes: number, disk: DiskSpace | null): number {
  if (!disk) return configuredBytes;
  const reserve = Math.min(SPOOL_DISK_RESERVE_BYTES, Math.floor(disk.sizeBytes * SPOOL_DISK_RESERVE_MAX_SHARE));
  return Math.min(configuredBytes, usedBytes + disk.freeBytes - reserve);
}

/**
 * Whether a new backfill job must wait for the spool, pure: backfilled files count in the
 * spool like live ones, but only live segments are ever dropped for room, so an edge fetch
 * starts only while the spool is under half of what it may hold (the other half is the live
 * footage's room through a store outage that begins mid-job). Null: no reason to wait.
 */
export function spoolHoldsBackBackfill(usage: { usedBytes: number; quotaBytes: number } | null): string | null {
  if (!usage || usage.usedBytes * 2 <= Math.max(0, usage.quotaBytes)) return null;
  const mb = (b: number) => Math.round(Math.max(0, b) / 1e6);
  return `the spool holds ${mb(usage.usedBytes)} MB of the ${mb(usage.quotaBytes)} MB it may hold`;
}

/**
 * Why no new backfill job may start now, or null, pure: live footage first. While more live
 * segments wait for the store than max(4, 2 × cameras) the store is down or slow, and a
 * fetch would only add to what waits; then the spool's own room (spoolHoldsBackBackfill).
 */
export function backfillWaitReason(pendingLiveSegments: number, cameras: number, usage: { usedBytes: number; quotaBytes: number } | null): string | null {
  if (pendingLiveSegments > Math.max(4, 2 * cameras)) return `${pendingLiveSegments} live segments wait for the object store`;
  return spoolHoldsBackBackfill(usage);
}

export interface SpoolQuotaDeps {
  spool: Spool;
  configuredBytes: number;
  clock: Clock;
  log: Logger;
  metrics: RecorderMetrics;
  /** Files the uploader is sending now (never dropped). */
  inFlight: ReadonlySet<string>;
  /** A ready file is about to be dropped: the uploader forgets it. */
  forget: (path: string) => void;
  /** Writes the spool_full gap of a dropped file (fenced by its lease in lease mode). */
  writeGap: (file: ReadyFile, gap: GapRecord) => Promise<void>;
  notify?: (event: RecorderEvent) => void;
}

/** The spool quota policy's I/O: measure, publish, and drop the oldest live segments when over. */
export class SpoolQuota {
  /** The last measurement (null before the first). */
  last: { usedBytes: number; quotaBytes: number } | null = null;

  constructor(private readonly d: SpoolQuotaDeps) {}

  /** Runs the policy once: returns how many segments were dropped. */
  async enforce(): Promise<number> {
    const { spool, metrics } = this.d;
    const used = await spool.usedBytes();
    metrics.spoolBytes.set(used);
    const stats = await statfs(spool.root).catch(() => null);
    const disk = stats ? { sizeBytes: Number(stats.blocks) * Number(stats.bsize), freeBytes: Number(stats.bavail) * Number(stats.bsize) } : null;
    const quota = effectiveQuotaBytes(this.d.configuredBytes, used, disk);
    this.last = { usedBytes: used, quotaBytes: quota };
    metrics.spoolQuotaBytes.set(Math.max(0, quota));
    if (disk) {
      metrics.spoolDiskFreeBytes.set(disk.freeBytes);
      metrics.spoolDiskSizeBytes.set(disk.sizeBytes);
    }
    if (used <= quota) return 0;
    const drops = planSpoolDrops(await spool.listReady(), used, quota, this.d.inFlight);
    for (const f of drops) {
      this.d.forget(f.path);
      await spool.remove(f.path);
      await this.d.writeGap(f, {
        cameraId: f.cameraId, startMs: f.startMs, endMs: f.startMs + f.durationMs, reason: 'spool_full',
        detail: 'spool over its quota while the object store was unreachable; oldest footage dropped to keep recording',
      });
      metrics.spoolDropped.inc({ camera: f.cameraId });
      metrics.gapSeconds.inc({ camera: f.cameraId, reason: 'spool_full' }, f.durationMs / 1000);
    }
    if (drops.length) {
      this.d.log.error({ dropped: drops.length, usedBytes: used, quotaBytes: quota }, 'spool full: oldest segments dropped and recorded as spool_full gaps');
      this.d.notify?.({ type: 'spool_dropped', atMs: this.d.clock.nowMs(), segments: drops.length, cameraIds: [...new Set(drops.map((f) => f.cameraId))], usedBytes: used, quotaBytes: Math.max(0, quota) });
    }
    return drops.length;
  }
}
