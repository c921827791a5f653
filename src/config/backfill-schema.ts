import { z } from 'zod';

/**
 * The `backfill:` keys (edge backfill, recorder/backfill/): recover the footage of network
 * outages from the cameras' own storage. Durations are written "500ms", "5s", "2m", "1h",
 * "7d" (or a whole number of milliseconds) and become milliseconds here.
 */
const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration text ("7d", "2s", "500ms"), or null when it is not one. */
export function parseDurationMs(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isSafeInteger(ms) ? ms : null;
}

const DURATION_ERROR = 'must be a duration such as "500ms", "5s", "2m", "1h" or "7d" (or whole milliseconds)';

/** A duration key: text with a unit or whole milliseconds, at least minMs. */
export const duration = (minMs = 0) =>
  z
    .union([z.number({ error: DURATION_ERROR }), z.string({ error: DURATION_ERROR })], { error: DURATION_ERROR })
    .transform((v, ctx): number => {
      const ms = typeof v === 'number' ? (Number.isSafeInteger(v) && v >= 0 ? v : null) : parseDurationMs(v);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: DURATION_ERROR });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${minMs} ms` });
        return z.NEVER;
      }
      return ms;
    });

const BYTES = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/;
const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const BYTES_ERROR = 'must be bytes per second, e.g. 4000000 or "4MB" ("KB", "MB", "MiB" …), or null for no limit';

const bytesPerSec = z
  .union([z.number(), z.string(), z.null()], { error: BYTES_ERROR })
  .transform((v, ctx): number | null => {
    if (v === null) return null;
    let n: number | null = typeof v === 'number' ? v : null;
    if (typeof v === 'string') {
      const m = BYTES.exec(v.trim());
      n = m ? Math.round(Number(m[1]) * UNIT_BYTES[m[2]!]!) : null;
    }
    if (n === null || !Number.isSafeInteger(n) || n < 10_000) {
      ctx.addIssue({ code: 'custom', message: n !== null && n < 10_000 ? 'must be at least 10000 bytes per second (10 KB/s), or null for no limit' : BYTES_ERROR });
      return z.NEVER;
    }
    return n;
  });

export const backfillSchema = z
  .strictObject({
    /** Fetch lost footage back from cameras that answer ONVIF Profile G (default true). */
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    /** Backfill jobs running at once on this recorder (default 1), so live recording is never disturbed. */
    concurrency: z.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(16, { error: 'must be at most 16' }).default(1),
    /** Bytes per second read from one camera's storage (default "4MB"); null = no limit. */
    maxBytesPerSec: bytesPerSec.default(4_000_000),
    /** Wait after a camera records again before asking its storage (default "5s"). */
    settle: duration().default(5_000),
    /** A gap older than this is no longer tried (default "7d"; cameras overwrite their cards). */
    giveUpAfter: duration(60_000).default(7 * 86_400_000),
    /** Shorter gaps are not worth a replay (default "2s"). */
    minGap: duration().default(2_000),
    /** How often every camera's recent gaps are looked at again (default "1m"); also resumes after a restart. */
    scanEvery: duration(1_000).default(60_000),
    /** Bound of each ONVIF or RTSP request to the camera (default "15s"). */
    requestTimeout: duration(1_000).default(15_000),
    /** Waits between failed attempts: first, doubling up to max. */
    retry: z
      .strictObject({
        first: duration(1_000).default(30_000),
        max: duration(1_000).default(30 * 60_000),
      })
      .prefault({}),
  })
  .prefault({})
  .superRefine((b, ctx) => {
    if (b.retry.max < b.retry.first) ctx.addIssue({ code: 'custom', path: ['retry', 'max'], message: `must be at least backfill.retry.first (${b.retry.first} ms)` });
  });

export type BackfillConfig = z.output<typeof backfillSchema>;
