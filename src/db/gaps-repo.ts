import type { Kysely } from 'kysely';
import type { TimeRange } from '../time.ts';
import type { Database } from './schema.ts';

/** Gaps in footage, each with its reason. Gaps can be long, so overlap uses the end index. */
export interface GapRecord {
  cameraId: string;
  startMs: number;
  endMs: number;
  reason: string;
  detail: string;
}

export class GapsRepo {
  constructor(private readonly db: Kysely<Database>, private readonly nowMs: () => number) {}

  async insert(g: GapRecord): Promise<void> {
    if (!(g.endMs > g.startMs)) return;
    await this.db
      .insertInto('gaps')
      .values({ camera_id: g.cameraId, start_ms: g.startMs, end_ms: g.endMs, reason: g.reason, detail: g.detail, created_ms: this.nowMs() })
      .execute();
  }

  async overlapping(cameraId: string, range: TimeRange): Promise<GapRecord[]> {
    const rows = await this.db
      .selectFrom('gaps')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('end_ms', '>', range.startMs)
      .where('start_ms', '<', range.endMs)
      .orderBy('start_ms')
      .execute();
    return rows.map((r) => ({ cameraId: r.camera_id, startMs: Number(r.start_ms), endMs: Number(r.end_ms), reason: r.reason, detail: r.detail }));
  }

  /** End of the latest gap of a camera, or null. */
  async lastEndMs(cameraId: string): Promise<number | null> {
    const row = await this.db.selectFrom('gaps').select('end_ms').where('camera_id', '=', cameraId).orderBy('end_ms', 'desc').limit(1).executeTakeFirst();
    return row ? Number(row.end_ms) : null;
  }
}
