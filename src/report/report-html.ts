import { describeSchedule, parseLocalDate } from './office-schedule.ts';
import { LOW_UPTIME_FRACTION, REPORT_LABELS } from './report-labels.ts';
import type { Outage, UptimeFigures, UptimeReport } from './uptime-report.ts';
import { formatDate, formatDateTime, formatHoursMinutes, formatPercent, gapReasonLabel, type Language } from './wording.ts';

/**
 * The uptime report as one self-contained, printable HTML page (A4 landscape, no scripts, no
 * external files): a summary by site, then one table per site with its cameras. Every text from
 * the configuration or the index is HTML-escaped.
 */
export function renderReportHtml(report: UptimeReport, opts: { language?: Language } = {}): string {
  const lang = opts.language ?? 'vi';
  const L = REPORT_LABELS[lang];
  const tz = report.schedule.timeZone;
  const lastDayMs = report.range.endMs - 1;
  const period = `${formatDate(report.range.startMs, tz, lang)} – ${formatDate(lastDayMs, tz, lang)}`;
  const dates = (list: readonly string[]) =>
    list.map((d) => {
      const p = parseLocalDate(d);
      return p ? (lang === 'vi' ? `${String(p.day).padStart(2, '0')}/${String(p.month).padStart(2, '0')}/${p.year}` : d) : d;
    }).join(', ') || L.none;
  const pct = (f: UptimeFigures) => `<td class="num${f.recordedFraction !== null && f.recordedFraction < LOW_UPTIME_FRACTION ? ' low' : ''}">${esc(formatPercent(f.recordedFraction, lang))}</td>`;
  const hours = (ms: number) => esc(formatHoursMinutes(ms, lang));
  const cameraName = new Map(report.sites.flatMap((s) => s.cameras.map((c) => [c.cameraId, c.name ?? c.cameraId] as const)));
  const outage = (o: (Outage & { cameraId?: string }) | null, withCamera: boolean) =>
    o
      ? `${withCamera && o.cameraId ? `${esc(cameraName.get(o.cameraId) ?? o.cameraId)}: ` : ''}${esc(formatDateTime(o.startMs, tz, lang))} → ${esc(formatDateTime(o.endMs, tz, lang))}` +
        ` <span class="muted">(${hours(o.officeMs)}; ${esc(o.reasons.map((r) => gapReasonLabel(r, lang)).join(', '))})</span>`
      : '—';
  const reasonCols = [...report.reasons, 'unaccounted'];
  // A column for footage recovered from the cameras' storage, only when the report has some.
  const withBackfill = report.total.backfilledMs > 0;
  const backHead = withBackfill ? `<th>${esc(L.backfilled)}</th>` : '';
  const backCell = (f: UptimeFigures) => (withBackfill ? `<td class="num">${f.backfilledMs > 0 ? hours(f.backfilledMs) : ''}</td>` : '');
  const lostCells = (f: UptimeFigures) =>
    reasonCols.map((r) => {
      const ms = r === 'unaccounted' ? f.unaccountedMs : f.gapMsByReason[r] ?? 0;
      return `<td class="num">${ms > 0 ? hours(ms) : ''}</td>`;
    }).join('');

  const summaryRows = report.sites
    .map((s) => `<tr><td>${esc(s.name ?? L.noSite)}</td><td class="num">${s.cameras.length}</td><td class="num">${hours(s.officeMs)}</td><td class="num">${hours(s.recordedMs)}</td>${pct(s)}<td>${outage(s.longestOutage, true)}</td></tr>`)
    .join('\n');
  const total = report.total;
  const siteSections = report.sites
    .map((s) => {
      const rows = s.cameras
        .map((c) => `<tr><td>${esc(c.name ?? c.cameraId)}<div class="muted">${esc(c.cameraId)}</div></td>${pct(c)}<td class="num">${hours(c.recordedMs)}</td>${backCell(c)}${lostCells(c)}<td class="num">${c.outages}</td><td>${outage(c.longestOutage, false)}</td></tr>`)
        .join('\n');
      return `<section>
<h2>${esc(s.name ?? L.noSite)}${s.siteId ? ` <span class="muted">(${esc(s.siteId)})</span>` : ''}</h2>
<table>
<thead><tr><th>${esc(L.camera)}</th><th>${esc(L.recordedPercent)}</th><th>${esc(L.recordedMin.replace(/ \(.*\)$/, ''))}</th>${backHead}${reasonCols.map((r) => `<th>${esc(gapReasonLabel(r, lang))}</th>`).join('')}<th>${esc(L.outages)}</th><th>${esc(L.longestOutage)}</th></tr></thead>
<tbody>
${rows}
<tr class="sum"><td>${esc(L.total)}</td>${pct(s)}<td class="num">${hours(s.recordedMs)}</td>${backCell(s)}${lostCells(s)}<td class="num">${s.outages}</td><td></td></tr>
</tbody>
</table>
</section>`;
    })
    .join('\n');

  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(L.title)} — ${esc(period)}</title>
<style>
  @page { size: A4 landscape; margin: 12mm; }
  body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 1200px; padding: 8px; }
  h1 { font-size: 15pt; margin: 0 0 6px; }
  h2 { font-size: 12pt; margin: 18px 0 6px; }
  dl.meta { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 0 0 10px; }
  dl.meta dt { font-weight: 600; }
  dl.meta dd { margin: 0; }
  table { border-collapse: collapse; width: 100%; page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  thead { display: table-header-group; }
  th, td { border: 1px solid #999; padding: 3px 5px; vertical-align: top; text-align: left; }
  th { background: #eee; font-weight: 600; }
  td.num { text-align: right; white-space: nowrap; }
  td.low { color: #a00; font-weight: 700; }
  tr.sum td { font-weight: 700; background: #f6f6f6; }
  .muted { color: #555; font-size: 9pt; }
  p.method { font-size: 9pt; color: #333; margin-top: 14px; }
  section { page-break-inside: avoid; }
  @media print { body { max-width: none; padding: 0; } }
</style>
</head>
<body>
<h1>${esc(L.title)}</h1>
<dl class="meta">
<dt>${esc(L.period)}</dt><dd>${esc(period)}</dd>
<dt>${esc(L.officeHours)}</dt><dd>${esc(describeSchedule(report.schedule, lang))}</dd>
<dt>${esc(L.holidays)}</dt><dd>${esc(dates(report.schedule.holidays))}</dd>
${report.schedule.extraWorkdays.length ? `<dt>${esc(L.extraWorkdays)}</dt><dd>${esc(dates(report.schedule.extraWorkdays))}</dd>\n` : ''}<dt>${esc(L.timeZone)}</dt><dd>${esc(tz)}</dd>
${report.countedUntilMs < report.range.endMs ? `<dt>${esc(L.countedUntil)}</dt><dd>${esc(formatDateTime(report.countedUntilMs, tz, lang))}</dd>\n` : ''}<dt>${esc(L.generatedAt)}</dt><dd>${esc(formatDateTime(report.generatedAtMs, tz, lang))}</dd>
</dl>
<h2>${esc(L.summary)}</h2>
<table>
<thead><tr><th>${esc(L.site)}</th><th>${esc(L.cameras)}</th><th>${esc(L.officeHours)}</th><th>${esc(L.recordedMin.replace(/ \(.*\)$/, ''))}</th><th>${esc(L.recordedPercent)}</th><th>${esc(L.longestOutage)}</th></tr></thead>
<tbody>
${summaryRows}
<tr class="sum"><td>${esc(L.total)}</td><td class="num">${report.sites.reduce((n, s) => n + s.cameras.length, 0)}</td><td class="num">${hours(total.officeMs)}</td><td class="num">${hours(total.recordedMs)}</td>${pct(total)}<td>${outage(total.longestOutage, true)}</td></tr>
</tbody>
</table>
${siteSections}
<p class="method">${esc(L.method)}</p>
</body>
</html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
