import { sql, type Kysely, type Selectable } from 'kysely';
import { VigilError } from '../errors.ts';
import { isValidRange, type TimeRange } from '../time.ts';
import type { BackfillJobsTable, Database } from './schema.ts';

/**
 * Backfill jobs (migration 0007): one row per gap the recorder tries to recover from the
 * camera's own storage, unique by (camera, gap start), so a gap gets one job however often it
 * is seen, work resumes after a restart, and what cannot be recovered is not retried forever.
 *
 * States: pending (waits for next_attempt_ms) → running (claimed by a runner) → pending again
 * (retry later) or done (nothing of the gap is left) | partial (some recovered, the camera
 * holds nothing more) | given_up (too old, or the camera holds nothing of it).
 */
export const BACKFILL_STATES = ['pending', 'running', 'done', 'partial', 'given_up'] as const;
export type BackfillState = (typeof BACKFILL_STATES)[number];
export const FINAL_BACKFILL_STATES: readonly BackfillState[] = ['done', 'partial', 'given_up'];

export interface BackfillJob {
  id: number;
  cameraId: string;
  /** The gap as it was when the job was made: [gapStartMs, gapEndMs). */
  gapStartMs: number;
  gapEndMs: number;
  gapReason: string;
  state: BackfillState;
  attempts: number;
  nextAttemptMs: number;
  /** Footage recovered so far, ms. */
  recoveredMs: number;
  detail: string;
  createdMs: number;
  updatedMs: number;
}

export interface NewBackfillJob {
  cameraId: string;
  gapStartMs: number;
  gapEndMs: number;
  gapReason: string;
  nextAttemptMs: number;
}

export interface BackfillJobPatch {
  state: BackfillState;
  attempts?: number;
  nextAttemptMs?: number;
  recoveredMs?: number;
  detail?: string;
}

export class BackfillRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /** Adds a pending job unless the camera already has one for a gap starting there. True when added. */
  async createOnce(j: NewBackfillJob): Promise<boolean> {
    if (!isValidRange({ startMs: j.gapStartMs, endMs: j.gapEndMs }) || !Number.isSafeInteger(j.nextAttemptMs)) {
      throw new VigilError('invalid_range', `backfill job for ${j.cameraId}: gap ${j.gapStartMs}–${j.gapEndMs} is empty or not whole milliseconds`);
    }
    const now = this.nowMs();
    const res = await this.db
      .insertInto('backfill_jobs')
      .values({
        camera_id: j.cameraId, gap_start_ms: j.gapStartMs, gap_end_ms: j.gapEndMs, gap_reason: j.gapReason,
        state: 'pending', next_attempt_ms: j.nextAttemptMs, created_ms: now, updated_ms: now,
      })
      .onConflict((oc) => oc.columns(['camera_id', 'gap_start_ms']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async get(id: number): Promise<BackfillJob | null> {
    const row = await this.db.selectFrom('backfill_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  /** Pending jobs due at nowMs (of these cameras, when given), soonest first. */
  async due(nowMs: number, limit: number, cameraIds?: readonly string[]): Promise<BackfillJob[]> {
    if (cameraIds && cameraIds.length === 0) return [];
    let q = this.db.selectFrom('backfill_jobs').selectAll().where('state', '=', 'pending').where('next_attempt_ms', '<=', nowMs);
    if (cameraIds) q = q.where('camera_id', 'in', [...cameraIds]);
    return (await q.orderBy('next_attempt_ms').orderBy('id').limit(limit).execute()).map(toJob);
  }

  /** The earliest next_attempt_ms of pending jobs (of these cameras), or null. */
  async nextDueMs(cameraIds?: readonly string[]): Promise<number | null> {
    if (cameraIds && cameraIds.length === 0) return null;
    let q = this.db.selectFrom('backfill_jobs').select((eb) => eb.fn.min<number>('next_attempt_ms').as('next')).where('state', '=', 'pending');
    if (cameraIds) q = q.where('camera_id', 'in', [...cameraIds]);
    const row = await q.executeTakeFirst();
    return row?.next === null || row?.next === undefined ? null : Number(row.next);
  }

  /** pending → running, only if still pending (one statement: two runners never both win). */
  async claim(id: number): Promise<boolean> {
    const res = await this.db
      .updateTable('backfill_jobs')
      .set({ state: 'running', updated_ms: this.nowMs() })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async update(id: number, p: BackfillJobPatch): Promise<void> {
    await this.db
      .updateTable('backfill_jobs')
      .set({
        state: p.state,
        updated_ms: this.nowMs(),
        ...(p.attempts !== undefined ? { attempts: p.attempts } : {}),
        ...(p.nextAttemptMs !== undefined ? { next_attempt_ms: p.nextAttemptMs } : {}),
        ...(p.recoveredMs !== undefined ? { recovered_ms: p.recoveredMs } : {}),
        ...(p.detail !== undefined ? { detail: p.detail } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Jobs left running by a runner that stopped or died become pending again, due at once (of
   * these cameras, when given: a node only resumes the cameras it holds). Returns how many.
   */
  async requeueRunning(nowMs: number, cameraIds?: readonly string[]): Promise<number> {
    if (cameraIds && cameraIds.length === 0) return 0;
    let q = this.db.updateTable('backfill_jobs').set({ state: 'pending', next_attempt_ms: nowMs, updated_ms: this.nowMs() }).where('state', '=', 'running');
    if (cameraIds) q = q.where('camera_id', 'in', [...cameraIds]);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  /** Jobs of a camera whose gap shares a millisecond with the range, by gap start. */
  async overlapping(cameraId: string, range: TimeRange): Promise<BackfillJob[]> {
    if (!isValidRange(range)) throw new VigilError('invalid_range', `backfill job lookup range ${range.startMs}–${range.endMs} is empty or not whole milliseconds`);
    const rows = await this.db
      .selectFrom('backfill_jobs')
      .selectAll()
      .where('camera_id', '=', cameraId)
      .where('gap_start_ms', '<', range.endMs)
      .where('gap_end_ms', '>', range.startMs)
      .orderBy('gap_start_ms')
      .execute();
    return rows.map(toJob);
  }

  /** Number of jobs in each state (every state present, 0 when none). */
  async countByState(): Promise<Record<BackfillState, number>> {
    const rows = await this.db
      .selectFrom('backfill_jobs')
      .select(['state', sql<number>`count(*)`.as('n')])
      .groupBy('state')
      .execute();
    const out = Object.fromEntries(BACKFILL_STATES.map((s) => [s, 0])) as Record<BackfillState, number>;
    for (const r of rows) if ((BACKFILL_STATES as readonly string[]).includes(r.state)) out[r.state as BackfillState] = Number(r.n);
    return out;
  }
}

function toJob(r: Selectable<BackfillJobsTable>): BackfillJob {
  return {
    id: Number(r.id),
    cameraId: r.camera_id,
    gapStartMs: Number(r.gap_start_ms),
    gapEndMs: Number(r.gap_end_ms),
    gapReason: r.gap_reason,
    state: r.state as BackfillState,
    attempts: Number(r.attempts),
    nextAttemptMs: Number(r.next_attempt_ms),
    recoveredMs: Number(r.recovered_ms),
    detail: r.detail,
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
  };
}
