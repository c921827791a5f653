import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import type { RawFrame } from '../../src/thumbnail/keyframe-decode.ts';
import { decodeFirstFrames, type DecodeItem } from './batch-decode.ts';
import type { LiveFragment } from './live-channel.ts';
import type { LiveMetrics } from './live-metrics.ts';

/**
 * Live snapshots for a wall of cameras: the latest keyframe the recorder holds (no camera
 * is asked for anything), decoded by ffmpeg to raw RGB, resized by sharp to a JPEG of the
 * asked width. Made only when someone asks. Per camera and width, asks while a decode runs
 * share it, and a result is reused until a newer keyframe exists and it is minIntervalMs
 * old, so any number of walls cost at most one decode per camera, width and interval.
 */
export interface LiveSnapshot {
  cameraId: string;
  jpeg: Buffer;
  widthPx: number;
  heightPx: number;
  /** When the recorder received the keyframe shown (clock ms). */
  capturedAtMs: number;
}

export interface SnapshotMakerOptions {
  keyframeOf: (cameraId: string) => { init: Buffer; fragment: LiveFragment } | null;
  clock: Clock;
  ffmpegPath?: string;
  minIntervalMs?: number;
  metrics?: LiveMetrics;
  /** Drop cached pictures nobody asked for since (default 60 s). */
  forgetAfterMs?: number;
  /** ffmpeg runs at once (default: the CPU count); a wall of 30 asks queues, not thrashes. */
  maxConcurrentDecodes?: number;
  /** Keyframes decoded by one ffmpeg run (default 10): what queued while the runs were busy. */
  maxBatch?: number;
}

export const MIN_SNAPSHOT_WIDTH_PX = 16;
export const MAX_SNAPSHOT_WIDTH_PX = 1920;

interface Entry {
  keyframeSeq: number;
  madeAtMs: number;
  askedAtMs: number;
  result: Promise<LiveSnapshot>;
  done: boolean;
}

export class SnapshotMaker {
  private readonly entries = new Map<string, Entry>();
  private decodeCount = 0;
  private running = 0;
  private readonly queue: Array<{ item: DecodeItem; done: (r: RawFrame | Error) => void }> = [];

  constructor(private readonly o: SnapshotMakerOptions) {}

  /** Decodes made so far. */
  get decodes(): number {
    return this.decodeCount;
  }

  snapshot(cameraId: string, widthPx: number): Promise<LiveSnapshot> {
    if (!Number.isInteger(widthPx) || widthPx < MIN_SNAPSHOT_WIDTH_PX || widthPx > MAX_SNAPSHOT_WIDTH_PX) {
      return Promise.reject(new VigilError('invalid_request', `snapshot width must be a whole number of pixels from ${MIN_SNAPSHOT_WIDTH_PX} to ${MAX_SNAPSHOT_WIDTH_PX} (got ${widthPx})`));
    }
    const now = this.o.clock.nowMs();
    this.forgetOld(now);
    const key = `${cameraId}\u0000${widthPx}`;
    const entry = this.entries.get(key);
    const camera = { camera: cameraId };
    if (entry && !entry.done) {
      entry.askedAtMs = now;
      this.o.metrics?.snapshots.inc({ ...camera, outcome: 'shared' });
      return entry.result;
    }
    const kf = this.o.keyframeOf(cameraId);
    if (entry && (!kf || kf.fragment.seq === entry.keyframeSeq || now - entry.madeAtMs < (this.o.minIntervalMs ?? 2_000))) {
      entry.askedAtMs = now;
      this.o.metrics?.snapshots.inc({ ...camera, outcome: 'cached' });
      return entry.result;
    }
    if (!kf) {
      this.o.metrics?.snapshots.inc({ ...camera, outcome: 'unavailable' });
      return Promise.reject(new VigilError('camera_unreachable', `camera ${cameraId} is not sending video to the recorder right now, so there is no live picture`, {
        hint: 'See the camera state on the cameras page; the picture returns once the recorder is receiving video again.',
        cameraId,
      }));
    }
    this.o.metrics?.snapshots.inc({ ...camera, outcome: 'decoded' });
    const fresh: Entry = { keyframeSeq: kf.fragment.seq, madeAtMs: now, askedAtMs: now, done: false, result: this.make(cameraId, kf, widthPx) };
    this.entries.set(key, fresh);
    fresh.result.then(
      () => (fresh.done = true),
      () => {
        // A failed decode is not cached: the next ask tries again.
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      },
    );
    return fresh.result;
  }

  private async make(cameraId: string, kf: { init: Buffer; fragment: LiveFragment }, widthPx: number): Promise<LiveSnapshot> {
    this.decodeCount++;
    const started = performance.now();
    const frame = await new Promise<RawFrame | Error>((done) => {
      // Decoded at twice the asked width: ffmpeg's fast scaler trims the raw frame, sharp makes the picture.
      this.queue.push({ item: { mp4: Buffer.concat([kf.init, kf.fragment.bytes]), maxWidthPx: widthPx * 2 }, done });
      this.dispatch();
    });
    if (frame instanceof Error) throw frame;
    const { data, info } = await sharp(frame.rgb, { raw: { width: frame.widthPx, height: frame.heightPx, channels: 3 } })
      .resize({ width: widthPx })
      .jpeg({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    this.o.metrics?.snapshotSeconds.observe((performance.now() - started) / 1000);
    return { cameraId, jpeg: data, widthPx: info.width, heightPx: info.height, capturedAtMs: kf.fragment.receivedAtMs };
  }

  /**
   * Starts an ffmpeg run when one is free, with everything queued (up to maxBatch): a lone
   * ask is decoded at once; asks that come while runs are busy share the next run.
   */
  private dispatch(): void {
    const limit = this.o.maxConcurrentDecodes ?? availableParallelism();
    while (this.running < limit && this.queue.length) {
      const batch = this.queue.splice(0, this.o.maxBatch ?? 10);
      this.running++;
      void decodeFirstFrames(batch.map((b) => b.item), this.o.ffmpegPath)
        .catch((e: Error) => batch.map(() => e))
        .then((frames) => {
          batch.forEach((b, i) => b.done(frames[i]!));
          this.running--;
          this.dispatch();
        });
    }
  }

  private forgetOld(now: number): void {
    const limit = this.o.forgetAfterMs ?? 60_000;
    for (const [key, e] of this.entries) if (e.done && now - e.askedAtMs > limit) this.entries.delete(key);
  }
}
