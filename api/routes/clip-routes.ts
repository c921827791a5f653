import { createRoute, z } from '@hono/zod-openapi';
import { parseIsoMs, toIsoInZone } from '../../src/time.ts';
import { clipFileName } from '../../src/evidence/manifest.ts';
import type { PreparedClip } from '../../src/clip/clip-types.ts';
import type { AppContext } from '../app-context.ts';
import type { MediaServices } from '../app-deps.ts';
import { binaryResponse, rangeOrProblem } from '../binary-response.ts';
import { actorOf } from '../caller.ts';
import { backfilledHeader, gapsHeader, MAX_HEADER_GAPS, withIsoGaps } from '../footage-fields.ts';
import { cameraSite, defineRoute, type ApiRouteDef } from '../route-def.ts';
import { IdParam } from '../schemas.ts';
import { checkRange, isoTimeParam } from '../time-fields.ts';

/**
 * GET /cameras/{id}/clip: an MP4 of a camera's footage by stream copy from the stored
 * fragments (src/clip/), from the keyframe at or before the asked start. What the file really
 * covers and where its gaps are travel in headers (the body is video):
 *
 *   Vigil-Actual-Start / Vigil-Actual-End   ISO 8601 in the office zone
 *   Vigil-Gaps                              [{"start","end","reason"}], at most 50
 *   Vigil-Gap-Count                         all gaps inside the clip
 *   Vigil-Segments, Vigil-Assembly          stored segments used; fragment_copy | ffmpeg_concat
 *   Vigil-Backfilled                        [{"start","end"}] recovered later from the camera's
 *                                           own storage (same bytes, marked), at most 50
 *   Vigil-Backfilled-Count                  all such parts of the clip (0: all recorded live)
 *
 * Byte ranges work (a <video> element seeks with them); every byte of any range equals the
 * same byte of the whole file. Audit: one `clip.view` row per GET, Range requests included
 * (a player makes several for one viewing): each carries the bytes it served, and a viewer
 * fetching a clip piece by piece must not escape the log. A HEAD serves no footage and is not
 * audited. The row is written before the first byte; if it cannot be written, no footage goes.
 */
export function clipRoutes(ctx: AppContext, media: MediaServices): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const maxClipMs = ctx.deps.config.api.maxClipMs;

  const clip = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}/clip',
      summary: 'MP4 clip of [start, end) by stream copy, from the keyframe at or before start; byte ranges supported',
      tags: ['footage'],
      request: {
        params: IdParam('camera', 'ward-x-counter-3'),
        query: z.object({
          start: isoTimeParam('start', '2026-03-03T09:40:00+07:00'),
          end: isoTimeParam('end', '2026-03-03T09:45:00+07:00'),
          download: z.enum(['true', 'false']).optional().openapi({ param: { name: 'download', in: 'query' }, description: 'true: Content-Disposition attachment (save), else inline (play)' }),
        }),
      },
      responses: {
        200: { description: 'The whole clip (video/mp4); Vigil-* headers give the actual range and the gaps', content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } } },
        206: { description: 'One byte range of the clip (Content-Range)', content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } } },
        404: { description: 'No such camera among your sites, or no footage in the range (the problem names the gaps)' },
        416: { description: 'The byte range lies outside the clip' },
      },
    }),
    { permission: 'clips.create', site: cameraSite('id') },
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const startMs = parseIsoMs(q.start, 'start');
      const endMs = parseIsoMs(q.end, 'end');
      checkRange(startMs, endMs, maxClipMs, 'clip');
      let prepared: PreparedClip;
      try {
        prepared = await media.prepareClip({ cameraId: id, startMs, endMs });
      } catch (e) {
        throw withIsoGaps(e, tz);
      }
      let disposed = false;
      const dispose = () => {
        if (disposed) return;
        disposed = true;
        void prepared.dispose?.().catch((err: unknown) => ctx.deps.logger.warn({ err: (err as Error)?.message, cameraId: id }, 'clip temp files could not be removed'));
      };
      try {
        const range = rangeOrProblem(c, prepared.sizeBytes);
        if (range instanceof Response) {
          dispose();
          return range as never;
        }
        const info = prepared.info;
        if (c.req.method !== 'HEAD') {
          await ctx.deps.audit.append({
            actor: actorOf(c),
            action: 'clip.view',
            cameraId: id,
            startMs: info.actualStartMs,
            endMs: info.actualEndMs,
            ip: c.get('origin').ip || undefined,
            detail: {
              askedStartMs: startMs,
              askedEndMs: endMs,
              sizeBytes: prepared.sizeBytes,
              bytes: range.kind === 'part' ? `${range.start}-${range.end}` : 'all',
              gaps: info.gaps.length,
              segments: info.segments.length,
            },
          });
        }
        const name = clipFileName(id, info.actualStartMs, tz);
        const headers: Record<string, string> = {
          'Content-Disposition': `${q.download === 'true' ? 'attachment' : 'inline'}; filename="${name}"`,
          'Vigil-Actual-Start': toIsoInZone(info.actualStartMs, tz),
          'Vigil-Actual-End': toIsoInZone(info.actualEndMs, tz),
          'Vigil-Gaps': gapsHeader(info.gaps, tz),
          'Vigil-Gap-Count': String(info.gaps.length),
          'Vigil-Segments': String(info.segments.length),
          'Vigil-Assembly': info.assembly ?? 'fragment_copy',
          'Vigil-Backfilled': backfilledHeader(info.backfilled ?? [], tz),
          'Vigil-Backfilled-Count': String((info.backfilled ?? []).length),
        };
        if (info.gaps.length > MAX_HEADER_GAPS) headers['Vigil-Gaps-Truncated'] = 'true';
        return binaryResponse(c, prepared, range, { headers, log: ctx.deps.logger, done: dispose }) as never;
      } catch (e) {
        dispose();
        throw e;
      }
    },
  );

  return [clip];
}
