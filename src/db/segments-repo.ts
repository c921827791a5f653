import type { Kysely, Selectable } from 'kysely';
import { VigilError } from '../errors.ts';
import { isValidRange, type TimeRange } from '../time.ts';
import type { Database, SegmentSource, SegmentsTable } from './schema.ts';

/**
 * Segment rows: one per stored object. No segment is longer than MAX_SEGMENT_DURATION_MS
 * (insert refuses longer ones), so "segments overlapping [start, end)" is one range scan of the
 * (camera_id, start_ms) index over start_ms in [start − MAX, end), whatever the table's size;
 * the end condition only filters that bounded window.
 */
export const MAX_SEGMENT_DURATION_MS = 10 * 60_000;

export interface SegmentRecord {
  cameraId: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
  /** Hex SHA-256 of the whole object. */
  sha256: string;
  objectKey: string;
  /** Bytes before the first moof (ftyp + moov): the HLS EXT-X-MAP byte range. */
  initBytes: number;
  /** 'backfill' when fetched afterwards from the camera's own storage; 'live' when absent. */
  source?: SegmentSource;
}

export class SegmentsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /**
   * Idempotent by object key: a key already indexed is left as it is (no error). Returns true
   * when a row was added. Refuses timings the overlap query could not find.
   */
  async insert(r: SegmentRecord): Promise<boolean> {
    checkSegment(r);
    const res = await this.db
      .insertInto('segments')
      .values({
        camera_id: r.cameraId,
        start_ms: r.startMs,
        duration_ms: r.durationMs,
        size_bytes: r.sizeBytes,
        sha256: r.sha256,
        object_key: r.objectKey,
        init_bytes: r.initBytes,
        source: r.source ?? 'live',
        created_ms: this.nowMs(),
      })
      .onConflict((oc) => oc.column('object_key').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * The query behind overlapping(): `camera_id = ? AND start_ms < end AND start_ms >= start − MAX
   * AND start_ms + duration_ms > start`, ordered by start_ms (index order). Exposed so tests
   * can EXPLAIN the very SQL that runs.
   */
  overlappingQuery(cameraId: string, range: TimeRange) {
    return this.db
      .selectFrom('segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('start_ms', '<', range.endMs)
      .where('start_ms', '>=', range.startMs - MAX_SEGMENT_DURATION_MS)
      .where((eb) => eb(eb('start_ms', '+', eb.ref('duration_ms')), '>', range.startMs))
      .where('deleting_ms', 'is', null) // being deleted by retention: no longer served
      .orderBy('start_ms');
  }

  /** Segments sharing at least one millisecond with [startMs, endMs), in time order. */
  async overlapping(cameraId: string, range: TimeRange): Promise<SegmentRecord[]> {
    if (!isValidRange(range)) throw new VigilError('invalid_range', `segment lookup range ${range.startMs}–${range.endMs} is empty or not whole milliseconds`);
    return (await this.overlappingQuery(cameraId, range).execute()).map(toRecord);
  }

  /** The segment with the latest start of a camera, or null. */
  async last(cameraId: string): Promise<SegmentRecord | null> {
    const row = await this.db
      .selectFrom('segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .orderBy('start_ms', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async byObjectKey(objectKey: string): Promise<SegmentRecord | null> {
    const row = await this.db.selectFrom('segments').selectAll().where('object_key', '=', objectKey).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Number of segments and their total bytes for a camera (walks the camera's index entries). */
  async countAndBytes(cameraId: string): Promise<{ count: number; bytes: number }> {
    const row = await this.db
      .selectFrom('segments')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('size_bytes').as('bytes')])
      .where('camera_id', '=', cameraId)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), bytes: Number(row.bytes ?? 0) };
  }
}

function checkSegment(r: SegmentRecord): void {
  const whole = [r.startMs, r.durationMs, r.sizeBytes, r.initBytes].every(Number.isSafeInteger);
  if (!whole || r.startMs < 0 || r.sizeBytes < 0 || r.initBytes < 0) {
    throw new VigilError('invalid_range', `segment ${r.objectKey}: start, duration and sizes must be whole non-negative numbers`);
  }
  if (r.durationMs <= 0 || r.durationMs > MAX_SEGMENT_DURATION_MS) {
    throw new VigilError('invalid_range', `segment ${r.objectKey} lasts ${r.durationMs} ms; a segment must last from 1 ms to ${MAX_SEGMENT_DURATION_MS} ms`, {
      hint: 'Keep recorder.segmentMs well under the maximum; ffmpeg cuts at keyframes, a little after it.',
    });
  }
  if (r.initBytes > r.sizeBytes) throw new VigilError('invalid_range', `segment ${r.objectKey}: init bytes (${r.initBytes}) exceed its size (${r.sizeBytes})`);
}

function toRecord(r: Selectable<SegmentsTable>): SegmentRecord {
  return {
    cameraId: r.camera_id,
    startMs: Number(r.start_ms),
    durationMs: Number(r.duration_ms),
    sizeBytes: Number(r.size_bytes),
    sha256: r.sha256,
    objectKey: r.object_key,
    initBytes: Number(r.init_bytes),
    ...(r.source === 'backfill' ? { source: 'backfill' as const } : {}),
  };
}
