import type { Kysely, Selectable } from 'kysely';
import { VigilError } from '../errors.ts';
import { isValidRange, type TimeRange } from '../time.ts';
import type { Database, EventsTable } from './schema.ts';

/** Camera state transitions (watchdog), one row each, found through (camera_id, at_ms). */
export interface EventRecord {
  cameraId: string;
  atMs: number;
  fromState: string;
  toState: string;
  detail: string;
}

export class EventsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: EventRecord): Promise<void> {
    if (!Number.isSafeInteger(e.atMs)) throw new VigilError('invalid_time', `event time ${e.atMs} of ${e.cameraId} is not whole milliseconds`);
    await this.db
      .insertInto('events')
      .values({ camera_id: e.cameraId, at_ms: e.atMs, from_state: e.fromState, to_state: e.toState, detail: e.detail })
      .execute();
  }

  /** Events at instants in [startMs, endMs), oldest first (ties in insertion order). */
  async list(cameraId: string, range: TimeRange): Promise<EventRecord[]> {
    if (!isValidRange(range)) throw new VigilError('invalid_range', `event lookup range ${range.startMs}–${range.endMs} is empty or not whole milliseconds`);
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('at_ms', '>=', range.startMs)
      .where('at_ms', '<', range.endMs)
      .orderBy('at_ms')
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }
}

function toRecord(r: Selectable<EventsTable>): EventRecord {
  return { cameraId: r.camera_id, atMs: Number(r.at_ms), fromState: r.from_state, toState: r.to_state, detail: r.detail };
}
