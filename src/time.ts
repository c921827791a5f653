import { VigilError } from './errors.ts';

/** A half-open interval [startMs, endMs) of epoch milliseconds, UTC. */
export interface TimeRange {
  startMs: number;
  endMs: number;
}

export function isValidRange(r: TimeRange): boolean {
  return Number.isInteger(r.startMs) && Number.isInteger(r.endMs) && r.startMs < r.endMs;
}

export function rangeDurationMs(r: TimeRange): number {
  return Math.max(0, r.endMs - r.startMs);
}

/** True when the two half-open ranges share at least one millisecond. */
export function rangesOverlap(a: TimeRange, b: TimeRange): boolean {
  return a.startMs < b.endMs && b.startMs < a.endMs;
}

export function rangeContains(r: TimeRange, ms: number): boolean {
  return r.startMs <= ms && ms < r.endMs;
}

/** The common part of two ranges, or null when they do not overlap. */
export function intersectRanges(a: TimeRange, b: TimeRange): TimeRange | null {
  const startMs = Math.max(a.startMs, b.startMs);
  const endMs = Math.min(a.endMs, b.endMs);
  return startMs < endMs ? { startMs, endMs } : null;
}

/** Sorts and merges overlapping or touching ranges. Does not modify its input. */
export function mergeRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const sorted = ranges.filter(isValidRange).sort((a, b) => a.startMs - b.startMs);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.startMs <= last.endMs) last.endMs = Math.max(last.endMs, r.endMs);
    else out.push({ startMs: r.startMs, endMs: r.endMs });
  }
  return out;
}

/** The parts of `within` not covered by any of `covered`, in order. */
export function subtractRanges(within: TimeRange, covered: readonly TimeRange[]): TimeRange[] {
  const holes: TimeRange[] = [];
  let cursor = within.startMs;
  for (const r of mergeRanges(covered)) {
    if (r.endMs <= cursor) continue;
    if (r.startMs >= within.endMs) break;
    if (r.startMs > cursor) holes.push({ startMs: cursor, endMs: r.startMs });
    cursor = Math.max(cursor, r.endMs);
  }
  if (cursor < within.endMs) holes.push({ startMs: cursor, endMs: within.endMs });
  return holes;
}

// ISO 8601 with an explicit offset (Z or ±HH:MM); the API accepts nothing ambiguous.
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO 8601 timestamp that carries its offset (e.g. 2026-03-03T09:40:00+07:00).
 * Throws a VigilError('invalid_time') naming the field otherwise.
 */
export function parseIsoMs(text: string, field = 'time'): number {
  const m = ISO_WITH_OFFSET.exec(text.trim());
  if (!m) {
    throw new VigilError(
      'invalid_time',
      `${field}: "${text}" is not an ISO 8601 time with an offset; write e.g. 2026-03-03T09:40:00+07:00`,
    );
  }
  const [, y, mo, d, h, mi, s = '0', frac = '0', off] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const utc = Date.UTC(Number(y), month - 1, day, hour, minute, second, Number(frac.padEnd(3, '0')));
  const probe = new Date(utc);
  const fieldsValid =
    month >= 1 && month <= 12 && probe.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  if (!fieldsValid) {
    throw new VigilError('invalid_time', `${field}: "${text}" is not a real calendar time`);
  }
  return utc - offsetMinutes(off!) * 60_000;
}

function offsetMinutes(off: string): number {
  if (off === 'Z') return 0;
  const sign = off.startsWith('-') ? -1 : 1;
  const digits = off.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/** Formats epoch ms as ISO 8601 in UTC (…Z). */
export function toIsoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** Formats epoch ms as ISO 8601 with the given fixed offset in minutes (e.g. 420 for UTC+7). */
export function toIsoWithOffset(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, -1);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Calendar fields of an instant in an IANA time zone (24-hour clock). */
export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** Offset of an IANA time zone from UTC at an instant, in minutes (Asia/Ho_Chi_Minh → 420). */
export function zoneOffsetMinutes(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

/** ISO 8601 in an IANA time zone, e.g. for the UI default Asia/Ho_Chi_Minh. */
export function toIsoInZone(ms: number, timeZone: string): string {
  return toIsoWithOffset(ms, zoneOffsetMinutes(ms, timeZone));
}
