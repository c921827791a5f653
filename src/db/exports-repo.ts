import type { Kysely, Selectable } from 'kysely';
import type { TimeRange } from '../time.ts';
import type { Actor } from './cases-repo.ts';
import { MAX_SEGMENT_DURATION_MS } from './segments-repo.ts';
import type { Database, ExportsTable } from './schema.ts';

/**
 * Evidence export jobs: one row per package, from queued to done or failed, with progress
 * readable while it runs. State changes are conditional updates (claim only a queued row,
 * finish only a running one), so two runners never take the same job.
 */
export type ExportStatus = 'queued' | 'running' | 'done' | 'failed';

export interface ExportRecord {
  id: string;
  caseId: string;
  cameraId: string;
  askedStartMs: number;
  askedEndMs: number;
  reason: string;
  requestedBy: Actor;
  requestedIp: string | null;
  status: ExportStatus;
  /** 0..1 */
  progress: number;
  /** queued, clip, hashing, signing, packaging, storing, done, failed */
  phase: string;
  error: string | null;
  runnerId: string;
  createdMs: number;
  updatedMs: number;
  startedMs: number | null;
  finishedMs: number | null;
  actualStartMs: number | null;
  actualEndMs: number | null;
  objectKey: string | null;
  sizeBytes: number | null;
  packageSha256: string | null;
  keyFingerprint: string | null;
}

export interface ExportDone {
  actualStartMs: number;
  actualEndMs: number;
  objectKey: string;
  sizeBytes: number;
  packageSha256: string;
  keyFingerprint: string;
}

export class ExportsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: Pick<ExportRecord, 'id' | 'caseId' | 'cameraId' | 'askedStartMs' | 'askedEndMs' | 'reason' | 'requestedBy' | 'requestedIp' | 'runnerId' | 'createdMs'>): Promise<void> {
    await this.db
      .insertInto('exports')
      .values({
        id: e.id,
        case_id: e.caseId,
        camera_id: e.cameraId,
        asked_start_ms: e.askedStartMs,
        asked_end_ms: e.askedEndMs,
        reason: e.reason,
        requested_by_id: e.requestedBy.userId,
        requested_by_name: e.requestedBy.username,
        requested_ip: e.requestedIp,
        status: 'queued',
        progress: 0,
        phase: 'queued',
        runner_id: e.runnerId,
        created_ms: e.createdMs,
        updated_ms: e.createdMs,
      })
      .execute();
  }

  async get(id: string): Promise<ExportRecord | null> {
    const row = await this.db.selectFrom('exports').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async forCase(caseId: string): Promise<ExportRecord[]> {
    const rows = await this.db.selectFrom('exports').selectAll().where('case_id', '=', caseId).orderBy('created_ms', 'desc').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /** queued → running; false when another runner took it (or it is no longer queued). */
  async claim(id: string, runnerId: string, atMs: number): Promise<boolean> {
    const res = await this.db
      .updateTable('exports')
      .set({ status: 'running', phase: 'starting', runner_id: runnerId, started_ms: atMs, updated_ms: atMs })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async setProgress(id: string, progress: number, phase: string, atMs: number): Promise<void> {
    await this.db.updateTable('exports').set({ progress, phase, updated_ms: atMs }).where('id', '=', id).where('status', '=', 'running').execute();
  }

  async markDone(id: string, d: ExportDone, atMs: number): Promise<boolean> {
    const res = await this.db
      .updateTable('exports')
      .set({
        status: 'done',
        phase: 'done',
        progress: 1,
        finished_ms: atMs,
        updated_ms: atMs,
        actual_start_ms: d.actualStartMs,
        actual_end_ms: d.actualEndMs,
        object_key: d.objectKey,
        size_bytes: d.sizeBytes,
        package_sha256: d.packageSha256,
        key_fingerprint: d.keyFingerprint,
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async markFailed(id: string, error: string, atMs: number): Promise<boolean> {
    const res = await this.db
      .updateTable('exports')
      .set({ status: 'failed', phase: 'failed', error, finished_ms: atMs, updated_ms: atMs })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Marks every job this runner had running as failed (after a restart); returns their ids. */
  async failRunning(runnerId: string, error: string, atMs: number): Promise<string[]> {
    const rows = await this.db
      .updateTable('exports')
      .set({ status: 'failed', phase: 'failed', error, finished_ms: atMs, updated_ms: atMs })
      .where('status', '=', 'running')
      .where('runner_id', '=', runnerId)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Queued jobs of this runner, oldest first. */
  async queued(runnerId: string): Promise<ExportRecord[]> {
    const rows = await this.db.selectFrom('exports').selectAll().where('status', '=', 'queued').where('runner_id', '=', runnerId).orderBy('created_ms').orderBy('id').execute();
    return rows.map(toRecord);
  }

  /**
   * Exports of a camera that still hold footage (not failed) and may touch range. A done export
   * holds from the keyframe before its asked start, at most one segment earlier, so the window
   * on asked_start_ms is widened by MAX_SEGMENT_DURATION_MS; exportHeldRange() decides exactly.
   */
  async holdingNear(cameraId: string, range: TimeRange): Promise<ExportRecord[]> {
    const rows = await this.db
      .selectFrom('exports')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('status', '!=', 'failed')
      .where('asked_start_ms', '<', range.endMs + MAX_SEGMENT_DURATION_MS)
      .where('asked_end_ms', '>', range.startMs - MAX_SEGMENT_DURATION_MS)
      .orderBy('asked_start_ms')
      .execute();
    return rows.map(toRecord);
  }

  async allHolding(): Promise<ExportRecord[]> {
    const rows = await this.db.selectFrom('exports').selectAll().where('status', '!=', 'failed').orderBy('camera_id').orderBy('asked_start_ms').execute();
    return rows.map(toRecord);
  }
}

const n = (v: number | null): number | null => (v === null ? null : Number(v));

function toRecord(r: Selectable<ExportsTable>): ExportRecord {
  return {
    id: r.id,
    caseId: r.case_id,
    cameraId: r.camera_id,
    askedStartMs: Number(r.asked_start_ms),
    askedEndMs: Number(r.asked_end_ms),
    reason: r.reason,
    requestedBy: { userId: r.requested_by_id, username: r.requested_by_name },
    requestedIp: r.requested_ip,
    status: r.status,
    progress: Number(r.progress),
    phase: r.phase,
    error: r.error,
    runnerId: r.runner_id,
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
    startedMs: n(r.started_ms),
    finishedMs: n(r.finished_ms),
    actualStartMs: n(r.actual_start_ms),
    actualEndMs: n(r.actual_end_ms),
    objectKey: r.object_key,
    sizeBytes: n(r.size_bytes),
    packageSha256: r.package_sha256,
    keyFingerprint: r.key_fingerprint,
  };
}
