/**
 * Times at the UI's edge. Inside, times are epoch ms (UTC); people read and type them in the
 * office time zone (config timeZone, default Asia/Ho_Chi_Minh) as dd/mm/yyyy and 24-hour
 * HH:mm:ss, whatever the language. Pure functions over Intl (full ICU in Chromium and Node).
 */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
export function zonedParts(ms: number, timeZone: string): ZonedParts {
  const out: Record<string, number> = {};
  for (const p of partsFormatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour! % 24, minute: out.minute!, second: out.second! };
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Ho_Chi_Minh: +25 200 000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time names in a zone. In a DST gap the later offset wins; in an
 * overlap the earlier instant (Vietnam has neither, other zones may).
 */
export function zonedToMs(p: ZonedParts, timeZone: string): number {
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  let guess = asUtc - zoneOffsetMs(asUtc, timeZone);
  const second = asUtc - zoneOffsetMs(guess, timeZone);
  if (second !== guess) guess = Math.min(guess, second);
  return guess;
}

/** Local midnight that begins the day containing ms. */
export function startOfZonedDay(ms: number, timeZone: string): number {
  const p = zonedParts(ms, timeZone);
  return zonedToMs({ ...p, hour: 0, minute: 0, second: 0 }, timeZone);
}

/** The next local midnight after the day that begins at dayStartMs (23–25 h later). */
export function nextZonedDay(dayStartMs: number, timeZone: string): number {
  return startOfZonedDay(dayStartMs + 36 * 3_600_000, timeZone);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** dd/mm/yyyy */
export function formatDate(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  return `${pad(p.day)}/${pad(p.month)}/${p.year}`;
}

/** HH:mm:ss (or HH:mm) */
export function formatTime(ms: number, timeZone: string, withSeconds = true): string {
  const p = zonedParts(ms, timeZone);
  return withSeconds ? `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` : `${pad(p.hour)}:${pad(p.minute)}`;
}

/** dd/mm/yyyy HH:mm:ss */
export function formatDateTime(ms: number, timeZone: string): string {
  return `${formatDate(ms, timeZone)} ${formatTime(ms, timeZone)}`;
}

/**
 * Reads a date typed as dd/mm/yyyy (also d/m/yyyy, with - or . between) and a 24-hour time
 * typed as HH:mm or HH:mm:ss (also H:mm) as an instant in the zone; null when either is not
 * a real date or time. Text fields, not the browser's date and time pickers: those follow the
 * PC's language (mm/dd and AM/PM on an English Windows), the office writes dd/mm and 24 h.
 */
export function parseDateTimeText(date: string, time: string, timeZone: string): number | null {
  const d = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(date.trim());
  const t = /^(\d{1,2})[:.h](\d{2})(?:[:.](\d{2}))?$/.exec(time.trim() || '00:00');
  if (!d || !t) return null;
  const p = { year: Number(d[3]), month: Number(d[2]), day: Number(d[1]), hour: Number(t[1]), minute: Number(t[2]), second: Number(t[3] ?? 0) };
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || p.hour > 23 || p.minute > 59 || p.second > 59) return null;
  const ms = zonedToMs(p, timeZone);
  const back = zonedParts(ms, timeZone);
  return back.day === p.day && back.month === p.month ? ms : null;
}

/** ISO 8601 with the zone's offset, for the API (it refuses times without an offset). */
export function isoInZone(ms: number, timeZone: string): string {
  const p = zonedParts(ms, timeZone);
  const off = Math.round(zoneOffsetMs(ms, timeZone) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const frac = ms % 1000 === 0 ? '' : `.${pad(((ms % 1000) + 1000) % 1000, 3)}`;
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${frac}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
