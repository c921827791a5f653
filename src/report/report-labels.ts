import type { Language } from './wording.ts';

/** Column and heading words of the uptime report (CSV and HTML), Vietnamese and English. */
export interface ReportLabels {
  title: string;
  period: string;
  officeHours: string;
  holidays: string;
  extraWorkdays: string;
  timeZone: string;
  generatedAt: string;
  countedUntil: string;
  site: string;
  siteId: string;
  noSite: string;
  camera: string;
  cameraId: string;
  cameras: string;
  rowLevel: string;
  officeMin: string;
  recordedMin: string;
  recordedPercent: string;
  /** Recorded time recovered from the camera's own storage (glossary: Khôi phục từ thẻ nhớ camera). */
  backfilledMin: string;
  backfilled: string;
  lostMin: (reason: string) => string;
  outages: string;
  longestOutageMin: string;
  longestOutageStart: string;
  longestOutageEnd: string;
  longestOutageCamera: string;
  longestOutage: string;
  total: string;
  summary: string;
  none: string;
  method: string;
  lowUptime: string;
}

export const REPORT_LABELS: Record<Language, ReportLabels> = {
  vi: {
    title: 'Báo cáo tỷ lệ hoạt động camera trong giờ hành chính',
    period: 'Kỳ báo cáo',
    officeHours: 'Giờ hành chính',
    holidays: 'Ngày nghỉ',
    extraWorkdays: 'Ngày làm bù',
    timeZone: 'Múi giờ',
    generatedAt: 'Lập lúc',
    countedUntil: 'Số liệu tính đến',
    site: 'Đơn vị',
    siteId: 'Mã đơn vị',
    noSite: 'Chưa gán đơn vị',
    camera: 'Camera',
    cameraId: 'Mã camera',
    cameras: 'Số camera',
    rowLevel: 'Loại dòng',
    officeMin: 'Giờ hành chính (phút)',
    recordedMin: 'Đã ghi hình (phút)',
    recordedPercent: 'Tỷ lệ hoạt động (%)',
    backfilledMin: 'Trong đó khôi phục từ thẻ nhớ camera (phút)',
    backfilled: 'Khôi phục từ thẻ nhớ camera',
    lostMin: (reason) => `${reason} (phút)`,
    outages: 'Số lần gián đoạn',
    longestOutageMin: 'Gián đoạn dài nhất (phút trong giờ hành chính)',
    longestOutageStart: 'Gián đoạn dài nhất: bắt đầu',
    longestOutageEnd: 'Gián đoạn dài nhất: kết thúc',
    longestOutageCamera: 'Gián đoạn dài nhất: camera',
    longestOutage: 'Gián đoạn dài nhất',
    total: 'Tổng cộng',
    summary: 'Tổng hợp theo đơn vị',
    none: 'không có',
    method:
      'Chỉ tính thời gian trong giờ hành chính, trừ ngày nghỉ. Tỷ lệ hoạt động = thời gian đã ghi hình / thời gian giờ hành chính. ' +
      'Khoảng trống ghi hình được phân theo lý do; "Không có dữ liệu" là thời gian chưa có bản ghi nào (ví dụ gián đoạn đang diễn ra). ' +
      'Một lần gián đoạn kéo dài qua giờ nghỉ trưa hoặc qua đêm được tính là một lần, chỉ tính số phút trong giờ hành chính.',
    lowUptime: 'Dưới 95 %',
  },
  en: {
    title: 'Camera uptime during office hours',
    period: 'Period',
    officeHours: 'Office hours',
    holidays: 'Holidays',
    extraWorkdays: 'Extra working days',
    timeZone: 'Time zone',
    generatedAt: 'Generated at',
    countedUntil: 'Counted until',
    site: 'Site',
    siteId: 'Site id',
    noSite: 'No site',
    camera: 'Camera',
    cameraId: 'Camera id',
    cameras: 'Cameras',
    rowLevel: 'Row',
    officeMin: 'Office time (min)',
    recordedMin: 'Recorded (min)',
    recordedPercent: 'Recorded (%)',
    backfilledMin: 'Of which recovered from the camera\'s storage (min)',
    backfilled: 'Recovered from the camera\'s storage',
    lostMin: (reason) => `${reason} (min)`,
    outages: 'Outages',
    longestOutageMin: 'Longest outage (office min)',
    longestOutageStart: 'Longest outage: start',
    longestOutageEnd: 'Longest outage: end',
    longestOutageCamera: 'Longest outage: camera',
    longestOutage: 'Longest outage',
    total: 'Total',
    summary: 'Summary by site',
    none: 'none',
    method:
      'Only office hours count, holidays excluded. Recorded % = recorded time / office time. ' +
      'Gaps are split by reason; "No record" is time without any record yet (for example an outage still going on). ' +
      'An outage that runs over lunch or overnight counts once, with only its office minutes.',
    lowUptime: 'Below 95 %',
  },
};

/** Rows below this recorded fraction are highlighted in the printable report. */
export const LOW_UPTIME_FRACTION = 0.95;

/** Minutes with one decimal, "." as the decimal mark (machine-readable). */
export function minutes(ms: number): string {
  return (ms / 60_000).toFixed(1);
}

/** A percentage with two decimals, rounded down so that 99.996 % never reads 100.00. */
export function percentFigure(fraction: number | null): string {
  return fraction === null ? '' : (Math.floor(fraction * 10_000) / 100).toFixed(2);
}
