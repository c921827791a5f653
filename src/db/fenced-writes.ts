import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { VigilError } from '../errors.ts';
import type { Database } from './schema.ts';
import type { SegmentRecord } from './segments-repo.ts';
import type { GapRecord } from './gaps-repo.ts';
import type { EventRecord } from './events-repo.ts';
import { MAX_SEGMENT_DURATION_MS } from './segments-repo.ts';

/**
 * Index writes fenced by lease epoch: `INSERT … SELECT … WHERE EXISTS (the lease row with this
 * camera, node and epoch)`, one statement, so a node whose lease moved on (it was paused or cut
 * off past its lease and another node took the camera) cannot add a segment, gap or event for
 * the time the new holder accounts for. Lease rows are never deleted and epochs only grow, so
 * once refused, always refused.
 */
export interface Fence {
  nodeId: string;
  epoch: number;
}

export type FencedOutcome = 'inserted' | 'duplicate' | 'fenced';

export class FencedWrites {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /** Holds the lease? (A read, for skipping an upload that would be refused anyway.) */
  async holds(cameraId: string, fence: Fence): Promise<boolean> {
    const row = await this.db.selectFrom('camera_leases').select('epoch').where('camera_id', '=', cameraId).where('node_id', '=', fence.nodeId).where('epoch', '=', fence.epoch).executeTakeFirst();
    return row !== undefined;
  }

  async insertSegment(r: SegmentRecord, fence: Fence): Promise<FencedOutcome> {
    if (!Number.isSafeInteger(r.durationMs) || r.durationMs <= 0 || r.durationMs > MAX_SEGMENT_DURATION_MS) {
      throw new VigilError('invalid_range', `segment ${r.objectKey} lasts ${r.durationMs} ms; a segment must last from 1 ms to ${MAX_SEGMENT_DURATION_MS} ms`);
    }
    const res = await this.db
      .insertInto('segments')
      .columns(['camera_id', 'start_ms', 'duration_ms', 'size_bytes', 'sha256', 'object_key', 'init_bytes', 'created_ms'])
      .expression(
        this.db
          .selectNoFrom([
            sql<string>`cast(${r.cameraId} as text)`.as('camera_id'),
            sql<number>`cast(${r.startMs} as bigint)`.as('start_ms'),
            sql<number>`cast(${r.durationMs} as bigint)`.as('duration_ms'),
            sql<number>`cast(${r.sizeBytes} as bigint)`.as('size_bytes'),
            sql<string>`cast(${r.sha256} as text)`.as('sha256'),
            sql<string>`cast(${r.objectKey} as text)`.as('object_key'),
            sql<number>`cast(${r.initBytes} as bigint)`.as('init_bytes'),
            sql<number>`cast(${this.nowMs()} as bigint)`.as('created_ms'),
          ])
          .where(this.held(r.cameraId, fence)),
      )
      .onConflict((oc) => oc.column('object_key').doNothing())
      .executeTakeFirst();
    if (Number(res.numInsertedOrUpdatedRows ?? 0) > 0) return 'inserted';
    const existing = await this.db.selectFrom('segments').select('id').where('object_key', '=', r.objectKey).executeTakeFirst();
    return existing && (await this.holds(r.cameraId, fence)) ? 'duplicate' : 'fenced';
  }

  async insertGap(g: GapRecord, fence: Fence): Promise<FencedOutcome> {
    if (!Number.isSafeInteger(g.startMs) || !Number.isSafeInteger(g.endMs)) {
      throw new VigilError('invalid_range', `gap ${g.startMs}–${g.endMs} of ${g.cameraId}: times must be whole milliseconds`);
    }
    if (g.endMs <= g.startMs) return 'duplicate';
    const res = await this.db
      .insertInto('gaps')
      .columns(['camera_id', 'start_ms', 'end_ms', 'reason', 'detail', 'created_ms'])
      .expression(
        this.db
          .selectNoFrom([
            sql<string>`cast(${g.cameraId} as text)`.as('camera_id'),
            sql<number>`cast(${g.startMs} as bigint)`.as('start_ms'),
            sql<number>`cast(${g.endMs} as bigint)`.as('end_ms'),
            sql<string>`cast(${g.reason} as text)`.as('reason'),
            sql<string>`cast(${g.detail} as text)`.as('detail'),
            sql<number>`cast(${this.nowMs()} as bigint)`.as('created_ms'),
          ])
          .where(this.held(g.cameraId, fence)),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? 'inserted' : 'fenced';
  }

  async insertEvent(e: EventRecord, fence: Fence): Promise<FencedOutcome> {
    if (!Number.isSafeInteger(e.atMs)) throw new VigilError('invalid_time', `event time ${e.atMs} of ${e.cameraId} is not whole milliseconds`);
    const res = await this.db
      .insertInto('events')
      .columns(['camera_id', 'at_ms', 'from_state', 'to_state', 'detail'])
      .expression(
        this.db
          .selectNoFrom([
            sql<string>`cast(${e.cameraId} as text)`.as('camera_id'),
            sql<number>`cast(${e.atMs} as bigint)`.as('at_ms'),
            sql<string>`cast(${e.fromState} as text)`.as('from_state'),
            sql<string>`cast(${e.toState} as text)`.as('to_state'),
            sql<string>`cast(${e.detail} as text)`.as('detail'),
          ])
          .where(this.held(e.cameraId, fence)),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0 ? 'inserted' : 'fenced';
  }

  private held(cameraId: string, fence: Fence): Expression<SqlBool> {
    return sql<SqlBool>`exists (select 1 from camera_leases where camera_id = ${cameraId} and node_id = ${fence.nodeId} and epoch = ${fence.epoch})`;
  }
}
