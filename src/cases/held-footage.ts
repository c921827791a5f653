import type { Kysely } from 'kysely';
import { ExportsRepo, type ExportRecord } from '../db/exports-repo.ts';
import { HoldsRepo, type HoldRecord } from '../db/holds-repo.ts';
import type { Database } from '../db/schema.ts';
import { VigilError } from '../errors.ts';
import { isValidRange, type TimeRange } from '../time.ts';
import { exportHeldRange, heldRangesOverlapping, mergeHeldRanges, type HeldItem, type HeldRange } from './held-ranges.ts';

/**
 * What retention must not delete, read from the database: active legal holds plus evidence
 * exports that are queued, running or done. Only reads; retention calls it before each run
 * (or per camera and range) and keeps every segment that overlaps a returned range.
 */
export class HeldFootage {
  private readonly holds: HoldsRepo;
  private readonly exports: ExportsRepo;

  constructor(db: Kysely<Database>) {
    this.holds = new HoldsRepo(db);
    this.exports = new ExportsRepo(db);
  }

  /** Merged held ranges of one camera that overlap [startMs, endMs) (whole ranges, not clipped). */
  async overlapping(cameraId: string, range: TimeRange): Promise<HeldRange[]> {
    if (!isValidRange(range)) throw new VigilError('invalid_range', `held-footage lookup range ${range.startMs}–${range.endMs} is empty or not whole milliseconds`);
    const [holds, exports] = await Promise.all([this.holds.activeOverlapping(cameraId, range), this.exports.holdingNear(cameraId, range)]);
    return heldRangesOverlapping([...holds.map(holdItem), ...exports.flatMap(exportItem)], cameraId, range);
  }

  /** Every held range of every camera, merged, ordered by camera then start. */
  async allActive(): Promise<HeldRange[]> {
    const [holds, exports] = await Promise.all([this.holds.allActive(), this.exports.allHolding()]);
    return mergeHeldRanges([...holds.map(holdItem), ...exports.flatMap(exportItem)]);
  }
}

function holdItem(h: HoldRecord): HeldItem {
  return { cameraId: h.cameraId, startMs: h.startMs, endMs: h.endMs, source: { kind: 'hold', holdId: h.id, caseId: h.caseId } };
}

function exportItem(e: ExportRecord): HeldItem[] {
  const r = exportHeldRange(e);
  return r ? [{ cameraId: e.cameraId, ...r, source: { kind: 'export', exportId: e.id, caseId: e.caseId } }] : [];
}
