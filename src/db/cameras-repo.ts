import type { Kysely, Selectable } from 'kysely';
import { scrubSecrets } from '../redact.ts';
import type { CamerasTable, Database } from './schema.ts';

/**
 * Cameras known to the index (from the configuration or onboarding). Credentials are never
 * stored: details pass through scrubSecrets, so a stray password or an RTSP URL with its user
 * and password is redacted before it reaches the database.
 */
export type CameraDetails = Record<string, unknown>;

export interface CameraInput {
  id: string;
  name: string | null;
  siteId: string | null;
  source: 'onvif' | 'rtsp';
  /** Replaces the stored details when given; left as stored when omitted. */
  details?: CameraDetails;
}

export interface CameraRecord {
  id: string;
  name: string | null;
  siteId: string | null;
  source: 'onvif' | 'rtsp';
  details: CameraDetails;
  createdMs: number;
  updatedMs: number;
}

export class CamerasRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /** Adds the camera or updates it; created_ms keeps the first sighting. */
  async upsert(c: CameraInput): Promise<void> {
    const now = this.nowMs();
    const details = c.details === undefined ? undefined : JSON.stringify(scrubSecrets(c.details));
    const update = { name: c.name, site_id: c.siteId, source: c.source, updated_ms: now, ...(details === undefined ? {} : { details }) };
    await this.db
      .insertInto('cameras')
      .values({ id: c.id, name: c.name, site_id: c.siteId, source: c.source, created_ms: now, updated_ms: now, ...(details === undefined ? {} : { details }) })
      .onConflict((oc) => oc.column('id').doUpdateSet(update))
      .execute();
  }

  async get(id: string): Promise<CameraRecord | null> {
    const row = await this.db.selectFrom('cameras').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(): Promise<CameraRecord[]> {
    const rows = await this.db.selectFrom('cameras').selectAll().orderBy('id').execute();
    return rows.map(toRecord);
  }
}

function parseDetails(text: string): CameraDetails {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as CameraDetails) : {};
  } catch {
    return {};
  }
}

function toRecord(r: Selectable<CamerasTable>): CameraRecord {
  return {
    id: r.id,
    name: r.name,
    siteId: r.site_id,
    source: r.source,
    details: parseDetails(r.details),
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
  };
}
