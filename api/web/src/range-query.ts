import { isoInZone } from './time-format.ts';

/**
 * The query `start=…&end=…` of a half-open range [startMs, endMs) for the API's timeline,
 * playlist and report routes, the instants written in the office's time zone (the server
 * answers in the offset it was asked in). Pages build these URLs only through here.
 */
export function rangeQuery(startMs: number, endMs: number, timeZone: string): string {
  return new URLSearchParams({ start: isoInZone(startMs, timeZone), end: isoInZone(endMs, timeZone) }).toString();
}

/** The API path of one camera's timeline over [startMs, endMs). */
export function timelinePath(cameraId: string, startMs: number, endMs: number, timeZone: string): string {
  return `/api/v1/cameras/${encodeURIComponent(cameraId)}/timeline?${rangeQuery(startMs, endMs, timeZone)}`;
}
