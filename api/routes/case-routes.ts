import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { MAX_CASE_CLIP_MS } from '../../src/cases/case-service.ts';
import type { CaseRecord } from '../../src/db/cases-repo.ts';
import { VigilError } from '../../src/errors.ts';
import { parseIsoMs } from '../../src/time.ts';
import type { AppContext } from '../app-context.ts';
import type { AppEnv, EvidenceServices } from '../app-deps.ts';
import { byOf, checkCameraFitsCase, visibleCamera } from '../caller.ts';
import { CaseClipSchema, caseClipView, CaseSchema, caseView, HoldSchema, holdView } from '../case-view.ts';
import { checkBodyRange, isoBodyTime } from '../footage-fields.ts';
import { caseSite, defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { IdParam, SiteIdSchema } from '../schemas.ts';

/**
 * Complaint cases (src/cases/case-service.ts), scoped to a site like cameras: a case outside
 * the caller's scope answers the same 404 as one that does not exist (caseSite in
 * authorize.ts), lists show only the caller's sites. Creating a case at a site outside one's
 * scope is refused with 403, as granting such a site is for accounts (user-admin-rules.ts); an
 * unknown site is a 400. A scoped user must say the site; only unscoped users may make a case
 * with no site. Attaching a clip (camera, range, reason) puts the range on a legal hold in
 * the same transaction; the camera must be one the caller sees and of the case's site. The
 * service writes the audit entries of every change; these routes add none.
 */
const json = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });
const CaseIdParam = IdParam('case', 'case-3f2a91bc7d0e4a11');
const TEXT = (max: number) => z.string().trim().min(1, { error: 'is required' }).max(max);

export function caseRoutes(ctx: AppContext, ev: EvidenceServices): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const view = (r: CaseRecord) => caseView(r, ctx.sites, tz);
  const theCase = async (c: Context<AppEnv>): Promise<CaseRecord> => {
    const r = await ev.cases.getCase(c.req.param('id') ?? '');
    if (!r) throw new VigilError('not_found', 'the case was removed while answering');
    return r;
  };

  const create = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/cases',
      summary: 'Open a complaint case at a site',
      tags: ['cases'],
      request: {
        body: json(
          z.strictObject({
            reference: TEXT(100).openapi({ description: 'The complaint’s reference, unique per site', example: 'KN-2026/031' }),
            title: TEXT(200).openapi({ example: 'Thái độ phục vụ tại quầy 3' }),
            description: z.string().max(5000).optional(),
            site: SiteIdSchema.optional().openapi({ description: 'Site of the case (required for users limited to sites)', example: 'ward-x' }),
          }),
        ),
      },
      responses: { 201: ok('The new case', CaseSchema), 409: { description: 'A case with this reference already exists at the site' } },
    }),
    { permission: 'cases.edit', site: NO_SITE },
    async (c) => {
      const body = c.req.valid('json');
      const scopes = c.get('principal').user.siteScopes;
      if (body.site === undefined && scopes.length > 0) {
        throw new VigilError('invalid_request', `site is required: your account is limited to ${scopes.join(', ')}`, { invalidParams: [{ name: 'site', in: 'body', reason: 'is required for an account limited to sites' }] });
      }
      if (body.site !== undefined && !ctx.sites.has(body.site)) {
        throw new VigilError('invalid_request', `site "${body.site}" is not in the configuration`, { invalidParams: [{ name: 'site', in: 'body', reason: 'is not a configured site (GET /api/v1/sites lists them)' }] });
      }
      if (body.site !== undefined && !ctx.sites.covers(scopes, body.site)) {
        throw new VigilError('forbidden', `you may open cases only at your own sites (${scopes.join(', ')}), not at ${body.site}`, { hint: 'Ask a colleague of that site, or an administrator.' });
      }
      const r = await ev.cases.createCase({ reference: body.reference, title: body.title, description: body.description, siteId: body.site ?? null }, byOf(c));
      return c.json(view(r), 201);
    },
  );

  const list = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cases',
      summary: 'Cases of your sites, newest first',
      tags: ['cases'],
      request: {
        query: z.object({
          status: z.enum(['open', 'closed']).optional().openapi({ param: { name: 'status', in: 'query' } }),
          reference: z.string().max(100).optional().openapi({ param: { name: 'reference', in: 'query' } }),
          limit: z.string().regex(/^\d{1,3}$/).optional().openapi({ param: { name: 'limit', in: 'query' }, description: '1–500, default 100' }),
          offset: z.string().regex(/^\d{1,7}$/).optional().openapi({ param: { name: 'offset', in: 'query' } }),
        }),
      },
      responses: { 200: ok('Cases', z.object({ cases: z.array(CaseSchema) })) },
    }),
    { permission: 'cases.view', site: NO_SITE },
    async (c) => {
      const q = c.req.valid('query');
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (limit < 1 || limit > 500) throw new VigilError('invalid_request', 'limit must be from 1 to 500', { invalidParams: [{ name: 'limit', in: 'query', reason: 'must be from 1 to 500' }] });
      const scopes = c.get('principal').user.siteScopes;
      const siteIds = scopes.length === 0 ? undefined : ctx.sites.visible(scopes).map((s) => s.id);
      const rows = await ev.cases.listCases({ status: q.status, reference: q.reference, siteIds, limit, offset: q.offset === undefined ? 0 : Number(q.offset) });
      return c.json({ cases: rows.map(view) }, 200);
    },
  );

  const one = defineRoute(
    createRoute({ method: 'get', path: '/api/v1/cases/{id}', summary: 'One case', tags: ['cases'], request: { params: CaseIdParam }, responses: { 200: ok('The case', CaseSchema) } }),
    { permission: 'cases.view', site: caseSite('id') },
    async (c) => c.json(view(await theCase(c)), 200),
  );

  const update = defineRoute(
    createRoute({
      method: 'patch',
      path: '/api/v1/cases/{id}',
      summary: 'Change a case’s title or description',
      tags: ['cases'],
      request: { params: CaseIdParam, body: json(z.strictObject({ title: TEXT(200).optional(), description: z.string().max(5000).optional() })) },
      responses: { 200: ok('The case as changed', CaseSchema) },
    }),
    { permission: 'cases.edit', site: caseSite('id') },
    async (c) => {
      const body = c.req.valid('json');
      return c.json(view(await ev.cases.updateCase(c.req.valid('param').id, body, byOf(c))), 200);
    },
  );

  const close = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/cases/{id}/close',
      summary: 'Close a case; with releaseHolds its footage returns to normal retention',
      tags: ['cases'],
      request: { params: CaseIdParam, body: json(z.strictObject({ releaseHolds: z.boolean().default(false), reason: z.string().trim().min(1).max(1000).optional() })) },
      responses: { 200: ok('The closed case and the holds released', z.object({ case: CaseSchema, releasedHoldIds: z.array(z.number().int()) })) },
    }),
    { permission: 'cases.edit', site: caseSite('id') },
    async (c) => {
      const body = c.req.valid('json');
      if (body.releaseHolds && !body.reason) throw new VigilError('invalid_request', 'releasing the holds needs a reason', { invalidParams: [{ name: 'reason', in: 'body', reason: 'is required with releaseHolds' }] });
      const r = await ev.cases.closeCase(c.req.valid('param').id, byOf(c), { releaseHolds: body.releaseHolds, reason: body.reason });
      return c.json({ case: view(r.case), releasedHoldIds: r.releasedHoldIds }, 200);
    },
  );

  const reopen = defineRoute(
    createRoute({ method: 'post', path: '/api/v1/cases/{id}/reopen', summary: 'Reopen a closed case', tags: ['cases'], request: { params: CaseIdParam }, responses: { 200: ok('The case', CaseSchema) } }),
    { permission: 'cases.edit', site: caseSite('id') },
    async (c) => c.json(view(await ev.cases.reopenCase(c.req.valid('param').id, byOf(c))), 200),
  );

  const addClip = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/cases/{id}/clips',
      summary: 'Attach a camera’s range to a case, with why; the range goes on a legal hold',
      tags: ['cases'],
      request: {
        params: CaseIdParam,
        body: json(
          z.strictObject({
            cameraId: z.string().min(1).max(200).openapi({ example: 'ward-x-counter-3' }),
            start: isoBodyTime('2026-03-03T09:38:00+07:00'),
            end: isoBodyTime('2026-03-03T09:45:00+07:00'),
            reason: TEXT(1000).openapi({ example: 'Công dân phản ánh lúc 9 giờ 40' }),
          }),
        ),
      },
      responses: { 201: ok('The clip and its hold', z.object({ clip: CaseClipSchema, hold: HoldSchema })), 409: { description: 'The case is closed' } },
    }),
    { permission: 'cases.edit', site: caseSite('id') },
    async (c) => {
      const body = c.req.valid('json');
      const kase = await theCase(c);
      const cam = await visibleCamera(ctx, c, body.cameraId);
      checkCameraFitsCase(ctx, cam, kase.siteId, kase.reference);
      const startMs = parseIsoMs(body.start, 'start');
      const endMs = parseIsoMs(body.end, 'end');
      checkBodyRange(startMs, endMs, MAX_CASE_CLIP_MS, 'case clip');
      const r = await ev.cases.addClip(kase.id, { cameraId: cam.id, startMs, endMs, reason: body.reason }, byOf(c));
      return c.json({ clip: caseClipView(r.clip, tz), hold: holdView(r.hold, tz) }, 201);
    },
  );

  const clips = defineRoute(
    createRoute({ method: 'get', path: '/api/v1/cases/{id}/clips', summary: 'Clips attached to a case, by time', tags: ['cases'], request: { params: CaseIdParam }, responses: { 200: ok('Clips', z.object({ clips: z.array(CaseClipSchema) })) } }),
    { permission: 'cases.view', site: caseSite('id') },
    async (c) => c.json({ clips: (await ev.cases.clips(c.req.valid('param').id)).map((r) => caseClipView(r, tz)) }, 200),
  );

  const holds = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cases/{id}/holds',
      summary: 'Legal holds of a case (active ones; ?includeReleased=true for all)',
      tags: ['cases'],
      request: { params: CaseIdParam, query: z.object({ includeReleased: z.enum(['true', 'false']).optional().openapi({ param: { name: 'includeReleased', in: 'query' } }) }) },
      responses: { 200: ok('Holds', z.object({ holds: z.array(HoldSchema) })) },
    }),
    { permission: 'cases.view', site: caseSite('id') },
    async (c) => {
      const rows = await ev.cases.holdsOf(c.req.valid('param').id, { includeReleased: c.req.valid('query').includeReleased === 'true' });
      return c.json({ holds: rows.map((h) => holdView(h, tz)) }, 200);
    },
  );

  const release = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/cases/{id}/holds/{holdId}/release',
      summary: 'Release one legal hold, with why (its footage returns to normal retention)',
      tags: ['cases'],
      request: {
        params: z.object({
          id: CaseIdParam.shape.id,
          holdId: z.string().regex(/^\d{1,15}$/, { error: 'must be a hold id (a number)' }).openapi({ param: { name: 'holdId', in: 'path' }, example: '12' }),
        }),
        body: json(z.strictObject({ reason: TEXT(1000).openapi({ example: 'Khiếu nại đã giải quyết xong' }) })),
      },
      responses: { 200: ok('The hold as it is now; released false when it was already released', z.object({ hold: HoldSchema, released: z.boolean() })) },
    }),
    { permission: 'cases.edit', site: caseSite('id') },
    async (c) => {
      const { id, holdId } = c.req.valid('param');
      const all = await ev.cases.holdsOf(id, { includeReleased: true });
      const hold = all.find((h) => h.id === Number(holdId));
      if (!hold) throw new VigilError('not_found', `case ${id} has no legal hold ${holdId}`, { hint: 'GET /api/v1/cases/{id}/holds lists them.' });
      const released = await ev.cases.releaseHold(hold.id, c.req.valid('json').reason, byOf(c));
      const now = (await ev.cases.holdsOf(id, { includeReleased: true })).find((h) => h.id === hold.id)!;
      return c.json({ hold: holdView(now, tz), released }, 200);
    },
  );

  return [create, list, one, update, close, reopen, addClip, clips, holds, release];
}
