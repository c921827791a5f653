import { isValidRange, rangesOverlap, type TimeRange } from '../time.ts';

/**
 * What footage retention must keep: the ranges under an active legal hold (a case clip) and the
 * ranges of evidence exports that are queued, running or done. Pure: items in, merged ranges
 * out, per camera, with what holds each one (so retention can say why it kept footage).
 *
 * Ranges that overlap or touch are merged ([0,10) and [10,20) → [0,20)): retention deletes whole
 * segments, and a segment touching two held ranges is kept either way.
 */
export type HeldSource =
  | { kind: 'hold'; holdId: number; caseId: string }
  | { kind: 'export'; exportId: string; caseId: string };

export interface HeldItem {
  cameraId: string;
  startMs: number;
  endMs: number;
  source: HeldSource;
}

export interface HeldRange {
  cameraId: string;
  startMs: number;
  endMs: number;
  /** Sorted, without repeats. */
  caseIds: string[];
  holdIds: number[];
  exportIds: string[];
}

/** Merges held items into disjoint ranges, ordered by camera id then start. Empty or non-integer ranges are ignored. */
export function mergeHeldRanges(items: readonly HeldItem[]): HeldRange[] {
  const valid = items.filter((i) => isValidRange(i));
  valid.sort((a, b) => (a.cameraId < b.cameraId ? -1 : a.cameraId > b.cameraId ? 1 : a.startMs - b.startMs || a.endMs - b.endMs));
  const out: HeldRange[] = [];
  const sets = new Map<HeldRange, { cases: Set<string>; holds: Set<number>; exports: Set<string> }>();
  for (const item of valid) {
    let last = out[out.length - 1];
    if (!last || last.cameraId !== item.cameraId || item.startMs > last.endMs) {
      last = { cameraId: item.cameraId, startMs: item.startMs, endMs: item.endMs, caseIds: [], holdIds: [], exportIds: [] };
      out.push(last);
      sets.set(last, { cases: new Set(), holds: new Set(), exports: new Set() });
    } else {
      last.endMs = Math.max(last.endMs, item.endMs);
    }
    const s = sets.get(last)!;
    s.cases.add(item.source.caseId);
    if (item.source.kind === 'hold') s.holds.add(item.source.holdId);
    else s.exports.add(item.source.exportId);
  }
  for (const r of out) {
    const s = sets.get(r)!;
    r.caseIds = [...s.cases].sort();
    r.holdIds = [...s.holds].sort((a, b) => a - b);
    r.exportIds = [...s.exports].sort();
  }
  return out;
}

/** The merged held ranges of one camera that share at least one millisecond with range (not clipped to it). */
export function heldRangesOverlapping(items: readonly HeldItem[], cameraId: string, range: TimeRange): HeldRange[] {
  return mergeHeldRanges(items.filter((i) => i.cameraId === cameraId)).filter((r) => rangesOverlap(r, range));
}

/** True when any part of [startMs, endMs) of the camera is held (merged is mergeHeldRanges' output). */
export function isRangeHeld(merged: readonly HeldRange[], cameraId: string, range: TimeRange): boolean {
  return merged.some((r) => r.cameraId === cameraId && rangesOverlap(r, range));
}

export interface ExportForHold {
  status: 'queued' | 'running' | 'done' | 'failed';
  askedStartMs: number;
  askedEndMs: number;
  actualStartMs: number | null;
  actualEndMs: number | null;
}

/**
 * The footage an export holds: the asked range while it waits or runs (its source segments
 * must not vanish mid-build); once done, the asked range widened to what the clip really
 * covers (it starts at the keyframe at or before the asked start); nothing when it failed.
 */
export function exportHeldRange(e: ExportForHold): TimeRange | null {
  if (e.status === 'failed') return null;
  if (e.status !== 'done' || e.actualStartMs === null || e.actualEndMs === null) return { startMs: e.askedStartMs, endMs: e.askedEndMs };
  return { startMs: Math.min(e.askedStartMs, e.actualStartMs), endMs: Math.max(e.askedEndMs, e.actualEndMs) };
}
