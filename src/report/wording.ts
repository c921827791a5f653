import { localParts, type LocalParts } from '../time.ts';
/**
 * The words and number formats of reports and notifications, in Vietnamese (default) and
 * English. Vietnamese terms follow the shared glossary (Giờ hành chính, Khoảng trống ghi hình,
 * Mất kết nối …); dates are dd/mm/yyyy and times 24-hour HH:mm:ss in the office's time zone.
 */
export type Language = 'vi' | 'en';

export const LANGUAGES: readonly Language[] = ['vi', 'en'];

/** Gap reasons in the order reports list them; unknown reasons follow, alphabetically. */
export const GAP_REASON_ORDER = ['camera_unreachable', 'stream_stalled', 'auth_failed', 'stream_error', 'recorder_down', 'spool_full'] as const;

const GAP_REASONS: Record<string, Record<Language, string>> = {
  camera_unreachable: { vi: 'Mất kết nối camera', en: 'Camera unreachable' },
  stream_stalled: { vi: 'Mất tín hiệu hình', en: 'No picture (stream stalled)' },
  auth_failed: { vi: 'Sai mật khẩu camera', en: 'Wrong camera password' },
  stream_error: { vi: 'Lỗi luồng video', en: 'Stream error' },
  recorder_down: { vi: 'Máy ghi hình ngừng hoạt động', en: 'Recorder not running' },
  spool_full: { vi: 'Bộ nhớ đệm đầy', en: 'Spool full' },
  retention: { vi: 'Đã xoá theo thời hạn lưu trữ', en: 'Removed by retention' },
  unaccounted: { vi: 'Không có dữ liệu', en: 'No record' },
};

export function gapReasonLabel(reason: string, lang: Language): string {
  return GAP_REASONS[reason]?.[lang] ?? reason;
}

const CAMERA_STATES: Record<string, Record<Language, string>> = {
  connecting: { vi: 'Đang kết nối', en: 'Connecting' },
  recording: { vi: 'Đang ghi hình', en: 'Recording' },
  stalled: { vi: 'Mất tín hiệu hình', en: 'Stalled (no picture)' },
  reconnecting: { vi: 'Đang kết nối lại', en: 'Reconnecting' },
  offline: { vi: 'Mất kết nối', en: 'Offline' },
  auth_failed: { vi: 'Sai mật khẩu camera', en: 'Wrong password' },
  stopped: { vi: 'Đã dừng', en: 'Stopped' },
};

export function cameraStateLabel(state: string, lang: Language): string {
  return CAMERA_STATES[state]?.[lang] ?? state;
}

/** Sorts reasons: the known ones in GAP_REASON_ORDER, then the rest alphabetically. */
export function sortReasons(reasons: Iterable<string>): string[] {
  const rank = (r: string) => {
    const i = (GAP_REASON_ORDER as readonly string[]).indexOf(r);
    return i < 0 ? GAP_REASON_ORDER.length : i;
  };
  return [...new Set(reasons)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

// Calendar fields in a zone: src/time.ts (one implementation for the whole code base).
export { localParts, type LocalParts };

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** dd/mm/yyyy (vi) or yyyy-mm-dd (en). */
export function formatDate(ms: number, timeZone: string, lang: Language): string {
  const p = localParts(ms, timeZone);
  return lang === 'vi' ? `${pad(p.day)}/${pad(p.month)}/${p.year}` : `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** HH:mm:ss, 24-hour. */
export function formatTime(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** "09:40:12 03/03/2026" (vi) or "2026-03-03 09:40:12" (en). */
export function formatDateTime(ms: number, timeZone: string, lang: Language): string {
  return lang === 'vi' ? `${formatTime(ms, timeZone)} ${formatDate(ms, timeZone, lang)}` : `${formatDate(ms, timeZone, lang)} ${formatTime(ms, timeZone)}`;
}

/** A duration in words, largest two units: "1 giờ 5 phút", "45 giây" / "1 h 5 min", "45 s". */
export function formatDuration(ms: number, lang: Language): string {
  const totalSec = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(totalSec / 86_400);
  const h = Math.floor((totalSec % 86_400) / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  const units: Array<[number, string, string]> = [
    [d, 'ngày', 'd'],
    [h, 'giờ', 'h'],
    [m, 'phút', 'min'],
    [s, 'giây', 's'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  if (first < 0) return lang === 'vi' ? '0 giây' : '0 s';
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, vi, en]) => `${n} ${lang === 'vi' ? vi : en}`)
    .join(' ');
}

/** An amount of office time in hours and minutes (never days): "38 giờ 50 phút" / "38 h 50 min". */
export function formatHoursMinutes(ms: number, lang: Language): string {
  const totalMin = Math.max(0, Math.round(ms / 60_000));
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  const [hu, mu] = lang === 'vi' ? ['giờ', 'phút'] : ['h', 'min'];
  if (h === 0) return `${m} ${mu}`;
  return m === 0 ? `${h} ${hu}` : `${h} ${hu} ${m} ${mu}`;
}

/** A percentage with one decimal, in the language's decimal mark: "99,5 %" / "99.5 %". */
export function formatPercent(fraction: number | null, lang: Language): string {
  if (fraction === null) return '—';
  const text = (Math.floor(fraction * 1000) / 10).toFixed(1);
  return `${lang === 'vi' ? text.replace('.', ',') : text} %`;
}

/** Bytes in binary units: "1.5 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
