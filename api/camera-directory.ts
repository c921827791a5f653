import type { Kysely } from 'kysely';
import type { VigilConfig } from '../src/config/schema.ts';
import { CamerasRepo } from '../src/db/cameras-repo.ts';
import type { Database } from '../src/db/schema.ts';
import { SegmentsRepo } from '../src/db/segments-repo.ts';

/**
 * The cameras the API knows: those in the configuration, plus cameras the index still holds
 * footage of after they left the configuration (footage outlives a camera's configuration;
 * a complaint about last month must still find it). The configuration decides name and site
 * when it has the camera; otherwise the index row does.
 */
export interface CameraEntry {
  id: string;
  name: string;
  siteId: string | null;
  /** In the configuration now (false: footage only). */
  configured: boolean;
  enabled: boolean;
}

export interface CameraStatus {
  /** Latest watchdog state from the events table; 'unknown' before any event. */
  state: string;
  stateSinceMs: number | null;
  /** End of the newest stored segment. */
  lastFootageEndMs: number | null;
}

export class CameraDirectory {
  private readonly cameras: CamerasRepo;
  private readonly segments: SegmentsRepo;

  constructor(
    private readonly config: Pick<VigilConfig, 'cameras'>,
    private readonly db: Kysely<Database>,
    nowMs: () => number,
  ) {
    this.cameras = new CamerasRepo(db, nowMs);
    this.segments = new SegmentsRepo(db, nowMs);
  }

  async list(): Promise<CameraEntry[]> {
    const byId = new Map<string, CameraEntry>();
    for (const row of await this.cameras.list()) {
      byId.set(row.id, { id: row.id, name: row.name ?? row.id, siteId: row.siteId, configured: false, enabled: false });
    }
    for (const c of this.config.cameras) {
      byId.set(c.id, { id: c.id, name: c.name ?? c.id, siteId: c.site ?? null, configured: true, enabled: c.enabled });
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<CameraEntry | null> {
    const c = this.config.cameras.find((x) => x.id === id);
    if (c) return { id: c.id, name: c.name ?? c.id, siteId: c.site ?? null, configured: true, enabled: c.enabled };
    const row = await this.cameras.get(id);
    return row ? { id: row.id, name: row.name ?? row.id, siteId: row.siteId, configured: false, enabled: false } : null;
  }

  /** State and freshness of one camera: two index lookups (events_camera_at, segments_camera_start). */
  async status(id: string): Promise<CameraStatus> {
    const event = await this.db
      .selectFrom('events')
      .select(['to_state', 'at_ms'])
      .where('camera_id', '=', id)
      .orderBy('at_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const last = await this.segments.last(id);
    return {
      state: event?.to_state ?? 'unknown',
      stateSinceMs: event ? Number(event.at_ms) : null,
      lastFootageEndMs: last ? last.startMs + last.durationMs : null,
    };
  }
}
