import type { Kysely } from 'kysely';
import type { TimeRange } from '../time.ts';
import type { Database } from './schema.ts';

/** Camera state transitions, one row each. */
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
    await this.db.insertInto('events').values({ camera_id: e.cameraId, at_ms: e.atMs, from_state: e.fromState, to_state: e.toState, detail: e.detail }).execute();
  }

  async list(cameraId: string, range: TimeRange): Promise<EventRecord[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('at_ms', '>=', range.startMs)
      .where('at_ms', '<', range.endMs)
      .orderBy('at_ms')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ cameraId: r.camera_id, atMs: Number(r.at_ms), fromState: r.from_state, toState: r.to_state, detail: r.detail }));
  }
}
