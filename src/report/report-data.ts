import type { Kysely } from 'kysely';
import type { VigilConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import { CamerasRepo } from '../db/cameras-repo.ts';
import { GapsRepo } from '../db/gaps-repo.ts';
import { RetentionRepo } from '../db/retention-repo.ts';
import { SegmentsRepo } from '../db/segments-repo.ts';
import { VigilError } from '../errors.ts';
import type { TimeRange } from '../time.ts';
import { DEFAULT_OFFICE_SCHEDULE, type OfficeSchedule } from './office-schedule.ts';
import { siteScope, type UptimeReportInput } from './uptime-report.ts';

/**
 * The I/O side of the uptime report: reads cameras, segments, gaps and expired ranges of the
 * period from the index. Segments are read a day at a time per camera and joined into
 * contiguous runs as they come, so a month of 10-second segments of many cameras stays small
 * in memory.
 */
const DAY_MS = 86_400_000;

type ReportConfig = Pick<VigilConfig, 'timeZone' | 'sites' | 'cameras' | 'report'>;

/** The office schedule of the configuration (report.*, time zone defaulting to the top-level one). */
export function officeScheduleFrom(config: ReportConfig): OfficeSchedule {
  const r = config.report;
  return {
    timeZone: r.timeZone ?? config.timeZone ?? DEFAULT_OFFICE_SCHEDULE.timeZone,
    weekdays: r.weekdays,
    periods: r.officeHours,
    holidays: r.holidays,
    extraWorkdays: r.extraWorkdays,
  };
}

export async function loadUptimeInput(o: {
  db: Kysely<Database>;
  config: ReportConfig;
  range: TimeRange;
  nowMs: number;
  siteId?: string | null;
  schedule?: OfficeSchedule;
}): Promise<UptimeReportInput> {
  const siteId = o.siteId ?? null;
  const sites = o.config.sites.map((s) => ({ id: s.id, name: s.name, parent: s.parent ?? null }));
  if (siteId !== null && !sites.some((s) => s.id === siteId)) {
    const known = sites.map((s) => s.id).join(', ') || 'none configured';
    throw new VigilError('not_found', `site "${siteId}" is not in the configuration (known sites: ${known})`, { hint: 'Give a site id from the sites list of the configuration, or leave --site out for every site.' });
  }
  const inScope = siteScope(sites, siteId);
  const camerasRepo = new CamerasRepo(o.db, () => o.nowMs);
  const segmentsRepo = new SegmentsRepo(o.db, () => o.nowMs);
  const gapsRepo = new GapsRepo(o.db, () => o.nowMs);
  const retentionRepo = new RetentionRepo(o.db, () => o.nowMs);
  const until = Math.min(o.range.endMs, Math.max(o.range.startMs + 1, o.nowMs));
  const range = { startMs: o.range.startMs, endMs: until };

  const cameras: UptimeReportInput['cameras'][number][] = [];
  const segments: UptimeReportInput['segments'][number][] = [];
  const gaps: UptimeReportInput['gaps'][number][] = [];
  const expired: NonNullable<UptimeReportInput['expired']>[number][] = [];
  for (const cam of o.config.cameras.filter((c) => c.enabled && inScope(c.site ?? null))) {
    const known = await camerasRepo.get(cam.id);
    cameras.push({ id: cam.id, name: cam.name ?? null, siteId: cam.site ?? null, sinceMs: known?.createdMs ?? null });
    segments.push(...(await recordedRuns(segmentsRepo, cam.id, range)));
    for (const g of await gapsRepo.overlapping(cam.id, range)) gaps.push({ cameraId: cam.id, startMs: g.startMs, endMs: g.endMs, reason: g.reason });
    for (const e of await retentionRepo.expiredOverlapping(cam.id, range)) expired.push({ cameraId: cam.id, startMs: e.startMs, endMs: e.endMs });
  }
  return { range: o.range, nowMs: o.nowMs, schedule: o.schedule ?? officeScheduleFrom(o.config), sites, cameras, segments, gaps, expired, siteId };
}

type Run = { cameraId: string; startMs: number; durationMs: number; source: 'live' | 'backfill' };

/** The camera's segments in the range, joined into contiguous runs of one source (live, backfill), read a day at a time. */
async function recordedRuns(repo: SegmentsRepo, cameraId: string, range: TimeRange): Promise<Run[]> {
  const runs: Run[] = [];
  const open = new Map<'live' | 'backfill', { startMs: number; endMs: number }>();
  for (let from = range.startMs; from < range.endMs; from += DAY_MS) {
    const chunk = { startMs: from, endMs: Math.min(range.endMs, from + DAY_MS) };
    for (const s of await repo.overlapping(cameraId, chunk)) {
      const startMs = Math.max(s.startMs, chunk.startMs);
      const endMs = Math.min(s.startMs + s.durationMs, chunk.endMs);
      if (endMs <= startMs) continue;
      const source = s.source ?? 'live';
      const run = open.get(source);
      if (run && startMs <= run.endMs) run.endMs = Math.max(run.endMs, endMs);
      else {
        if (run) runs.push({ cameraId, startMs: run.startMs, durationMs: run.endMs - run.startMs, source });
        open.set(source, { startMs, endMs });
      }
    }
  }
  for (const [source, run] of open) runs.push({ cameraId, startMs: run.startMs, durationMs: run.endMs - run.startMs, source });
  return runs;
}
