import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import { decodeFirstFrame } from '../../src/thumbnail/keyframe-decode.ts';
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
  /** Decodes run at once (default: the CPU count); a wall of 30 asks queues, not thrashes. */
  maxConcurrentDecodes?: number;
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
  private readonly waiting: Array<() => void> = [];

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
    const limit = this.o.maxConcurrentDecodes ?? availableParallelism();
    // A finished decode hands its slot straight to the next waiting one.
    if (this.running >= limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await this.decode(cameraId, kf, widthPx);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async decode(cameraId: string, kf: { init: Buffer; fragment: LiveFragment }, widthPx: number): Promise<LiveSnapshot> {
    const started = performance.now();
    const frame = await decodeFirstFrame(Buffer.concat([kf.init, kf.fragment.bytes]), this.o.ffmpegPath);
    const { data, info } = await sharp(frame.rgb, { raw: { width: frame.widthPx, height: frame.heightPx, channels: 3 } })
      .resize({ width: widthPx })
      .jpeg({ quality: 75 })
      .toBuffer({ resolveWithObject: true });
    this.o.metrics?.snapshotSeconds.observe((performance.now() - started) / 1000);
    return { cameraId, jpeg: data, widthPx: info.width, heightPx: info.height, capturedAtMs: kf.fragment.receivedAtMs };
  }

  private forgetOld(now: number): void {
    const limit = this.o.forgetAfterMs ?? 60_000;
    for (const [key, e] of this.entries) if (e.done && now - e.askedAtMs > limit) this.entries.delete(key);
  }
}
