import type { Kysely } from 'kysely';
import { mergeRanges, type TimeRange } from '../time.ts';
import type { Database } from './schema.ts';

/**
 * The index side of retention: the live segments to plan over, the marks that make deletion
 * crash-safe (mark → delete objects → delete rows), and the expired ranges left behind.
 */
export interface LiveSegment {
  id: number;
  cameraId: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
  objectKey: string;
}

export interface MarkedSegment extends LiveSegment {
  reason: string;
}

export interface ExpiredRange extends TimeRange {
  cameraId: string;
  reason: string;
}

/** Rows per statement: well under SQLite's bound-parameter limit. */
const BATCH = 500;

export class RetentionRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /** Every segment not being deleted, oldest first. */
  async live(): Promise<LiveSegment[]> {
    const rows = await this.db
      .selectFrom('segments')
      .select(['id', 'camera_id', 'start_ms', 'duration_ms', 'size_bytes', 'object_key'])
      .where('deleting_ms', 'is', null)
      .orderBy('start_ms')
      .execute();
    return rows.map((r) => ({ id: Number(r.id), cameraId: r.camera_id, startMs: Number(r.start_ms), durationMs: Number(r.duration_ms), sizeBytes: Number(r.size_bytes), objectKey: r.object_key }));
  }

  /** Marks the segments for deletion, with why; from now on they are no longer served. */
  async mark(items: ReadonlyArray<{ id: number; reason: string }>): Promise<void> {
    const at = this.nowMs();
    await this.db.transaction().execute(async (tx) => {
      for (const reason of new Set(items.map((i) => i.reason))) {
        const ids = items.filter((i) => i.reason === reason).map((i) => i.id);
        for (let i = 0; i < ids.length; i += BATCH) {
          await tx.updateTable('segments').set({ deleting_ms: at, deleting_reason: reason }).where('id', 'in', ids.slice(i, i + BATCH)).execute();
        }
      }
    });
  }

  /** Up to `limit` marked segments (a deletion in progress, or left by a crash). */
  async marked(limit: number): Promise<MarkedSegment[]> {
    const rows = await this.db
      .selectFrom('segments')
      .select(['id', 'camera_id', 'start_ms', 'duration_ms', 'size_bytes', 'object_key', 'deleting_reason'])
      .where('deleting_ms', 'is not', null)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), cameraId: r.camera_id, startMs: Number(r.start_ms), durationMs: Number(r.duration_ms), sizeBytes: Number(r.size_bytes), objectKey: r.object_key, reason: r.deleting_reason ?? 'age' }));
  }

  /** After their objects are gone: the rows go and their time becomes expired ranges, in one transaction. */
  async finish(segments: readonly MarkedSegment[]): Promise<void> {
    if (segments.length === 0) return;
    const at = this.nowMs();
    const expired: Array<{ camera_id: string; start_ms: number; end_ms: number; reason: string; created_ms: number }> = [];
    const groups = new Map<string, MarkedSegment[]>();
    for (const s of segments) groups.set(`${s.cameraId}\u0000${s.reason}`, [...(groups.get(`${s.cameraId}\u0000${s.reason}`) ?? []), s]);
    for (const list of groups.values()) {
      for (const r of mergeRanges(list.map((s) => ({ startMs: s.startMs, endMs: s.startMs + s.durationMs })))) {
        expired.push({ camera_id: list[0]!.cameraId, start_ms: r.startMs, end_ms: r.endMs, reason: list[0]!.reason, created_ms: at });
      }
    }
    await this.db.transaction().execute(async (tx) => {
      const ids = segments.map((s) => s.id);
      for (let i = 0; i < ids.length; i += BATCH) {
        await tx.deleteFrom('segments').where('id', 'in', ids.slice(i, i + BATCH)).where('deleting_ms', 'is not', null).execute();
      }
      for (let i = 0; i < expired.length; i += BATCH / 5) await tx.insertInto('expired_ranges').values(expired.slice(i, i + BATCH / 5)).execute();
    });
  }

  /** Expired ranges of a camera overlapping [startMs, endMs), in order (adjacent ones may be separate rows). */
  async expiredOverlapping(cameraId: string, range: TimeRange): Promise<ExpiredRange[]> {
    const rows = await this.db
      .selectFrom('expired_ranges')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('start_ms', '<', range.endMs)
      .where('end_ms', '>', range.startMs)
      .orderBy('start_ms')
      .execute();
    return rows.map((r) => ({ cameraId: r.camera_id, startMs: Number(r.start_ms), endMs: Number(r.end_ms), reason: r.reason }));
  }

  /** Bytes stored and oldest footage start per camera (live segments only). */
  async totals(): Promise<Array<{ cameraId: string; bytes: number; oldestStartMs: number; segments: number }>> {
    const rows = await this.db
      .selectFrom('segments')
      .select((eb) => ['camera_id', eb.fn.sum<number>('size_bytes').as('bytes'), eb.fn.min<number>('start_ms').as('oldest'), eb.fn.countAll<number>().as('n')])
      .where('deleting_ms', 'is', null)
      .groupBy('camera_id')
      .execute();
    return rows.map((r) => ({ cameraId: r.camera_id, bytes: Number(r.bytes ?? 0), oldestStartMs: Number(r.oldest), segments: Number(r.n) }));
  }
}
