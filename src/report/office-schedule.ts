import { VigilError } from '../errors.ts';
import { zoneOffsetMinutes, type TimeRange } from '../time.ts';
import type { Language } from './wording.ts';

/**
 * Office hours ("giờ hành chính"): the periods of a working day in local time, the working
 * weekdays, holidays (no office hours) and extra working days (Vietnam moves working days
 * around public holidays: a Saturday may be worked to make up for a bridge day). Pure; the
 * report counts uptime inside these intervals only.
 */
export interface OfficePeriod {
  /** Local "HH:mm", inclusive. */
  start: string;
  /** Local "HH:mm", exclusive; "24:00" for midnight at the end of the day. */
  end: string;
}

export interface OfficeSchedule {
  timeZone: string;
  /** ISO weekdays: 1 = Monday … 7 = Sunday. */
  weekdays: readonly number[];
  periods: readonly OfficePeriod[];
  /** Local dates "YYYY-MM-DD" without office hours (public holidays, Tết). */
  holidays: readonly string[];
  /** Local dates "YYYY-MM-DD" worked although their weekday is not (make-up days). */
  extraWorkdays: readonly string[];
}

/** 07:00–11:00 and 13:00–17:00, Monday to Friday, Asia/Ho_Chi_Minh. */
export const DEFAULT_OFFICE_SCHEDULE: OfficeSchedule = {
  timeZone: 'Asia/Ho_Chi_Minh',
  weekdays: [1, 2, 3, 4, 5],
  periods: [
    { start: '07:00', end: '11:00' },
    { start: '13:00', end: '17:00' },
  ],
  holidays: [],
  extraWorkdays: [],
};

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes since local midnight of "HH:mm", or null when malformed. */
export function parseHhMm(text: string): number | null {
  const m = HHMM.exec(text);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes > 24 * 60 ? null : minutes;
}

/** A real calendar date "YYYY-MM-DD", or null. */
export function parseLocalDate(text: string): LocalDate | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const probe = new Date(Date.UTC(d.year, d.month - 1, d.day));
  return probe.getUTCFullYear() === d.year && probe.getUTCMonth() === d.month - 1 && probe.getUTCDate() === d.day ? d : null;
}

export function formatLocalDate(d: LocalDate): string {
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** Problems of a schedule in plain words (empty when good): periods malformed, reversed or overlapping. */
export function scheduleProblems(s: Pick<OfficeSchedule, 'periods' | 'weekdays' | 'holidays' | 'extraWorkdays'>): string[] {
  const problems: string[] = [];
  const spans: Array<{ a: number; b: number; text: string }> = [];
  for (const p of s.periods) {
    const a = parseHhMm(p.start);
    const b = parseHhMm(p.end);
    const text = `${p.start}–${p.end}`;
    if (a === null || b === null) problems.push(`office period ${text}: times must be "HH:mm" from 00:00 to 24:00`);
    else if (a >= b) problems.push(`office period ${text}: must end after it starts (a period cannot cross midnight; split it in two)`);
    else spans.push({ a, b, text });
  }
  spans.sort((x, y) => x.a - y.a);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]!.a < spans[i - 1]!.b) problems.push(`office periods ${spans[i - 1]!.text} and ${spans[i]!.text} overlap`);
  }
  for (const w of s.weekdays) if (!Number.isInteger(w) || w < 1 || w > 7) problems.push(`weekday ${w}: must be 1 (Monday) to 7 (Sunday)`);
  for (const d of [...s.holidays, ...s.extraWorkdays]) if (!parseLocalDate(d)) problems.push(`date "${d}": must be a real date written YYYY-MM-DD`);
  return problems;
}

/** The UTC instant of a local wall time (minutes after local midnight) on a local date. */
export function localTimeToUtcMs(date: LocalDate, minutesOfDay: number, timeZone: string): number {
  const naive = Date.UTC(date.year, date.month - 1, date.day) + minutesOfDay * 60_000;
  let utc = naive - zoneOffsetMinutes(naive, timeZone) * 60_000;
  // Near a DST change the offset at the result may differ from the one at the naive instant.
  const again = naive - zoneOffsetMinutes(utc, timeZone) * 60_000;
  if (again !== utc) utc = again;
  return utc;
}

/** The local calendar date holding an instant. */
export function localDateOf(ms: number, timeZone: string): LocalDate {
  const local = new Date(ms + zoneOffsetMinutes(ms, timeZone) * 60_000);
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

export function addDays(d: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** ISO weekday of a calendar date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(d: LocalDate): number {
  const w = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** [local midnight of `from`, local midnight after `to`): whole local days, both included. */
export function localDaysRange(from: string, to: string, timeZone: string): TimeRange {
  const a = parseLocalDate(from);
  const b = parseLocalDate(to);
  if (!a) throw new VigilError('invalid_time', `"${from}" is not a date; write it as YYYY-MM-DD (e.g. 2026-03-02)`);
  if (!b) throw new VigilError('invalid_time', `"${to}" is not a date; write it as YYYY-MM-DD (e.g. 2026-03-06)`);
  const range = { startMs: localTimeToUtcMs(a, 0, timeZone), endMs: localTimeToUtcMs(addDays(b, 1), 0, timeZone) };
  if (range.endMs <= range.startMs) throw new VigilError('invalid_range', `the report ends (${to}) before it starts (${from}); give --to on or after --from`);
  return range;
}

/** Whether a local date has office hours. */
export function isWorkday(d: LocalDate, s: OfficeSchedule): boolean {
  const text = formatLocalDate(d);
  if (s.holidays.includes(text)) return false;
  if (s.extraWorkdays.includes(text)) return true;
  return s.weekdays.includes(isoWeekday(d));
}

/** Office-hour intervals inside `range`, in order, disjoint (UTC ms). */
export function officeIntervals(range: TimeRange, s: OfficeSchedule): TimeRange[] {
  const out: TimeRange[] = [];
  if (range.endMs <= range.startMs) return out;
  const periods = s.periods
    .map((p) => ({ a: parseHhMm(p.start), b: parseHhMm(p.end) }))
    .filter((p): p is { a: number; b: number } => p.a !== null && p.b !== null && p.a < p.b)
    .sort((x, y) => x.a - y.a);
  const last = localDateOf(range.endMs, s.timeZone);
  for (let d = addDays(localDateOf(range.startMs, s.timeZone), -1); compareDates(d, last) <= 0; d = addDays(d, 1)) {
    if (!isWorkday(d, s)) continue;
    for (const p of periods) {
      const startMs = Math.max(range.startMs, localTimeToUtcMs(d, p.a, s.timeZone));
      const endMs = Math.min(range.endMs, localTimeToUtcMs(d, p.b, s.timeZone));
      if (startMs < endMs) out.push({ startMs, endMs });
    }
  }
  return out;
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

const WEEKDAY_NAMES: Record<Language, string[]> = {
  vi: ['thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy', 'Chủ nhật'],
  en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
};

/** "07:00–11:00, 13:00–17:00, thứ Hai–thứ Sáu" — for report headers. */
export function describeSchedule(s: OfficeSchedule, lang: Language): string {
  const periods = s.periods.map((p) => `${p.start}–${p.end}`).join(', ');
  const days = [...s.weekdays].sort((a, b) => a - b);
  const names = WEEKDAY_NAMES[lang];
  const contiguous = days.length > 1 && days.every((d, i) => i === 0 || d === days[i - 1]! + 1);
  const dayText = contiguous ? `${names[days[0]! - 1]}–${names[days[days.length - 1]! - 1]}` : days.map((d) => names[d - 1]).join(', ');
  return `${periods}, ${dayText}`;
}
