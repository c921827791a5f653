import { VigilError } from '../errors.ts';
import type { GapRecord } from '../db/gaps-repo.ts';
import type { SegmentRecord } from '../db/segments-repo.ts';
import { subtractRanges, toIsoInZone } from '../time.ts';
import type { ClipGap, ClipRequest } from './clip-types.ts';

/**
 * Which stored segments make a clip and which gaps lie inside it: a pure decision over the
 * index rows that overlap the asked range. The assembler (prepare-clip.ts) then cuts the
 * first and last segment at fragments.
 */
export const DEFAULT_MAX_CLIP_MS = 3 * 3_600_000;

/** Reason given to an interval inside a clip that neither a segment nor a gap row covers. */
export const UNACCOUNTED_REASON = 'unaccounted';

export interface ClipLimits {
  /** Longest range one clip may cover (default 3 h). */
  maxClipMs?: number;
}

export interface ClipPlanSegment extends SegmentRecord {
  /** False when this segment does not start where the one before it ends (a gap lies between). */
  continuesPrevious: boolean;
}

export interface ClipPlan {
  request: ClipRequest;
  segments: ClipPlanSegment[];
  /** Gaps overlapping the asked range, cut to it, in order; holes with no gap row are `unaccounted`. */
  gaps: ClipGap[];
}

export interface PlanOptions extends ClipLimits {
  /** IANA zone for the times in messages (ISO 8601 with offset); default UTC. */
  timeZone?: string;
}

/** Checks the asked range itself; planClip calls it, callers may too before querying. */
export function validateClipRequest(req: ClipRequest, opts: ClipLimits = {}): void {
  const maxClipMs = opts.maxClipMs ?? DEFAULT_MAX_CLIP_MS;
  if (!req.cameraId) throw new VigilError('invalid_range', 'a clip needs a camera id');
  if (!Number.isSafeInteger(req.startMs) || !Number.isSafeInteger(req.endMs)) {
    throw new VigilError('invalid_range', `clip start and end must be whole milliseconds (got ${req.startMs} and ${req.endMs})`);
  }
  if (req.startMs >= req.endMs) {
    throw new VigilError('invalid_range', `the clip ends (${iso(req.endMs)}) before or when it starts (${iso(req.startMs)}); the end must come after the start`, {
      hint: 'Ask for start < end, e.g. start 09:40 and end 09:50.',
    });
  }
  if (req.endMs - req.startMs > maxClipMs) {
    throw new VigilError('invalid_range', `a clip may cover at most ${describeMs(maxClipMs)}; ${describeMs(req.endMs - req.startMs)} were asked`, {
      hint: 'Cut the range into several clips, or raise api.maxClipMs in the configuration.',
      maxClipMs,
    });
  }
}

export function planClip(input: { request: ClipRequest; segments: readonly SegmentRecord[]; gaps: readonly GapRecord[] } & PlanOptions): ClipPlan {
  const req = input.request;
  validateClipRequest(req, input);
  const zone = input.timeZone ?? 'UTC';
  const at = (ms: number) => formatInstant(ms, zone);
  const asked = { startMs: req.startMs, endMs: req.endMs };
  const seen = new Set<string>();
  const rows = input.segments
    .filter((s) => s.cameraId === req.cameraId && s.startMs < asked.endMs && s.startMs + s.durationMs > asked.startMs)
    .sort((a, b) => a.startMs - b.startMs || a.objectKey.localeCompare(b.objectKey))
    .filter((s) => (seen.has(s.objectKey) ? false : (seen.add(s.objectKey), true)));
  const recorded: ClipGap[] = input.gaps
    .filter((g) => g.cameraId === req.cameraId && g.startMs < asked.endMs && g.endMs > asked.startMs)
    .map((g) => ({ startMs: Math.max(g.startMs, asked.startMs), endMs: Math.min(g.endMs, asked.endMs), reason: g.reason }))
    .sort((a, b) => a.startMs - b.startMs);

  if (rows.length === 0) {
    // Whole gaps (not cut to the range): the handler is told when the camera was lost and when it came back.
    const whole = input.gaps
      .filter((g) => g.cameraId === req.cameraId && g.startMs < asked.endMs && g.endMs > asked.startMs)
      .map((g) => ({ startMs: g.startMs, endMs: g.endMs, reason: g.reason }))
      .sort((a, b) => a.startMs - b.startMs);
    if (whole.length > 0) {
      const list = whole.map((g) => `${g.reason} from ${at(g.startMs)} to ${at(g.endMs)}`).join('; ');
      throw new VigilError('not_found', `camera ${req.cameraId} has no footage from ${at(req.startMs)} to ${at(req.endMs)}: the range lies in a gap (${list})`, {
        hint: 'Pick a time outside the gap; the timeline shows recorded spans and gaps with their reasons.',
        gaps: whole,
      });
    }
    throw new VigilError('not_found', `camera ${req.cameraId} has no footage from ${at(req.startMs)} to ${at(req.endMs)}`, {
      hint: 'Check the camera id and the times (ISO 8601 with offset, e.g. 2026-03-03T09:40:00+07:00); the timeline shows what was recorded.',
      gaps: [],
    });
  }

  const segments: ClipPlanSegment[] = rows.map((s, i) => {
    const prev = rows[i - 1];
    return { ...s, continuesPrevious: prev !== undefined && prev.startMs + prev.durationMs === s.startMs };
  });
  const covered = [...rows.map((s) => ({ startMs: s.startMs, endMs: s.startMs + s.durationMs })), ...recorded];
  const unaccounted = subtractRanges(asked, covered).map((r) => ({ ...r, reason: UNACCOUNTED_REASON }));
  const gaps = [...recorded, ...unaccounted].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  return { request: { cameraId: req.cameraId, startMs: req.startMs, endMs: req.endMs }, segments, gaps };
}

/** The gaps of a plan that fall inside [startMs, endMs), cut to it. */
export function gapsWithin(gaps: readonly ClipGap[], startMs: number, endMs: number): ClipGap[] {
  return gaps
    .filter((g) => g.startMs < endMs && g.endMs > startMs)
    .map((g) => ({ startMs: Math.max(g.startMs, startMs), endMs: Math.min(g.endMs, endMs), reason: g.reason }));
}

/** ISO 8601 with offset for messages: …Z in UTC, else the zone's offset (e.g. +07:00). */
export function formatInstant(ms: number, timeZone = 'UTC'): string {
  return timeZone === 'UTC' ? new Date(ms).toISOString() : toIsoInZone(ms, timeZone);
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function describeMs(ms: number): string {
  const min = ms / 60_000;
  if (min >= 60) return `${+(min / 60).toFixed(2)} h`;
  if (min >= 1) return `${+min.toFixed(2)} min`;
  return `${ms / 1000} s`;
}
