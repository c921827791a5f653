/**
 * The timeline's geometry, pure: which window a zoom shows, where an instant falls on the bar,
 * which instant a click names, and where the tick labels go. A window is half-open
 * [startMs, endMs) in epoch ms; zooms are a local day or a local hour of the office zone.
 */
import { nextZonedDay, startOfZonedDay, zonedParts, zonedToMs } from './time-format.ts';

export type Zoom = 'day' | 'hour';

export interface Window {
  startMs: number;
  endMs: number;
}

/** The window of a zoom that contains the instant. */
export function windowAround(ms: number, zoom: Zoom, timeZone: string): Window {
  if (zoom === 'day') {
    const startMs = startOfZonedDay(ms, timeZone);
    return { startMs, endMs: nextZonedDay(startMs, timeZone) };
  }
  const p = zonedParts(ms, timeZone);
  const startMs = zonedToMs({ ...p, minute: 0, second: 0 }, timeZone);
  return { startMs, endMs: startMs + 3_600_000 };
}

/** The window before (step -1) or after (step 1) this one at the same zoom. */
export function stepWindow(w: Window, zoom: Zoom, step: -1 | 1, timeZone: string): Window {
  const probe = step > 0 ? w.endMs + 1 : w.startMs - 1;
  return windowAround(probe, zoom, timeZone);
}

/** Position of ms on the bar, 0..1 (clamped). */
export function fractionOf(ms: number, w: Window): number {
  const f = (ms - w.startMs) / (w.endMs - w.startMs);
  return Math.min(1, Math.max(0, f));
}

/** The instant at a position on the bar (0..1), rounded to whole seconds, inside the window. */
export function instantAt(fraction: number, w: Window): number {
  const f = Math.min(1, Math.max(0, fraction));
  const ms = Math.round((w.startMs + f * (w.endMs - w.startMs)) / 1000) * 1000;
  return Math.min(w.endMs - 1000, Math.max(w.startMs, ms));
}

export interface Tick {
  ms: number;
  fraction: number;
  label: string;
  major: boolean;
}

/**
 * Tick marks: every hour of a day (labels every 2 h, and every hour from 7:00 to 17:00, the
 * office day), every 5 minutes of an hour (labels every 10 min).
 */
export function ticks(w: Window, zoom: Zoom, timeZone: string): Tick[] {
  const out: Tick[] = [];
  const stepMs = zoom === 'day' ? 3_600_000 : 300_000;
  // Vietnam has whole-hour offsets; stepping from the window start keeps labels on the hour.
  for (let ms = w.startMs; ms < w.endMs; ms += stepMs) {
    const p = zonedParts(ms, timeZone);
    const major = zoom === 'day' ? p.hour % 2 === 0 : p.minute % 10 === 0;
    const label = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
    out.push({ ms, fraction: fractionOf(ms, w), label, major });
  }
  return out;
}

export interface Block {
  startMs: number;
  endMs: number;
  left: number;
  width: number;
}

/** A range placed on the bar (clipped to the window); null when outside it. */
export function place(r: { startMs: number; endMs: number }, w: Window): Block | null {
  const s = Math.max(r.startMs, w.startMs);
  const e = Math.min(r.endMs, w.endMs);
  if (e <= s) return null;
  const left = fractionOf(s, w);
  return { startMs: s, endMs: e, left, width: fractionOf(e, w) - left };
}

/** Where a keyboard step moves the cursor: arrows by 10 s (day: 1 min), with Shift by 10×. */
export function keyStepMs(zoom: Zoom, big: boolean): number {
  const base = zoom === 'day' ? 60_000 : 10_000;
  return big ? base * 10 : base;
}
