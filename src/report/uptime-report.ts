import { mergeRanges, subtractRanges, type TimeRange } from '../time.ts';
import { officeIntervals, type OfficeSchedule } from './office-schedule.ts';
import { sortReasons } from './wording.ts';

/**
 * The uptime report, pure: for each camera over a period, how much of the office hours was
 * recorded, how many minutes were lost and why (gap reasons), and the longest outage.
 *
 * - Only office-hour time counts, only up to `nowMs` (a report on today counts what has
 *   passed), and only from a camera's `sinceMs` (a camera installed on Wednesday is not
 *   blamed for Monday).
 * - Recorded = segments, plus ranges retention has since removed (they were recorded).
 *   Footage recovered afterwards from the camera's own storage (segments with source
 *   'backfill') is recorded too, and its office time is also given apart (`backfilledMs`).
 *   Gaps lose only time no segment covers: a gap that backfill closed (its row removed or
 *   shrunk by the backfill engine, or not yet) never counts as lost.
 * - Office time neither recorded nor covered by a gap row is `unaccountedMs` (an outage still
 *   going on has no gap row until it ends).
 * - An outage is a maximal run of not-recorded time, whatever the reasons inside it and
 *   whether or not it spans lunch, a night or a holiday; it counts when it holds office time,
 *   and outages are compared by the office time they hold.
 */
export interface ReportSite {
  id: string;
  name: string;
  parent?: string | null;
}

export interface ReportCamera {
  id: string;
  name: string | null;
  siteId: string | null;
  /** When the camera joined Vigil; office time before it is not counted. */
  sinceMs?: number | null;
}

export interface UptimeReportInput {
  range: TimeRange;
  nowMs: number;
  schedule: OfficeSchedule;
  sites: readonly ReportSite[];
  cameras: readonly ReportCamera[];
  segments: ReadonlyArray<{ cameraId: string; startMs: number; durationMs: number; source?: 'live' | 'backfill' }>;
  gaps: ReadonlyArray<{ cameraId: string; startMs: number; endMs: number; reason: string }>;
  /** Footage recorded and later removed by retention: counts as recorded. */
  expired?: ReadonlyArray<{ cameraId: string; startMs: number; endMs: number }>;
  /** Only this site and the sites below it. */
  siteId?: string | null;
}

export interface Outage extends TimeRange {
  /** Office time inside the outage. */
  officeMs: number;
  /** Gap reasons inside it (and "unaccounted" when part has no gap row). */
  reasons: string[];
}

export interface UptimeFigures {
  officeMs: number;
  recordedMs: number;
  /** Office time of recordedMs recovered from the camera's own storage (backfill). */
  backfilledMs: number;
  /** recordedMs / officeMs, or null without office time. */
  recordedFraction: number | null;
  gapMsByReason: Record<string, number>;
  unaccountedMs: number;
  /** Outages holding office time. */
  outages: number;
  longestOutage: (Outage & { cameraId: string }) | null;
}

export interface CameraUptime extends UptimeFigures {
  cameraId: string;
  name: string | null;
  siteId: string | null;
}

export interface SiteUptime extends UptimeFigures {
  siteId: string | null;
  name: string | null;
  cameras: CameraUptime[];
}

export interface UptimeReport {
  range: TimeRange;
  /** Office time is counted up to here: min(range end, now). */
  countedUntilMs: number;
  generatedAtMs: number;
  schedule: OfficeSchedule;
  siteId: string | null;
  /** Every gap reason with minutes in the report, in display order. */
  reasons: string[];
  sites: SiteUptime[];
  total: UptimeFigures;
}

export function buildUptimeReport(input: UptimeReportInput): UptimeReport {
  const countedUntilMs = Math.max(input.range.startMs, Math.min(input.range.endMs, input.nowMs));
  const office = officeIntervals({ startMs: input.range.startMs, endMs: countedUntilMs }, input.schedule);
  const inScope = siteScope(input.sites, input.siteId ?? null);
  const cameras = input.cameras.filter((c) => inScope(c.siteId));

  const byCamera = <T extends { cameraId: string }>(rows: readonly T[] | undefined) => {
    const m = new Map<string, T[]>();
    for (const r of rows ?? []) {
      const list = m.get(r.cameraId);
      if (list) list.push(r);
      else m.set(r.cameraId, [r]);
    }
    return m;
  };
  const segs = groupBy(input.segments);
  const backfilled = groupBy(input.segments.filter((s) => s.source === 'backfill'));
  const gaps = byCamera(input.gaps);
  const expired = byCamera(input.expired);

  const cameraRows = cameras.map((cam): CameraUptime => {
    const window = { startMs: Math.max(input.range.startMs, cam.sinceMs ?? input.range.startMs), endMs: countedUntilMs };
    const recorded = [...(segs.get(cam.id) ?? []), ...(expired.get(cam.id) ?? [])];
    return { cameraId: cam.id, name: cam.name, siteId: cam.siteId, ...cameraFigures(cam.id, window, office, recorded, gaps.get(cam.id) ?? [], backfilled.get(cam.id) ?? []) };
  });

  const siteName = new Map(input.sites.map((s) => [s.id, s.name]));
  const order = new Map<string | null, number>(input.sites.map((s, i) => [s.id, i]));
  const groups = new Map<string | null, CameraUptime[]>();
  for (const row of cameraRows) groups.set(row.siteId, [...(groups.get(row.siteId) ?? []), row]);
  const sites = [...groups.entries()]
    .sort(([a], [b]) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || String(a).localeCompare(String(b)))
    .map(([siteId, rows]): SiteUptime => ({
      siteId,
      name: siteId === null ? null : siteName.get(siteId) ?? siteId,
      cameras: rows.sort((a, b) => a.cameraId.localeCompare(b.cameraId)),
      ...sumFigures(rows),
    }));

  return {
    range: input.range,
    countedUntilMs,
    generatedAtMs: input.nowMs,
    schedule: input.schedule,
    siteId: input.siteId ?? null,
    reasons: sortReasons(cameraRows.flatMap((r) => Object.keys(r.gapMsByReason))),
    sites,
    total: sumFigures(cameraRows),
  };
}

function groupBy(rows: UptimeReportInput['segments']): Map<string, TimeRange[]> {
  const m = new Map<string, TimeRange[]>();
  for (const s of rows) {
    let list = m.get(s.cameraId);
    if (!list) m.set(s.cameraId, (list = []));
    list.push({ startMs: s.startMs, endMs: s.startMs + s.durationMs });
  }
  return m;
}

function cameraFigures(
  cameraId: string,
  window: TimeRange,
  office: readonly TimeRange[],
  recordedRaw: readonly TimeRange[],
  gaps: ReadonlyArray<{ startMs: number; endMs: number; reason: string }>,
  backfilledRaw: readonly TimeRange[] = [],
): UptimeFigures {
  if (window.endMs <= window.startMs) return emptyFigures();
  const officeHere = clipAll(office, window);
  const recorded = clipAll(mergeRanges(recordedRaw), window);
  const notRecorded = subtractRanges(window, recorded);
  const officeMs = totalMs(officeHere);
  const recordedMs = overlapMs(recorded, officeHere);
  const backfilledMs = overlapMs(clipAll(mergeRanges(backfilledRaw), window), officeHere);

  const gapMsByReason: Record<string, number> = {};
  const gapsByReason = new Map<string, TimeRange[]>();
  for (const g of gaps) {
    const list = gapsByReason.get(g.reason);
    if (list) list.push(g);
    else gapsByReason.set(g.reason, [g]);
  }
  for (const [reason, list] of gapsByReason) {
    const lost = intersectAll(notRecorded, clipAll(mergeRanges(list), window));
    const ms = overlapMs(lost, officeHere);
    if (ms > 0) gapMsByReason[reason] = ms;
  }
  const allGaps = clipAll(mergeRanges(gaps), window);
  const unaccounted = intersectAll(notRecorded, subtractRanges(window, allGaps));
  const unaccountedMs = overlapMs(unaccounted, officeHere);

  let outages = 0;
  let longest: Outage | null = null;
  for (const run of notRecorded) {
    const ms = overlapMs([run], officeHere);
    if (ms === 0) continue;
    outages++;
    if (!longest || ms > longest.officeMs) {
      const reasons = gaps.filter((g) => g.startMs < run.endMs && run.startMs < g.endMs).map((g) => g.reason);
      if (overlapMs([run], unaccounted) > 0) reasons.push('unaccounted');
      longest = { startMs: run.startMs, endMs: run.endMs, officeMs: ms, reasons: sortReasons(reasons) };
    }
  }
  return {
    officeMs,
    recordedMs,
    backfilledMs,
    recordedFraction: officeMs > 0 ? recordedMs / officeMs : null,
    gapMsByReason,
    unaccountedMs,
    outages,
    longestOutage: longest ? { ...longest, cameraId } : null,
  };
}

function emptyFigures(): UptimeFigures {
  return { officeMs: 0, recordedMs: 0, backfilledMs: 0, recordedFraction: null, gapMsByReason: {}, unaccountedMs: 0, outages: 0, longestOutage: null };
}

function sumFigures(rows: readonly UptimeFigures[]): UptimeFigures {
  const out = emptyFigures();
  for (const r of rows) {
    out.officeMs += r.officeMs;
    out.recordedMs += r.recordedMs;
    out.backfilledMs += r.backfilledMs;
    out.unaccountedMs += r.unaccountedMs;
    out.outages += r.outages;
    for (const [reason, ms] of Object.entries(r.gapMsByReason)) out.gapMsByReason[reason] = (out.gapMsByReason[reason] ?? 0) + ms;
    if (r.longestOutage && (!out.longestOutage || r.longestOutage.officeMs > out.longestOutage.officeMs)) out.longestOutage = r.longestOutage;
  }
  out.recordedFraction = out.officeMs > 0 ? out.recordedMs / out.officeMs : null;
  return out;
}

/** A predicate on a camera's site: inside `siteId` or below it (every camera when null). */
export function siteScope(sites: readonly ReportSite[], siteId: string | null): (cameraSite: string | null) => boolean {
  if (siteId === null) return () => true;
  const parent = new Map(sites.map((s) => [s.id, s.parent ?? null]));
  return (cameraSite) => {
    const seen = new Set<string>();
    for (let s = cameraSite; s !== null && !seen.has(s); s = parent.get(s) ?? null) {
      if (s === siteId) return true;
      seen.add(s);
    }
    return false;
  };
}

function clipAll(ranges: readonly TimeRange[], to: TimeRange): TimeRange[] {
  const out: TimeRange[] = [];
  for (const r of ranges) {
    const startMs = Math.max(r.startMs, to.startMs);
    const endMs = Math.min(r.endMs, to.endMs);
    if (startMs < endMs) out.push({ startMs, endMs });
  }
  return out;
}

function totalMs(ranges: readonly TimeRange[]): number {
  return ranges.reduce((n, r) => n + (r.endMs - r.startMs), 0);
}

/** Intersection of two sorted, disjoint range lists. */
function intersectAll(a: readonly TimeRange[], b: readonly TimeRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const startMs = Math.max(a[i]!.startMs, b[j]!.startMs);
    const endMs = Math.min(a[i]!.endMs, b[j]!.endMs);
    if (startMs < endMs) out.push({ startMs, endMs });
    if (a[i]!.endMs < b[j]!.endMs) i++;
    else j++;
  }
  return out;
}

/** Milliseconds shared by two sorted, disjoint range lists. */
export function overlapMs(a: readonly TimeRange[], b: readonly TimeRange[]): number {
  return totalMs(intersectAll(a, b));
}
