import { access } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import type { Database } from '../../src/db/schema.ts';
import type { Fence } from '../../src/db/fenced-writes.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { indexBackfilledSegment, type BackfillIndexOutcome } from '../../src/db/backfill-index.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { Uploader, type SegmentRow } from '../uploader.ts';
import type { ReadyFile, Spool } from '../spool.ts';

/**
 * Uploads backfilled segment files with the recorder's own Uploader code (read → SHA-256 →
 * idempotent put → index row → delete the spool file), as a second instance with its own
 * queue: a backfill never waits in front of live segments, and a backfill upload failing does
 * not pause live uploads. Its index write is indexBackfilledSegment (row with source
 * 'backfill' and the gap shrunk, one transaction). A refused segment ('outside_gap', or
 * 'fenced': the lease moved) has its object deleted, so `vigil reindex` never revives it.
 */
export interface BackfillUploaderOptions {
  spool: Spool;
  store: { put(key: string, data: Buffer, o: { contentType: string }): Promise<void>; delete(keys: string[]): Promise<unknown> };
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  /** Leases on: every row goes through the fence given with its file (no fence = refused). */
  leases: boolean;
}

export class BackfillUploader {
  private readonly uploader: Uploader;
  private readonly fences = new Map<string, Fence>();
  private readonly waiters = new Map<string, (outcome: BackfillIndexOutcome) => void>();
  private readonly outcomes = new Map<string, BackfillIndexOutcome>();
  private readonly segments: SegmentsRepo;

  constructor(private readonly o: BackfillUploaderOptions) {
    this.segments = new SegmentsRepo(o.db, () => o.clock.nowMs());
    this.uploader = new Uploader({
      spool: o.spool,
      clock: o.clock,
      log: o.log,
      concurrency: 1,
      target: {
        putObject: (key, data) => o.store.put(key, data, { contentType: 'video/mp4' }),
        recordSegment: (row, file) => this.record(row, file),
      },
    });
    const settle = (row: SegmentRow) => {
      const outcome = this.outcomes.get(row.objectKey) ?? 'duplicate';
      this.outcomes.delete(row.objectKey);
      this.waiters.get(row.objectKey)?.(outcome);
      this.waiters.delete(row.objectKey);
    };
    this.uploader.on('uploaded', settle);
    this.uploader.on('fenced', settle);
  }

  /**
   * Uploads and indexes these files of one camera; resolves with each file's outcome once it has
   * left the spool. A failing store is retried (with backoff) until then or until the signal.
   */
  async upload(files: readonly ReadyFile[], fence: Fence | null, signal: AbortSignal): Promise<BackfillIndexOutcome[]> {
    if (signal.aborted) throw signal.reason ?? new Error('backfill upload aborted');
    const waits: Array<Promise<BackfillIndexOutcome>> = [];
    for (const f of files) {
      if (!(await access(f.path).then(() => true, () => false))) continue; // already finished
      const key = segmentKey(f.cameraId, f.startMs, f.durationMs);
      if (fence) this.fences.set(f.path, fence);
      waits.push(new Promise<BackfillIndexOutcome>((resolve) => this.waiters.set(key, resolve)));
      this.uploader.enqueue(f);
    }
    // One abort listener per call (not per file: a long gap is many files).
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_r, reject) => {
      onAbort = () => reject(signal.reason ?? new Error('backfill upload aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([Promise.all(waits), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  stop(): void {
    this.uploader.stop();
  }

  private async record(row: SegmentRow, file: ReadyFile): Promise<void | 'fenced'> {
    const fence = this.fences.get(file.path) ?? null;
    const outcome: BackfillIndexOutcome = this.o.leases && !fence ? 'fenced' : await indexBackfilledSegment(this.o.db, row, { fence, nowMs: () => this.o.clock.nowMs() });
    this.fences.delete(file.path);
    this.outcomes.set(row.objectKey, outcome);
    if (outcome === 'inserted' || outcome === 'duplicate') return;
    if (!(await this.segments.byObjectKey(row.objectKey))) await this.o.store.delete([row.objectKey]);
    this.o.log.warn({ cameraId: row.cameraId, objectKey: row.objectKey, outcome }, outcome === 'fenced'
      ? 'backfilled segment refused: the camera lease moved to another node; its object was deleted'
      : 'backfilled segment not indexed: part of it is already accounted for (footage, not a gap); its object was deleted');
    return 'fenced';
  }
}
