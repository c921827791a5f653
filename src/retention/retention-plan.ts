import type { LiveSegment } from '../db/retention-repo.ts';
import { mergeRanges, rangesOverlap, type TimeRange } from '../time.ts';
import { retentionCutoffMs } from './local-day.ts';

/**
 * The retention planner: a pure function from the index (segments), what must be kept (case
 * holds and evidence export ranges) and the policy to the list of segments to delete, each
 * with its reason. Age first (per camera, whole local days), then byte quotas (whole store,
 * then per site), oldest footage first across cameras. Nothing that overlaps a held range is
 * ever planned, whatever the quota: an unmet quota is reported, never "solved" by deleting
 * evidence.
 */
/** A live (not yet marked) segment row, as the retention repository reads it. */
export type RetentionSegment = LiveSegment;

export interface HeldRange extends TimeRange {
  cameraId: string;
  /** e.g. "case HS-2026-014" or "export 7f3c…"; shown in the dry run. */
  why: string;
}

export interface CameraRetention {
  cameraId: string;
  siteId: string | null;
  keepDays: number;
}

export interface SiteQuota {
  siteId: string;
  quotaBytes: number;
  /** Cameras of that site and of every site below it. */
  cameraIds: readonly string[];
}

export interface RetentionPolicy {
  /** Policy of each known camera; a camera missing here (removed from config) gets the default. */
  cameras: ReadonlyMap<string, CameraRetention>;
  defaultKeepDays: number;
  timeZone: string;
  quotaBytes: number | null;
  siteQuotas: readonly SiteQuota[];
}

export type DeletionReason = 'age' | 'quota';

export interface PlannedDeletion extends RetentionSegment {
  reason: DeletionReason;
}

export interface CameraPlanSummary {
  cameraId: string;
  segmentsDeleted: number;
  removedMs: number;
  freedBytes: number;
  keptBytes: number;
  /** Held ranges that kept footage which would otherwise have gone. */
  heldKept: HeldRange[];
  /** Footage ending at or before this instant is past its age. */
  cutoffMs: number;
}

export interface QuotaOutcome {
  scope: 'store' | string;
  quotaBytes: number;
  beforeBytes: number;
  afterBytes: number;
  /** True when the quota could not be met without touching held footage. */
  unmet: boolean;
}

export interface RetentionPlan {
  nowMs: number;
  deletions: PlannedDeletion[];
  cameras: CameraPlanSummary[];
  quotas: QuotaOutcome[];
}

export function planRetention(input: {
  nowMs: number;
  segments: readonly RetentionSegment[];
  holds: readonly HeldRange[];
  policy: RetentionPolicy;
}): RetentionPlan {
  const { nowMs, policy } = input;
  const holdsByCamera = groupHolds(input.holds);
  const isHeld = (s: RetentionSegment) => (holdsByCamera.get(s.cameraId) ?? []).some((h) => rangesOverlap(h, segRange(s)));
  const oldestFirst = [...input.segments].sort((a, b) => a.startMs - b.startMs || a.id - b.id);
  const deleted = new Map<number, PlannedDeletion>();
  const summaries = new Map<string, CameraPlanSummary>();
  const summary = (cameraId: string): CameraPlanSummary => {
    let s = summaries.get(cameraId);
    if (!s) {
      const keepDays = policy.cameras.get(cameraId)?.keepDays ?? policy.defaultKeepDays;
      s = { cameraId, segmentsDeleted: 0, removedMs: 0, freedBytes: 0, keptBytes: 0, heldKept: [], cutoffMs: retentionCutoffMs(nowMs, keepDays, policy.timeZone) };
      summaries.set(cameraId, s);
    }
    return s;
  };
  const savedByHold = (s: RetentionSegment) => {
    const sum = summary(s.cameraId);
    for (const h of holdsByCamera.get(s.cameraId) ?? []) {
      if (rangesOverlap(h, segRange(s)) && !sum.heldKept.includes(h)) sum.heldKept.push(h);
    }
  };
  const remove = (s: RetentionSegment, reason: DeletionReason) => deleted.set(s.id, { ...s, reason });

  // 1. Age.
  for (const s of oldestFirst) {
    if (s.startMs + s.durationMs > summary(s.cameraId).cutoffMs) continue;
    if (isHeld(s)) savedByHold(s);
    else remove(s, 'age');
  }

  // 2. Quotas: the whole store, then each site, oldest footage first.
  const quotas: QuotaOutcome[] = [];
  const applyQuota = (scope: string, quotaBytes: number, inScope: (s: RetentionSegment) => boolean) => {
    const candidates = oldestFirst.filter(inScope);
    const beforeBytes = sumBytes(candidates.filter((s) => !deleted.has(s.id)));
    let bytes = beforeBytes;
    for (const s of candidates) {
      if (bytes <= quotaBytes) break;
      if (deleted.has(s.id)) continue;
      if (isHeld(s)) {
        savedByHold(s);
        continue;
      }
      remove(s, 'quota');
      bytes -= s.sizeBytes;
    }
    quotas.push({ scope, quotaBytes, beforeBytes, afterBytes: bytes, unmet: bytes > quotaBytes });
  };
  if (policy.quotaBytes !== null) applyQuota('store', policy.quotaBytes, () => true);
  for (const q of policy.siteQuotas) {
    const cams = new Set(q.cameraIds);
    applyQuota(q.siteId, q.quotaBytes, (s) => cams.has(s.cameraId));
  }

  for (const s of oldestFirst) {
    const sum = summary(s.cameraId);
    if (deleted.has(s.id)) {
      sum.segmentsDeleted++;
      sum.removedMs += s.durationMs;
      sum.freedBytes += s.sizeBytes;
    } else sum.keptBytes += s.sizeBytes;
  }
  const deletions = oldestFirst.filter((s) => deleted.has(s.id)).map((s) => deleted.get(s.id)!);
  return { nowMs, deletions, cameras: [...summaries.values()].sort((a, b) => a.cameraId.localeCompare(b.cameraId)), quotas };
}

function segRange(s: RetentionSegment): TimeRange {
  return { startMs: s.startMs, endMs: s.startMs + s.durationMs };
}

function sumBytes(segments: readonly RetentionSegment[]): number {
  return segments.reduce((n, s) => n + s.sizeBytes, 0);
}

/** Holds per camera, merged where they touch (the `why` of the first one is kept). */
function groupHolds(holds: readonly HeldRange[]): Map<string, HeldRange[]> {
  const out = new Map<string, HeldRange[]>();
  for (const h of holds) out.set(h.cameraId, [...(out.get(h.cameraId) ?? []), h]);
  for (const [cam, list] of out) {
    const merged = mergeRanges(list).map((r) => ({ ...r, cameraId: cam, why: whyFor(list, r) }));
    out.set(cam, merged);
  }
  return out;
}

function whyFor(list: readonly HeldRange[], r: TimeRange): string {
  const reasons = [...new Set(list.filter((h) => rangesOverlap(h, r) || h.endMs === r.startMs || h.startMs === r.endMs).map((h) => h.why))];
  return reasons.join(', ');
}
