import { createRoute, z } from '@hono/zod-openapi';
import { parseIsoMs, toIsoInZone } from '../../src/time.ts';
import { DEFAULT_THUMBNAIL_WIDTH_PX, MAX_THUMBNAIL_WIDTH_PX } from '../../src/thumbnail/thumbnail-service.ts';
import type { AppContext } from '../app-context.ts';
import type { MediaServices } from '../app-deps.ts';
import { actorOf } from '../caller.ts';
import { cameraSite, defineRoute, type ApiRouteDef } from '../route-def.ts';
import { IdParam } from '../schemas.ts';
import { isoTimeParam } from '../time-fields.ts';

/**
 * GET /cameras/{id}/thumbnail?at=…&width=…: the keyframe at or before an instant as a JPEG
 * (src/thumbnail/: one decode per segment keyframe and width, cached). A thumbnail is a view
 * of footage, so each request is one `thumbnail.view` audit row — kept cheap: no decode or
 * lookup of its own, a few fields, and the picture (cached or not) is sent only after it.
 * The range of the row is the one frame shown: [frame time, frame time + 1 ms).
 */
export function thumbnailRoutes(ctx: AppContext, media: MediaServices): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const thumbnail = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}/thumbnail',
      summary: 'JPEG of the keyframe at or before an instant',
      tags: ['footage'],
      request: {
        params: IdParam('camera', 'ward-x-counter-3'),
        query: z.object({
          at: isoTimeParam('at', '2026-03-03T09:40:00+07:00'),
          width: z
            .string()
            .regex(/^\d{1,4}$/, { error: `must be a whole number of pixels from 16 to ${MAX_THUMBNAIL_WIDTH_PX}` })
            .refine((w) => Number(w) >= 16 && Number(w) <= MAX_THUMBNAIL_WIDTH_PX, { error: `must be from 16 to ${MAX_THUMBNAIL_WIDTH_PX} pixels` })
            .optional()
            .openapi({ param: { name: 'width', in: 'query' }, description: `Width in pixels (default ${DEFAULT_THUMBNAIL_WIDTH_PX}); the height keeps the aspect`, example: '320' }),
        }),
      },
      responses: {
        200: { description: 'The picture; Vigil-Frame-Time says when it was taken', content: { 'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) } } },
        404: { description: 'No such camera among your sites, or no footage at that instant' },
      },
    }),
    { permission: 'thumbnails.view', site: cameraSite('id') },
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const atMs = parseIsoMs(q.at, 'at');
      const widthPx = q.width === undefined ? DEFAULT_THUMBNAIL_WIDTH_PX : Number(q.width);
      const t = await media.thumbnails.thumbnailAt(id, atMs, { widthPx });
      await ctx.deps.audit.append({
        actor: actorOf(c),
        action: 'thumbnail.view',
        cameraId: id,
        startMs: t.frameMs,
        endMs: t.frameMs + 1,
        ip: c.get('origin').ip || undefined,
        detail: { atMs, widthPx: t.widthPx },
      });
      return c.body(new Uint8Array(t.jpeg), 200, {
        'Content-Type': 'image/jpeg',
        'Vigil-Frame-Time': toIsoInZone(t.frameMs, tz),
        'Vigil-Frame-Width': String(t.widthPx),
        'Vigil-Frame-Height': String(t.heightPx),
      }) as never;
    },
  );
  return [thumbnail];
}
