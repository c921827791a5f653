import { toIsoInZone } from '../time.ts';
import { minutes, percentFigure, REPORT_LABELS } from './report-labels.ts';
import type { UptimeFigures, UptimeReport } from './uptime-report.ts';
import { gapReasonLabel, type Language } from './wording.ts';

/**
 * The uptime report as CSV (RFC 4180: comma-separated, CRLF, quoted where needed), one row per
 * camera, one per site and a total, marked in the first column (camera / site / total).
 * Starts with a UTF-8 byte order mark so spreadsheet programs read Vietnamese letters right.
 * Numbers use "." as decimal mark; times are ISO 8601 with the office's offset. The last column
 * is the part of the recorded minutes recovered from the camera's own storage (backfill).
 */
export function renderReportCsv(report: UptimeReport, opts: { language?: Language } = {}): string {
  const lang = opts.language ?? 'vi';
  const L = REPORT_LABELS[lang];
  const tz = report.schedule.timeZone;
  const header = [
    L.rowLevel, L.siteId, L.site, L.cameraId, L.camera, L.officeMin, L.recordedMin, L.recordedPercent,
    ...report.reasons.map((r) => L.lostMin(gapReasonLabel(r, lang))),
    L.lostMin(gapReasonLabel('unaccounted', lang)),
    L.outages, L.longestOutageMin, L.longestOutageStart, L.longestOutageEnd, L.longestOutageCamera,
    L.backfilledMin,
  ];
  const figures = (f: UptimeFigures): string[] => [
    minutes(f.officeMs),
    minutes(f.recordedMs),
    percentFigure(f.recordedFraction),
    ...report.reasons.map((r) => minutes(f.gapMsByReason[r] ?? 0)),
    minutes(f.unaccountedMs),
    String(f.outages),
    f.longestOutage ? minutes(f.longestOutage.officeMs) : '',
    f.longestOutage ? toIsoInZone(f.longestOutage.startMs, tz) : '',
    f.longestOutage ? toIsoInZone(f.longestOutage.endMs, tz) : '',
    f.longestOutage?.cameraId ?? '',
    minutes(f.backfilledMs),
  ];
  const rows: string[][] = [header];
  for (const site of report.sites) {
    for (const cam of site.cameras) rows.push(['camera', site.siteId ?? '', site.name ?? L.noSite, cam.cameraId, cam.name ?? '', ...figures(cam)]);
    rows.push(['site', site.siteId ?? '', site.name ?? L.noSite, '', '', ...figures(site)]);
  }
  rows.push(['total', '', '', '', '', ...figures(report.total)]);
  return '\uFEFF' + rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  // A leading = + - @ would make a spreadsheet run the cell as a formula: quote and prefix it.
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
