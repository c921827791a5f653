import { createRoute, z } from '@hono/zod-openapi';
import { VigilError } from '../../src/errors.ts';
import { parseIsoMs } from '../../src/time.ts';
import { buildHlsPlaylist } from '../../src/playback/hls-playlist.ts';
import type { AppContext } from '../app-context.ts';
import type { MediaServices } from '../app-deps.ts';
import { binaryResponse, rangeOrProblem } from '../binary-response.ts';
import { actorOf } from '../caller.ts';
import { noFootageError } from '../footage-fields.ts';
import { cameraSite, defineRoute, type ApiRouteDef } from '../route-def.ts';
import { IdParam } from '../schemas.ts';
import { checkRange, isoTimeParam } from '../time-fields.ts';

/**
 * Recorded playback over HLS, built from the index and served from the stored objects without
 * re-encoding (src/playback/): the playlist lists every stored segment overlapping the range
 * (its moov as EXT-X-MAP, the rest as the media, both byte ranges of one object, a
 * discontinuity at each gap), and each segment URI points at the segment route below with the
 * start of its run, so the server moves its decode times to their place in the run without
 * keeping any state.
 *
 * Audit: one `playback.view` row per playlist, with the range it lets the player show. The
 * segment route is authorised like the playlist (permission and camera scope) but not audited
 * per segment: a player fetches hundreds, and the playlist row already says who watched what.
 */
export const MAX_PLAYLIST_RANGE_MS = 24 * 3_600_000;
export const HLS_CONTENT_TYPE = 'application/vnd.apple.mpegurl';
const SEGMENT_NAME = /^(\d{1,15})-(\d{1,7})\.mp4$/;

export function playbackRoutes(ctx: AppContext, media: MediaServices): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;

  const playlist = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}/playback.m3u8',
      summary: 'HLS VOD playlist of the stored footage overlapping [start, end) (play it with hls.js)',
      tags: ['footage'],
      request: {
        params: IdParam('camera', 'ward-x-counter-3'),
        query: z.object({ start: isoTimeParam('start', '2026-03-03T09:00:00+07:00'), end: isoTimeParam('end', '2026-03-03T10:00:00+07:00') }),
      },
      responses: {
        200: { description: 'The playlist; segment URIs are relative to it', content: { [HLS_CONTENT_TYPE]: { schema: z.string() } } },
        404: { description: 'No such camera among your sites, or no footage in the range (the problem names the gaps)' },
      },
    }),
    { permission: 'playback.view', site: cameraSite('id') },
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const range = { startMs: parseIsoMs(q.start, 'start'), endMs: parseIsoMs(q.end, 'end') };
      checkRange(range.startMs, range.endMs, MAX_PLAYLIST_RANGE_MS, 'playback');
      const segments = await ctx.segments.overlapping(id, range);
      if (segments.length === 0) throw noFootageError(id, range, await ctx.gaps.overlapping(id, range), tz);
      const text = buildHlsPlaylist({
        segments,
        timeZone: tz,
        segmentUrl: (s, run) => `playback/segments/${s.startMs}-${s.durationMs}.mp4?run=${run.runStartMs}&first=${run.firstInRun ? 1 : 0}`,
      });
      const first = segments[0]!;
      const last = segments[segments.length - 1]!;
      // Start the player at the asked instant, not at the keyframe segment before it.
      const offsetSec = Math.max(0, (range.startMs - first.startMs) / 1000);
      const body = offsetSec > 0 ? text.replace('#EXT-X-INDEPENDENT-SEGMENTS\n', `#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-START:TIME-OFFSET=${offsetSec.toFixed(3)},PRECISE=YES\n`) : text;
      await ctx.deps.audit.append({
        actor: actorOf(c),
        action: 'playback.view',
        cameraId: id,
        startMs: first.startMs,
        endMs: last.startMs + last.durationMs,
        ip: c.get('origin').ip || undefined,
        detail: { askedStartMs: range.startMs, askedEndMs: range.endMs, segments: segments.length },
      });
      return c.body(body, 200, { 'Content-Type': HLS_CONTENT_TYPE }) as never;
    },
  );

  const segment = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}/playback/segments/{segment}',
      summary: 'One stored segment for HLS playback, decode times moved to its place in its run; byte ranges supported',
      tags: ['footage'],
      request: {
        params: z.object({
          id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, description: 'camera id', example: 'ward-x-counter-3' }),
          segment: z
            .string()
            .regex(SEGMENT_NAME, { error: 'must be <startMs>-<durationMs>.mp4 as the playlist gives it' })
            .openapi({ param: { name: 'segment', in: 'path' }, example: '1772505600000-4000.mp4' }),
        }),
        query: z.object({
          run: z.string().regex(/^\d{1,15}$/, { error: 'must be the epoch ms the playlist gives' }).openapi({ param: { name: 'run', in: 'query' }, description: 'Start of the segment’s run (epoch ms), from the playlist' }),
          first: z.enum(['0', '1']).openapi({ param: { name: 'first', in: 'query' }, description: '1 for the first segment of its run, from the playlist' }),
        }),
      },
      responses: {
        200: { description: 'The segment (video/mp4)', content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } } },
        206: { description: 'One byte range of it (the playlist’s EXT-X-MAP or media range)', content: { 'video/mp4': { schema: z.string().openapi({ format: 'binary' }) } } },
        416: { description: 'The byte range lies outside the segment' },
      },
    }),
    { permission: 'playback.view', site: cameraSite('id') },
    async (c) => {
      const { id, segment: name } = c.req.valid('param');
      const q = c.req.valid('query');
      const m = SEGMENT_NAME.exec(name)!;
      const startMs = Number(m[1]);
      const durationMs = Number(m[2]);
      const runStartMs = Number(q.run);
      if (runStartMs > startMs || startMs - runStartMs > MAX_PLAYLIST_RANGE_MS + 600_000) {
        throw new VigilError('invalid_request', 'run must be the start of the segment’s run, as the playlist gives it', { invalidParams: [{ name: 'run', in: 'query', reason: 'is not the start of a run holding this segment' }] });
      }
      const found = (await ctx.segments.overlapping(id, { startMs, endMs: startMs + 1 })).find((s) => s.startMs === startMs && s.durationMs === durationMs);
      if (!found) throw new VigilError('not_found', `camera ${id} has no stored segment ${name}`, { hint: 'Ask the playlist again: the segment may have been removed by retention.' });
      const served = await media.preparePlaybackSegment({ segment: found, runStartMs, firstInRun: q.first === '1' });
      const range = rangeOrProblem(c, served.sizeBytes);
      if (range instanceof Response) return range as never;
      return binaryResponse(c, served, range, { log: ctx.deps.logger }) as never;
    },
  );

  return [playlist, segment];
}
