import { createRoute, z } from '@hono/zod-openapi';
import { VigilError } from '../../src/errors.ts';
import { parseIsoMs } from '../../src/time.ts';
import type { AppContext } from '../app-context.ts';
import type { CameraEntry } from '../camera-directory.ts';
import { cameraSite, defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { IdParam } from '../schemas.ts';
import { readTimeline } from '../timeline-query.ts';
import { checkRange, EpochMs, IsoTime, isoOrNull, isoTimeParam, RangeFields, rangeFields } from '../time-fields.ts';

/**
 * Cameras, their state, and their timeline. Lists are filtered by the caller's site scope;
 * a single camera outside it answers 404 like an unknown one (authorize.ts).
 */
const CameraSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    site: z.object({ id: z.string(), name: z.string() }).nullable(),
    configured: z.boolean().openapi({ description: 'false: removed from the configuration, footage kept' }),
    enabled: z.boolean(),
    state: z.string().openapi({ description: 'Latest watchdog state (connecting, recording, stalled, reconnecting, offline, auth_failed, stopped) or unknown', example: 'recording' }),
    stateSince: IsoTime.nullable(),
    stateSinceMs: EpochMs.nullable(),
    lastFootageEnd: IsoTime.nullable(),
    lastFootageEndMs: EpochMs.nullable(),
  })
  .openapi('Camera');

const RangeQuery = z.object({
  start: isoTimeParam('start', '2026-03-03T00:00:00+07:00'),
  end: isoTimeParam('end', '2026-03-04T00:00:00+07:00'),
});

const TimelineSchema = z
  .object({
    cameraId: z.string(),
    ...RangeFields,
    spans: z
      .array(
        z.object({
          ...RangeFields,
          segments: z.number().int(),
          source: z.enum(['live', 'backfill']).openapi({ description: 'live: recorded as it happened; backfill: recovered afterwards from the camera\'s own storage (SD card) over ONVIF Profile G, placed on the recorder\'s time using the camera\'s measured clock offset' }),
        }),
      )
      .openapi({ description: 'Recorded footage; contiguous segments of one source merged (spans of different sources are never merged)' }),
    gaps: z.array(z.object({ ...RangeFields, reason: z.string().openapi({ example: 'camera_unreachable' }) })).openapi({ description: 'Stored gaps with their reasons' }),
    unknown: z.array(z.object(RangeFields)).openapi({ description: 'Neither footage nor a recorded gap: before the camera was first recorded, or after the latest accounted instant (the live edge, the future)' }),
  })
  .openapi('Timeline');

const EventSchema = z.object({ at: IsoTime, atMs: EpochMs, from: z.string(), to: z.string(), detail: z.string() }).openapi('CameraEvent');

export function cameraRoutes(ctx: AppContext): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const maxRange = ctx.deps.config.api.maxTimelineRangeMs;
  const view = async (cam: CameraEntry) => {
    const s = await ctx.cameras.status(cam.id);
    const site = cam.siteId ? ctx.sites.get(cam.siteId) : undefined;
    return {
      id: cam.id,
      name: cam.name,
      site: cam.siteId ? { id: cam.siteId, name: site?.name ?? cam.siteId } : null,
      configured: cam.configured,
      enabled: cam.enabled,
      state: s.state,
      stateSince: isoOrNull(s.stateSinceMs, tz),
      stateSinceMs: s.stateSinceMs,
      lastFootageEnd: isoOrNull(s.lastFootageEndMs, tz),
      lastFootageEndMs: s.lastFootageEndMs,
    };
  };
  const rangeOf = (q: { start: string; end: string }, what: string) => {
    const startMs = parseIsoMs(q.start, 'start');
    const endMs = parseIsoMs(q.end, 'end');
    checkRange(startMs, endMs, maxRange, what);
    return { startMs, endMs };
  };

  const list = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras',
      summary: 'Cameras of your sites, with state and freshness',
      tags: ['cameras'],
      responses: { 200: { description: 'Cameras by id', content: { 'application/json': { schema: z.object({ cameras: z.array(CameraSchema) }) } } } },
    }),
    { permission: 'cameras.view', site: NO_SITE },
    async (c) => {
      const scopes = c.get('principal').user.siteScopes;
      const visible = (await ctx.cameras.list()).filter((cam) => ctx.sites.covers(scopes, cam.siteId));
      return c.json({ cameras: await Promise.all(visible.map(view)) }, 200);
    },
  );

  const one = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}',
      summary: 'One camera',
      tags: ['cameras'],
      request: { params: IdParam('camera', 'ward-x-counter-3') },
      responses: { 200: { description: 'The camera', content: { 'application/json': { schema: CameraSchema } } } },
    }),
    { permission: 'cameras.view', site: cameraSite('id') },
    async (c) => {
      const cam = await ctx.cameras.get(c.req.valid('param').id);
      if (!cam) throw new VigilError('not_found', 'the camera was removed while answering');
      return c.json(await view(cam), 200);
    },
  );

  const timeline = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}/timeline',
      summary: 'Recorded spans, gaps (with reasons) and unaccounted time of a camera over [start, end)',
      tags: ['cameras'],
      request: {
        params: IdParam('camera', 'ward-x-counter-3'),
        query: RangeQuery.extend({
          includeExpired: z
            .enum(['true', 'false'])
            .optional()
            .openapi({ param: { name: 'includeExpired', in: 'query' }, description: 'true: footage deleted by retention is shown as gaps with reason "retention" (else it is unknown time)' }),
        }),
      },
      responses: { 200: { description: 'The timeline, clipped to the range', content: { 'application/json': { schema: TimelineSchema } } } },
    }),
    { permission: 'timeline.view', site: cameraSite('id') },
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const range = rangeOf(q, 'timeline');
      const t = await readTimeline(ctx.deps.db, ctx.gaps, id, range, { expired: q.includeExpired === 'true' ? ctx.retention : undefined });
      return c.json(
        {
          cameraId: id,
          ...rangeFields(range.startMs, range.endMs, tz),
          spans: t.spans.map((s) => ({ ...rangeFields(s.startMs, s.endMs, tz), segments: s.segments, source: s.source })),
          gaps: t.gaps.map((g) => ({ ...rangeFields(g.startMs, g.endMs, tz), reason: g.reason })),
          unknown: t.unknown.map((u) => rangeFields(u.startMs, u.endMs, tz)),
        },
        200,
      );
    },
  );

  const events = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cameras/{id}/events',
      summary: 'State changes of a camera (watchdog events) in [start, end), oldest first',
      tags: ['cameras'],
      request: { params: IdParam('camera', 'ward-x-counter-3'), query: RangeQuery },
      responses: { 200: { description: 'Events', content: { 'application/json': { schema: z.object({ cameraId: z.string(), events: z.array(EventSchema) }) } } } },
    }),
    { permission: 'events.view', site: cameraSite('id') },
    async (c) => {
      const { id } = c.req.valid('param');
      const range = rangeOf(c.req.valid('query'), 'events');
      const rows = await ctx.events.list(id, range);
      return c.json({ cameraId: id, events: rows.map((e) => ({ at: isoOrNull(e.atMs, tz)!, atMs: e.atMs, from: e.fromState, to: e.toState, detail: e.detail })) }, 200);
    },
  );

  return [list, one, timeline, events];
}
