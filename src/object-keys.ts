import { VigilError } from './errors.ts';

/**
 * Self-describing object keys: <camera>/<yyyy>/<mm>/<dd>/<hh>/<startMs>-<durationMs>.mp4, the
 * date parts in UTC from startMs. The index can be rebuilt from a bucket listing alone
 * (src/reindex.ts), and a listing by prefix walks one camera, day or hour.
 */

/** A camera id as the configuration allows it: lowercase slug, 1–64 characters. */
const CAMERA_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const KEY = /^([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{1,16})-(\d{1,16})\.mp4$/;

/** The last instant a four-digit year can name. */
export const MAX_KEY_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface ParsedSegmentKey {
  cameraId: string;
  startMs: number;
  durationMs: number;
}

export function isCameraId(id: string): boolean {
  return CAMERA_ID.test(id);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** The object key of a segment. Throws VigilError('invalid_object_key') on a bad id or timing. */
export function segmentKey(cameraId: string, startMs: number, durationMs: number): string {
  if (!isCameraId(cameraId)) {
    throw new VigilError('invalid_object_key', `"${cameraId}" is not a camera id (lowercase letters, digits and inner dashes, at most 64)`);
  }
  if (!Number.isSafeInteger(startMs) || startMs < 0 || startMs > MAX_KEY_TIME_MS) {
    throw new VigilError('invalid_object_key', `segment start ${startMs} is not an epoch millisecond from 1970 to 9999`);
  }
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0) {
    throw new VigilError('invalid_object_key', `segment duration ${durationMs} is not a positive whole number of milliseconds`);
  }
  const d = new Date(startMs);
  const date = `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}/${pad2(d.getUTCHours())}`;
  return `${cameraId}/${date}/${startMs}-${durationMs}.mp4`;
}

/**
 * The camera and timing a key names, or null for anything that is not exactly what
 * segmentKey() makes (wrong date folders, leading zeros, other files, temp names).
 */
export function parseSegmentKey(key: string): ParsedSegmentKey | null {
  const m = KEY.exec(key);
  if (!m) return null;
  const cameraId = m[1]!;
  const startMs = Number(m[6]);
  const durationMs = Number(m[7]);
  try {
    return segmentKey(cameraId, startMs, durationMs) === key ? { cameraId, startMs, durationMs } : null;
  } catch {
    return null;
  }
}

/** The listing prefix of one camera's objects ("cam-1/", so "cam-10" is not included). */
export function cameraPrefix(cameraId: string): string {
  if (!isCameraId(cameraId)) throw new VigilError('invalid_object_key', `"${cameraId}" is not a camera id`);
  return `${cameraId}/`;
}
