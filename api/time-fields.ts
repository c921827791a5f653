import { z } from '@hono/zod-openapi';
import { VigilError } from '../src/errors.ts';
import { parseIsoMs, toIsoInZone } from '../src/time.ts';

/**
 * Times at the API edge: requests give ISO 8601 with an explicit offset; responses give both
 * ISO 8601 in the installation's time zone (Asia/Ho_Chi_Minh → +07:00) and epoch ms, so a
 * script need not parse dates and a person can read them.
 */
export function isoTimeParam(name: string, example: string) {
  return z
    .string()
    .superRefine((text, ctx) => {
      try {
        parseIsoMs(text, name);
      } catch (e) {
        // parseIsoMs says what is wrong ("not a real calendar time", no offset…); the field is named by the issue.
        const why = e instanceof VigilError && /real calendar/.test(e.message) ? `"${text}" is not a real calendar time` : `"${text}" is not an ISO 8601 time with an offset; write e.g. ${example}`;
        ctx.addIssue({ code: 'custom', message: why });
      }
    })
    .openapi({ param: { name, in: 'query' }, type: 'string', format: 'date-time', example, description: 'ISO 8601 with offset (Z or ±HH:MM)' });
}

export const IsoTime = z.string().openapi({ format: 'date-time', example: '2026-03-03T09:40:00.000+07:00' });
export const EpochMs = z.number().int().openapi({ description: 'epoch milliseconds, UTC', example: 1772505600000 });

/** Fields of a half-open range [start, end) in responses. */
export const RangeFields = { start: IsoTime, startMs: EpochMs, end: IsoTime, endMs: EpochMs };

export function rangeFields(startMs: number, endMs: number, timeZone: string): { start: string; startMs: number; end: string; endMs: number } {
  return { start: toIsoInZone(startMs, timeZone), startMs, end: toIsoInZone(endMs, timeZone), endMs };
}

export function isoOrNull(ms: number | null, timeZone: string): string | null {
  return ms === null ? null : toIsoInZone(ms, timeZone);
}

/**
 * Checks a requested range [start, end): start before end and not longer than maxMs. Throws
 * invalid_range naming the parameter, in plain words.
 */
export function checkRange(startMs: number, endMs: number, maxMs: number, what: string): void {
  if (startMs >= endMs) {
    throw new VigilError('invalid_range', `${what}: start must be before end`, { invalidParams: [{ name: 'end', in: 'query', reason: 'must be after start' }] });
  }
  if (endMs - startMs > maxMs) {
    const days = maxMs / 86_400_000;
    const span = days >= 1 && Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${Math.round(maxMs / 60_000)} minutes`;
    throw new VigilError('invalid_range', `${what}: the range is longer than the ${span} allowed; ask for a shorter range`, {
      maxRangeMs: maxMs,
      invalidParams: [{ name: 'end', in: 'query', reason: `must be at most ${span} after start` }],
    });
  }
}
