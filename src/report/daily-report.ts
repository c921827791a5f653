import { createTask } from 'node-cron';
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { VigilConfig } from '../config/schema.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { DailySiteLine, NoticeData } from '../notify/notice.ts';
import { localDayStartMs } from '../retention/local-day.ts';
import { addDays, localDateOf, localTimeToUtcMs } from './office-schedule.ts';
import { loadUptimeInput, officeScheduleFrom } from './report-data.ts';
import { LOW_UPTIME_FRACTION } from './report-labels.ts';
import { buildUptimeReport, type UptimeReport } from './uptime-report.ts';

/**
 * The daily report by webhook: on `report.dailySchedule` (node-cron, in the office time zone)
 * the day's uptime report is built and published as a `daily_report` notice — one line per
 * site, naming the cameras below 95 %. Webhooks scoped to sites get their sites' lines only.
 */
export function dailyReportData(report: UptimeReport, dayStartMs: number): Extract<NoticeData, { kind: 'daily_report' }> {
  const sites: DailySiteLine[] = report.sites.map((s) => ({
    siteId: s.siteId,
    recordedFraction: s.recordedFraction,
    cameras: s.cameras.length,
    low: s.cameras
      .filter((c) => c.recordedFraction !== null && c.recordedFraction < LOW_UPTIME_FRACTION)
      .map((c) => ({ cameraId: c.cameraId, recordedFraction: c.recordedFraction })),
  }));
  return { kind: 'daily_report', dayStartMs, sites };
}

/** Builds today's report (the local day holding nowMs) from the index. */
export async function buildTodayReport(o: { db: Kysely<Database>; config: Pick<VigilConfig, 'timeZone' | 'sites' | 'cameras' | 'report'>; nowMs: number }): Promise<{ report: UptimeReport; dayStartMs: number }> {
  const schedule = officeScheduleFrom(o.config);
  const dayStartMs = localDayStartMs(o.nowMs, schedule.timeZone);
  const range = { startMs: dayStartMs, endMs: localTimeToUtcMs(addDays(localDateOf(dayStartMs, schedule.timeZone), 1), 0, schedule.timeZone) };
  const input = await loadUptimeInput({ db: o.db, config: o.config, range, nowMs: o.nowMs, schedule });
  return { report: buildUptimeReport(input), dayStartMs };
}

export interface DailyReportSchedule {
  nextRun(): Date | null;
  stop(): Promise<void>;
}

export function scheduleDailyReport(o: {
  expression: string;
  timeZone: string;
  db: Kysely<Database>;
  config: Pick<VigilConfig, 'timeZone' | 'sites' | 'cameras' | 'report'>;
  clock: Clock;
  log: Logger;
  publish: (data: NoticeData) => void;
}): DailyReportSchedule {
  const task = createTask(
    o.expression,
    async () => {
      try {
        const { report, dayStartMs } = await buildTodayReport({ db: o.db, config: o.config, nowMs: o.clock.nowMs() });
        o.publish(dailyReportData(report, dayStartMs));
        o.log.info({ cameras: report.sites.reduce((n, s) => n + s.cameras.length, 0), recordedFraction: report.total.recordedFraction }, 'daily report sent');
      } catch (err) {
        o.log.error({ err }, 'daily report failed; the next one is sent at its schedule');
      }
    },
    { timezone: o.timeZone, noOverlap: true, name: 'vigil-daily-report' },
  );
  void task.start();
  o.log.info({ schedule: o.expression, timeZone: o.timeZone, next: task.getNextRun()?.toISOString() }, 'daily report scheduled');
  return {
    nextRun: () => task.getNextRun(),
    stop: async () => {
      await task.destroy();
    },
  };
}
