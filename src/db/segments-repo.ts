import type { Kysely } from 'kysely';
import type { TimeRange } from '../time.ts';
import type { Database } from './schema.ts';

/**
 * Segment rows. No segment is longer than MAX_SEGMENT_MS, so an overlap lookup is one index
 * range scan on (camera_id, start_ms): start in [from - MAX, to), then filter on the end.
 */
export const MAX_SEGMENT_MS = 5 * 60_000;

export interface SegmentRecord {
  cameraId: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
  objectKey: string;
  initBytes: number;
}

export class SegmentsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly nowMs: () => number) {}

  /** Idempotent by object key: inserting a key already indexed is a no-op. Returns true if new. */
  async insert(r: SegmentRecord): Promise<boolean> {
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
        created_ms: this.nowMs(),
      })
      .onConflict((oc) => oc.column('object_key').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Segments overlapping [startMs, endMs), in time order. */
  async overlapping(cameraId: string, range: TimeRange): Promise<SegmentRecord[]> {
    const rows = await this.db
      .selectFrom('segments')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('start_ms', '>=', range.startMs - MAX_SEGMENT_MS)
      .where('start_ms', '<', range.endMs)
      .orderBy('start_ms')
      .execute();
    return rows.filter((r) => Number(r.start_ms) + r.duration_ms > range.startMs).map(toRecord);
  }

  async last(cameraId: string): Promise<SegmentRecord | null> {
    const row = await this.db.selectFrom('segments').selectAll().where('camera_id', '=', cameraId).orderBy('start_ms', 'desc').limit(1).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async countAndBytes(cameraId: string): Promise<{ count: number; bytes: number }> {
    const row = await this.db
      .selectFrom('segments')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('size_bytes').as('bytes')])
      .where('camera_id', '=', cameraId)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), bytes: Number(row.bytes ?? 0) };
  }
}

function toRecord(r: { camera_id: string; start_ms: number; duration_ms: number; size_bytes: number; sha256: string; object_key: string; init_bytes: number }): SegmentRecord {
  return {
    cameraId: r.camera_id,
    startMs: Number(r.start_ms),
    durationMs: Number(r.duration_ms),
    sizeBytes: Number(r.size_bytes),
    sha256: r.sha256,
    objectKey: r.object_key,
    initBytes: Number(r.init_bytes),
  };
}
