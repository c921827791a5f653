/**
 * Self-describing object keys: <camera>/<yyyy>/<mm>/<dd>/<hh>/<startMs>-<durationMs>.mp4, with
 * the date parts in UTC from startMs. The index can be rebuilt from a bucket listing alone.
 */
const CAMERA_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const KEY = /^([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{1,16})-(\d{1,9})\.mp4$/;

const pad = (n: number) => String(n).padStart(2, '0');

export function segmentKey(cameraId: string, startMs: number, durationMs: number): string {
  if (!CAMERA_ID.test(cameraId)) throw new Error(`invalid camera id for an object key: "${cameraId}"`);
  if (!Number.isInteger(startMs) || startMs < 0 || !Number.isInteger(durationMs) || durationMs <= 0) {
    throw new Error(`invalid segment timing for an object key: ${startMs}+${durationMs}`);
  }
  const d = new Date(startMs);
  return `${cameraId}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/${startMs}-${durationMs}.mp4`;
}

export interface ParsedSegmentKey {
  cameraId: string;
  startMs: number;
  durationMs: number;
}

/** The timing in a key, or null for anything that is not exactly a key segmentKey() makes. */
export function parseSegmentKey(key: string): ParsedSegmentKey | null {
  const m = KEY.exec(key);
  if (!m) return null;
  const cameraId = m[1]!;
  const startMs = Number(m[6]);
  const durationMs = Number(m[7]);
  if (!CAMERA_ID.test(cameraId) || durationMs <= 0) return null;
  try {
    return segmentKey(cameraId, startMs, durationMs) === key ? { cameraId, startMs, durationMs } : null;
  } catch {
    return null;
  }
}

/** Prefix for one camera's objects (for listings). */
export function cameraPrefix(cameraId: string): string {
  return `${cameraId}/`;
}
