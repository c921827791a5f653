import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { systemClock, type Clock } from './clock.ts';
import type { Database } from './db/schema.ts';
import { MAX_SEGMENT_DURATION_MS, SegmentsRepo } from './db/segments-repo.ts';
import { isVigilError } from './errors.ts';
import { isBackfillMarked } from './fmp4/source-brand.ts';
import { initSegmentLength } from './mp4-boxes.ts';
import { cameraPrefix, parseSegmentKey } from './object-keys.ts';
import type { ObjectStore } from './store/object-store.ts';

/**
 * Rebuilds segment rows from a bucket listing (`vigil reindex`): the keys say camera, start and
 * duration (object-keys.ts); each object not yet indexed is read once to hash it and find its
 * init part. Idempotent: keys already indexed are not downloaded again, and the insert ignores a
 * key indexed meanwhile. Gaps are not rebuilt (they are what the recorder saw, not in the bucket).
 * A segment recovered from a camera's own storage is rebuilt as such from the mark in its ftyp
 * (fmp4/source-brand.ts).
 * A store failure stops the run (VigilError store_unavailable); a bad object is skipped with why.
 */
export interface ReindexOptions {
  store: ObjectStore;
  db: Kysely<Database>;
  /** Only this camera's objects; all when omitted. */
  cameraId?: string;
  clock?: Clock;
  /** Objects read at once (default 4). */
  concurrency?: number;
}

export interface ReindexResult {
  /** Objects listed. */
  scanned: number;
  /** Rows added. */
  inserted: number;
  /** Segment objects whose row was already there. */
  alreadyIndexed: number;
  /** Objects that are not segments Vigil can index, by key. */
  skipped: Array<{ key: string; reason: string }>;
}

/** An init part (ftyp + moov) larger than this is not one ffmpeg wrote; the object is skipped. */
export const MAX_INIT_SCAN_BYTES = 4 * 1024 * 1024;

export async function reindex(o: ReindexOptions): Promise<ReindexResult> {
  const segments = new SegmentsRepo(o.db, () => (o.clock ?? systemClock).nowMs());
  const result: ReindexResult = { scanned: 0, inserted: 0, alreadyIndexed: 0, skipped: [] };
  const listing = o.store.list(o.cameraId === undefined ? '' : cameraPrefix(o.cameraId))[Symbol.asyncIterator]();
  let failed = false;

  const handle = async (key: string): Promise<void> => {
    const parsed = parseSegmentKey(key);
    if (!parsed) return skip(result, key, 'not a segment key (<camera>/<yyyy>/<mm>/<dd>/<hh>/<startMs>-<durationMs>.mp4)');
    if (parsed.durationMs > MAX_SEGMENT_DURATION_MS) return skip(result, key, `lasts ${parsed.durationMs} ms, more than a segment may (${MAX_SEGMENT_DURATION_MS} ms)`);
    if (await segments.byObjectKey(key)) {
      result.alreadyIndexed++;
      return;
    }
    const content = await readSegment(o.store, key);
    if (typeof content === 'string') return skip(result, key, content);
    const added = await segments.insert({ ...parsed, objectKey: key, ...content });
    if (added) result.inserted++;
    else result.alreadyIndexed++;
  };

  const worker = async (): Promise<void> => {
    while (!failed) {
      const next = await listing.next();
      if (next.done) return;
      result.scanned++;
      await handle(next.value.key);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, o.concurrency ?? 4) }, () =>
        worker().catch((e: unknown) => {
          failed = true;
          throw e;
        }),
      ),
    );
  } finally {
    await listing.return?.().catch(() => undefined); // close the listing (a MinIO stream) on failure too
  }
  result.skipped.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return result;
}

function skip(result: ReindexResult, key: string, reason: string): void {
  result.skipped.push({ key, reason });
}

/** Hash, size and init length of a stored segment, or why it cannot be indexed. */
async function readSegment(store: ObjectStore, key: string): Promise<{ sha256: string; sizeBytes: number; initBytes: number; source?: 'backfill' } | string> {
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headBytes = 0;
  let sizeBytes = 0;
  try {
    for await (const chunk of await store.get(key)) {
      const buf = chunk as Buffer;
      hash.update(buf);
      sizeBytes += buf.length;
      if (headBytes < MAX_INIT_SCAN_BYTES) {
        head.push(buf);
        headBytes += buf.length;
      }
    }
  } catch (e) {
    if (isVigilError(e, 'not_found')) return 'deleted while the reindex ran';
    throw e;
  }
  if (sizeBytes === 0) return 'empty object';
  const initBytes = initSegmentLength(Buffer.concat(head));
  if (initBytes === null) return `not a fragmented MP4 (no moov followed by a moof in its first ${MAX_INIT_SCAN_BYTES} bytes)`;
  const init = Buffer.concat(head).subarray(0, initBytes);
  return { sha256: hash.digest('hex'), sizeBytes, initBytes, ...(isBackfillMarked(init) ? { source: 'backfill' as const } : {}) };
}
