import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Cameras known to the index (from config or onboarding). Credentials are never stored here. */
export interface CameraRecord {
  id: string;
  name: string | null;
  siteId: string | null;
  source: 'onvif' | 'rtsp';
}

export class CamerasRepo {
  constructor(private readonly db: Kysely<Database>, private readonly nowMs: () => number) {}

  async upsert(c: CameraRecord): Promise<void> {
    const now = this.nowMs();
    await this.db
      .insertInto('cameras')
      .values({ id: c.id, name: c.name, site_id: c.siteId, source: c.source, created_ms: now, updated_ms: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: c.name, site_id: c.siteId, source: c.source, updated_ms: now }))
      .execute();
  }

  async list(): Promise<CameraRecord[]> {
    const rows = await this.db.selectFrom('cameras').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, siteId: r.site_id, source: r.source }));
  }
}
