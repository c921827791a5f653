import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import type { Clock } from '../src/clock.ts';
import type { Logger } from '../src/logger.ts';
import { redactText } from '../src/redact.ts';
import { segmentKey } from '../src/object-keys.ts';
import { initSegmentLength } from '../src/mp4-boxes.ts';
import { backoffDelayMs } from './backoff.ts';
import type { ReadyFile, Spool } from './spool.ts';

/**
 * Moves ready segments from the spool to the object store, then writes the index row, then
 * deletes the spool file — in that order, so a crash at any point loses nothing (the file is
 * still in the spool) and duplicates nothing (the key is derived from the timing, the put is
 * idempotent and the row insert ignores a key already indexed).
 *
 * Emits 'uploaded' (SegmentRow), 'fenced' (SegmentRow, refused: lease moved) and 'retry' ({ file, error, delayMs }).
 */
export interface SegmentRow {
  cameraId: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
  objectKey: string;
  initBytes: number;
}

export interface UploadTarget {
  putObject(key: string, data: Buffer): Promise<void>;
  /**
   * Idempotent by objectKey. 'fenced': refused because the camera's lease moved to another node
   * while the segment waited (many recorders, recorder/leases/); the spool file is then removed.
   */
  recordSegment(row: SegmentRow, file: ReadyFile): Promise<void | 'fenced'>;
}

export interface UploaderOptions {
  spool: Spool;
  target: UploadTarget;
  clock: Clock;
  log: Logger;
  concurrency?: number;
  random?: () => number;
  onLatency?: (seconds: number) => void;
}

export class Uploader extends EventEmitter {
  private readonly queue: ReadyFile[] = [];
  private readonly queued = new Set<string>();
  readonly inFlight = new Set<string>();
  private active = 0;
  private failures = 0;
  private stopped = false;
  private retryCancel: (() => void) | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: UploaderOptions) {
    super();
  }

  /** Queues everything already in the spool (after a restart or crash). */
  async resume(): Promise<number> {
    const ready = await this.o.spool.listReady();
    for (const f of ready) this.enqueue(f);
    return ready.length;
  }

  enqueue(file: ReadyFile): void {
    if (this.queued.has(file.path) || this.stopped) return;
    this.queued.add(file.path);
    this.queue.push(file);
    this.pump();
  }

  /** Forget a file the spool policy dropped (not in flight). */
  forget(filePath: string): void {
    const i = this.queue.findIndex((f) => f.path === filePath);
    if (i >= 0) this.queue.splice(i, 1);
    this.queued.delete(filePath);
  }

  pending(): number {
    return this.queue.length + this.active;
  }

  /** Resolves when nothing is queued or in flight. */
  async drain(): Promise<void> {
    if (this.pending() === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.retryCancel?.();
    this.retryCancel = null;
  }

  private pump(): void {
    const limit = this.o.concurrency ?? 4;
    while (!this.stopped && !this.retryCancel && this.active < limit && this.queue.length > 0) {
      const file = this.queue.shift()!;
      this.active++;
      this.inFlight.add(file.path);
      void this.uploadOne(file).finally(() => {
        this.active--;
        this.inFlight.delete(file.path);
        this.pump();
        if (this.pending() === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async uploadOne(file: ReadyFile): Promise<void> {
    const began = this.o.clock.nowMs();
    let data: Buffer;
    try {
      data = await readFile(file.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        // Dropped by the spool policy, or finished by an earlier attempt: nothing to upload.
        this.queued.delete(file.path);
        return;
      }
      return this.retryLater(file, e);
    }
    try {
      const row: SegmentRow = {
        cameraId: file.cameraId,
        startMs: file.startMs,
        durationMs: file.durationMs,
        sizeBytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
        objectKey: segmentKey(file.cameraId, file.startMs, file.durationMs),
        initBytes: initSegmentLength(data) ?? 0,
      };
      await this.o.target.putObject(row.objectKey, data);
      const outcome = await this.o.target.recordSegment(row, file);
      await this.o.spool.remove(file.path);
      this.queued.delete(file.path);
      if (outcome === 'fenced') {
        this.emit('fenced', row);
        return;
      }
      this.failures = 0;
      this.o.onLatency?.((this.o.clock.nowMs() - began) / 1000);
      this.emit('uploaded', row);
    } catch (e) {
      this.retryLater(file, e);
    }
  }

  /**
   * Keeps the file at the head of the queue and pauses the whole uploader: when the store is
   * down every upload would fail the same way.
   */
  private retryLater(file: ReadyFile, e: unknown): void {
    this.queue.unshift(file);
    const delayMs = backoffDelayMs(this.failures++, (this.o.random ?? Math.random)());
    const error = redactText((e as Error).message ?? String(e));
    this.o.log.warn({ cameraId: file.cameraId, file: file.path, delayMs, error }, 'upload failed; will retry');
    this.emit('retry', { file, error, delayMs });
    if (!this.retryCancel && !this.stopped) {
      this.retryCancel = this.o.clock.setTimer(delayMs, () => {
        this.retryCancel = null;
        this.pump();
      });
    }
  }
}
