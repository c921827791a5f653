import { z } from '@hono/zod-openapi';
import { isVigilError, VigilError } from '../src/errors.ts';
import { parseIsoMs, toIsoInZone, type TimeRange } from '../src/time.ts';
import { checkRange, RangeFields, rangeFields } from './time-fields.ts';

/**
 * Footage ranges and gaps at the API edge: a body field for an ISO time (the query form is
 * isoTimeParam in time-fields.ts), gaps as people and scripts read them, the compact form for
 * a response header, and the 404 for a range with no footage that names the gaps.
 */
export function isoBodyTime(example: string) {
  return z
    .string()
    .superRefine((text, ctx) => {
      try {
        parseIsoMs(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not an ISO 8601 time with an offset; write e.g. ${example}` });
      }
    })
    .openapi({ type: 'string', format: 'date-time', example, description: 'ISO 8601 with offset (Z or ±HH:MM)' });
}

export const GapSchema = z.object({ ...RangeFields, reason: z.string().openapi({ example: 'camera_unreachable' }) }).openapi('FootageGap');

export interface GapLike {
  startMs: number;
  endMs: number;
  reason: string;
}

export function gapViews(gaps: readonly GapLike[], timeZone: string) {
  return gaps.map((g) => ({ ...rangeFields(g.startMs, g.endMs, timeZone), reason: g.reason }));
}

/** Gaps listed in a header at most; the count header tells when there were more. */
export const MAX_HEADER_GAPS = 50;

/** `[{"start":"…+07:00","end":"…","reason":"camera_unreachable"}]`: ASCII, one line. */
export function gapsHeader(gaps: readonly GapLike[], timeZone: string): string {
  return JSON.stringify(gaps.slice(0, MAX_HEADER_GAPS).map((g) => ({ start: toIsoInZone(g.startMs, timeZone), end: toIsoInZone(g.endMs, timeZone), reason: g.reason })));
}

/** `[{"start":"…+07:00","end":"…"}]`: the parts of a clip recovered from the camera's own storage (ASCII, one line, at most MAX_HEADER_GAPS). */
export function backfilledHeader(ranges: readonly TimeRange[], timeZone: string): string {
  return JSON.stringify(ranges.slice(0, MAX_HEADER_GAPS).map((r) => ({ start: toIsoInZone(r.startMs, timeZone), end: toIsoInZone(r.endMs, timeZone) })));
}

/** The not_found for a camera range without any footage, naming the gaps that cover it. */
export function noFootageError(cameraId: string, range: TimeRange, gaps: readonly GapLike[], timeZone: string): VigilError {
  const at = (ms: number) => toIsoInZone(ms, timeZone);
  const list = gaps.map((g) => `${g.reason} from ${at(g.startMs)} to ${at(g.endMs)}`).join('; ');
  return new VigilError('not_found', `camera ${cameraId} has no footage from ${at(range.startMs)} to ${at(range.endMs)}${list ? `: the range lies in a gap (${list})` : ''}`, {
    hint: 'Pick a time the timeline shows as recorded; gaps say why footage is missing.',
    cameraId,
    gaps: gapViews(gaps, timeZone),
  });
}

/** A not_found from the clip planner with its gaps given as ISO times and epoch ms, like the timeline. */
export function withIsoGaps(e: unknown, timeZone: string): unknown {
  if (!isVigilError(e, 'not_found') || !Array.isArray(e.details.gaps)) return e;
  const gaps = (e.details.gaps as GapLike[]).filter((g) => Number.isSafeInteger(g.startMs) && Number.isSafeInteger(g.endMs));
  return new VigilError('not_found', e.message, { ...e.details, gaps: gapViews(gaps, timeZone) }, { cause: e });
}

/** checkRange (time-fields.ts) for a range given in a JSON body: same rules, parameters named in the body. */
export function checkBodyRange(startMs: number, endMs: number, maxMs: number, what: string): void {
  try {
    checkRange(startMs, endMs, maxMs, what);
  } catch (e) {
    if (isVigilError(e) && Array.isArray(e.details.invalidParams)) {
      const invalidParams = (e.details.invalidParams as Array<{ name: string; reason: string }>).map((p) => ({ ...p, in: 'body' as const }));
      throw new VigilError(e.code, e.message, { ...e.details, invalidParams });
    }
    throw e;
  }
}
