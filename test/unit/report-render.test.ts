import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { DEFAULT_OFFICE_SCHEDULE, localDaysRange, localTimeToUtcMs, parseLocalDate } from '../../src/report/office-schedule.ts';
import { renderReportCsv } from '../../src/report/report-csv.ts';
import { renderReportHtml } from '../../src/report/report-html.ts';
import { buildUptimeReport } from '../../src/report/uptime-report.ts';

const HCM = 'Asia/Ho_Chi_Minh';
const at = (date: string, hh: number, mm = 0) => localTimeToUtcMs(parseLocalDate(date)!, hh * 60 + mm, HCM);
const clock = new ManualClock(at('2026-03-04', 18));

// Monday–Tuesday; counter 3 lost 10:30–13:30 on Monday (one outage over lunch, 60 office minutes).
const report = buildUptimeReport({
  range: localDaysRange('2026-03-02', '2026-03-03', HCM),
  nowMs: clock.nowMs(),
  schedule: { ...DEFAULT_OFFICE_SCHEDULE, holidays: ['2026-04-30'] },
  sites: [{ id: 'ward-x', name: 'Phường X, "Một cửa"' }],
  cameras: [
    { id: 'ward-x-counter-1', name: '=HYPERLINK("http://evil")', siteId: 'ward-x' },
    { id: 'ward-x-counter-3', name: 'Quầy số 3 <script>alert(1)</script>', siteId: 'ward-x' },
  ],
  segments: [
    { cameraId: 'ward-x-counter-1', startMs: at('2026-03-02', 0), durationMs: 48 * 3_600_000 },
    { cameraId: 'ward-x-counter-3', startMs: at('2026-03-02', 0), durationMs: at('2026-03-02', 10, 30) - at('2026-03-02', 0) },
    { cameraId: 'ward-x-counter-3', startMs: at('2026-03-02', 13, 30), durationMs: at('2026-03-04', 0) - at('2026-03-02', 13, 30) },
  ],
  gaps: [{ cameraId: 'ward-x-counter-3', startMs: at('2026-03-02', 10, 30), endMs: at('2026-03-02', 13, 30), reason: 'camera_unreachable' }],
});

/** A small RFC 4180 reader for the checks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += ch;
  }
  return rows;
}

describe('CSV', () => {
  const csv = renderReportCsv(report);
  const rows = parseCsv(csv.slice(1));

  it('starts with a BOM, uses CRLF and quotes what needs it', () => {
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(rows.every((r) => r.length === rows[0]!.length)).toBe(true);
  });

  it('has one row per camera, one per site and a total, with the figures', () => {
    const header = rows[0]!;
    expect(header.slice(0, 8)).toEqual(['Loại dòng', 'Mã đơn vị', 'Đơn vị', 'Mã camera', 'Camera', 'Giờ hành chính (phút)', 'Đã ghi hình (phút)', 'Tỷ lệ hoạt động (%)']);
    expect(header).toContain('Mất kết nối camera (phút)');
    expect(rows.slice(1).map((r) => r[0])).toEqual(['camera', 'camera', 'site', 'total']);
    const col = (name: string) => header.indexOf(name);
    const cam3 = rows.find((r) => r[3] === 'ward-x-counter-3')!;
    expect(cam3[col('Giờ hành chính (phút)')]).toBe('960.0');
    expect(cam3[col('Đã ghi hình (phút)')]).toBe('900.0');
    expect(cam3[col('Tỷ lệ hoạt động (%)')]).toBe('93.75');
    expect(cam3[col('Mất kết nối camera (phút)')]).toBe('60.0');
    expect(cam3[col('Số lần gián đoạn')]).toBe('1');
    expect(cam3[col('Gián đoạn dài nhất: bắt đầu')]).toBe('2026-03-02T10:30:00.000+07:00');
    expect(cam3[col('Gián đoạn dài nhất: kết thúc')]).toBe('2026-03-02T13:30:00.000+07:00');
    const total = rows.at(-1)!;
    expect(total[col('Tỷ lệ hoạt động (%)')]).toBe('96.87'); // 1860 / 1920, rounded down
    expect(total[col('Gián đoạn dài nhất: camera')]).toBe('ward-x-counter-3');
    expect(rows[1]![2]).toBe('Phường X, "Một cửa"');
  });

  it('defuses a name a spreadsheet would run as a formula', () => {
    expect(rows.find((r) => r[3] === 'ward-x-counter-1')![4]).toBe(`'=HYPERLINK("http://evil")`);
  });

  it('speaks English on request', () => {
    const en = parseCsv(renderReportCsv(report, { language: 'en' }).slice(1));
    expect(en[0]!.slice(0, 3)).toEqual(['Row', 'Site id', 'Site']);
    expect(en[0]).toContain('Camera unreachable (min)');
  });
});

describe('printable HTML', () => {
  const html = renderReportHtml(report);

  it('is one self-contained page with Vietnamese labels, the period and the schedule', () => {
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="vi">/);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('Báo cáo tỷ lệ hoạt động camera trong giờ hành chính');
    expect(html).toContain('02/03/2026 – 03/03/2026');
    expect(html).toContain('07:00–11:00, 13:00–17:00, thứ Hai–thứ Sáu');
    expect(html).toContain('30/04/2026');
    expect(html).toContain('@page { size: A4 landscape');
    expect(html).not.toMatch(/<script|<link|src=/);
  });

  it('escapes every text from the configuration', () => {
    expect(html).toContain('Quầy số 3 &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Phường X, &quot;Một cửa&quot;');
  });

  it('shows figures in Vietnamese number style and marks cameras below 95 %', () => {
    expect(html).toMatch(/<td class="num low">93,7 %<\/td>/);
    expect(html).toContain('10:30:00 02/03/2026 → 13:30:00 02/03/2026');
    expect(html).toMatch(/1 giờ; Mất kết nối camera/);
  });

  it('in English', () => {
    const en = renderReportHtml(report, { language: 'en' });
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Camera uptime during office hours');
    expect(en).toContain('2026-03-02 – 2026-03-03');
    expect(en).toMatch(/<td class="num low">93.7 %<\/td>/);
  });
});
