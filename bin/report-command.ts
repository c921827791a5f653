import type { Clock } from '../src/clock.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import { openDatabase } from '../src/db/database.ts';
import { VigilError } from '../src/errors.ts';
import { localDaysRange } from '../src/report/office-schedule.ts';
import { loadUptimeInput, officeScheduleFrom } from '../src/report/report-data.ts';
import { renderReportCsv } from '../src/report/report-csv.ts';
import { renderReportHtml } from '../src/report/report-html.ts';
import { buildUptimeReport } from '../src/report/uptime-report.ts';
import { LANGUAGES, type Language } from '../src/report/wording.ts';
import { writeFileAtomic } from './atomic-write.ts';

/**
 * `vigil report --from DATE --to DATE [--site S] [--format csv|html] [--lang vi|en] [--output FILE]`:
 * the uptime report during office hours over whole local days (both dates included), as CSV
 * or a printable HTML page, on standard output or into a file.
 */
export const REPORT_USAGE = `  vigil report --from YYYY-MM-DD [--to YYYY-MM-DD] [--site SITE] [--format csv|html] [--lang vi|en] [--output FILE] [--config FILE]
                                              uptime during office hours per site and camera (both days included)`;

export interface ReportCommand {
  config: ResolvedConfig;
  clock: Clock;
  from?: string | undefined;
  to?: string | undefined;
  site?: string | undefined;
  format?: string | undefined;
  lang?: string | undefined;
  output?: string | undefined;
  /** Writes the report text (stdout). */
  write: (text: string) => void;
  /** Says where a written file went (stderr, so stdout stays the report). */
  note: (line: string) => void;
}

export async function reportCommand(c: ReportCommand): Promise<void> {
  if (!c.from) throw new VigilError('invalid_request', 'vigil report needs --from YYYY-MM-DD (and usually --to YYYY-MM-DD)', { hint: 'e.g. vigil report --from 2026-03-02 --to 2026-03-06 --format html --output week.html' });
  const format = c.format ?? (c.output?.toLowerCase().endsWith('.html') ? 'html' : 'csv');
  if (format !== 'csv' && format !== 'html') throw new VigilError('invalid_request', `--format must be csv or html (got "${format}")`);
  const language = (c.lang ?? c.config.report.language) as Language;
  if (!LANGUAGES.includes(language)) throw new VigilError('invalid_request', `--lang must be vi or en (got "${c.lang}")`);
  const schedule = officeScheduleFrom(c.config);
  const range = localDaysRange(c.from, c.to ?? c.from, schedule.timeZone);
  if (range.endMs - range.startMs > 366 * 86_400_000) throw new VigilError('invalid_range', 'a report covers at most 366 days; make several');
  const db = await openDatabase(c.config.database);
  try {
    const input = await loadUptimeInput({ db, config: c.config, range, nowMs: c.clock.nowMs(), siteId: c.site ?? null, schedule });
    const report = buildUptimeReport(input);
    const text = format === 'csv' ? renderReportCsv(report, { language }) : renderReportHtml(report, { language });
    if (c.output) {
      await writeFileAtomic(c.output, text, { mode: 0o644 });
      c.note(`report written to ${c.output} (${report.sites.reduce((n, s) => n + s.cameras.length, 0)} camera(s))`);
    } else c.write(text);
  } finally {
    await db.destroy();
  }
}
