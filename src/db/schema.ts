import type { Generated } from 'kysely';

/**
 * Tables of the index, as Kysely sees them. Times are integer epoch ms (UTC), sizes bytes.
 * Columns declared `bigint` come back as numbers from SQLite; PostgreSQL's driver gives them as
 * strings, so repositories read every integer through Number().
 */
export interface CamerasTable {
  id: string;
  name: string | null;
  site_id: string | null;
  source: 'onvif' | 'rtsp';
  /** JSON object text: what onboarding learnt (model, firmware, profiles, clock offset…). Never credentials. */
  details: Generated<string>;
  created_ms: number;
  updated_ms: number;
}

export interface SegmentsTable {
  id: Generated<number>;
  camera_id: string;
  start_ms: number;
  duration_ms: number;
  size_bytes: number;
  sha256: string;
  object_key: string;
  /** Bytes of ftyp+moov at the start of the object (the HLS EXT-X-MAP byte range). */
  init_bytes: number;
  created_ms: number;
}

export interface GapsTable {
  id: Generated<number>;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  reason: string;
  detail: string;
  created_ms: number;
}

export interface EventsTable {
  id: Generated<number>;
  camera_id: string;
  at_ms: number;
  from_state: string;
  to_state: string;
  detail: string;
}

export interface Database {
  cameras: CamerasTable;
  segments: SegmentsTable;
  gaps: GapsTable;
  events: EventsTable;
}
