import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DEFAULT_MAX_EXPORT_MS } from '../../src/evidence/export-jobs.ts';
import { packageFileName } from '../../src/evidence/manifest.ts';
import { VigilError } from '../../src/errors.ts';
import { parseIsoMs } from '../../src/time.ts';
import type { AppContext } from '../app-context.ts';
import type { AppEnv, EvidenceServices } from '../app-deps.ts';
import { binaryResponse } from '../binary-response.ts';
import { actorOf, byOf, checkCameraFitsCase, visibleCamera } from '../caller.ts';
import { ExportSchema, exportView } from '../case-view.ts';
import { checkBodyRange, isoBodyTime, noFootageError } from '../footage-fields.ts';
import { caseSite, defineRoute, type ApiRouteDef, type SiteSource } from '../route-def.ts';
import { IdParam } from '../schemas.ts';

/**
 * Evidence exports (src/evidence/export-jobs.ts): POST makes a queued job and answers 202 at
 * once; the job builds the clip, the signed package and stores it; GET /exports/{id} shows
 * status and progress; GET /exports/{id}/package downloads the .tar that `vigil verify`
 * checks. An export belongs to its case, so its site is the case's (a job of another site's
 * case answers 404 like an unknown one). The camera must be one the caller sees and of the
 * case's site (400 otherwise), and the range must hold footage (404 naming the gaps), so a
 * job that could only fail is not queued. ExportJobs audits create/complete/fail; the
 * download is audited here (`export.download`), before the first byte.
 */
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });
const ExportIdParam = IdParam('export', 'ev-20260303-9f3a1c02bd');

export function exportRoutes(ctx: AppContext, ev: EvidenceServices): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const exportSite: SiteSource = {
    from: 'custom',
    describe: 'the site of the export’s case',
    async resolve(c) {
      const e = await ev.exports.get(c.req.param('id') ?? '');
      const kase = e ? await ev.cases.getCase(e.caseId) : null;
      return kase ? { exists: true, siteId: kase.siteId } : { exists: false };
    },
  };
  const theExport = async (c: Context<AppEnv>) => {
    const e = await ev.exports.get(c.req.param('id') ?? '');
    if (!e) throw new VigilError('not_found', 'the export was removed while answering');
    return e;
  };

  const create = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/cases/{id}/exports',
      summary: 'Export a camera’s range as a signed evidence package (a background job)',
      tags: ['exports'],
      request: {
        params: IdParam('case', 'case-3f2a91bc7d0e4a11'),
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                cameraId: z.string().min(1).max(200).openapi({ example: 'ward-x-counter-3' }),
                start: isoBodyTime('2026-03-03T09:38:00+07:00'),
                end: isoBodyTime('2026-03-03T09:45:00+07:00'),
                reason: z.string().trim().min(1, { error: 'is required' }).max(1000).openapi({ example: 'Hồ sơ gửi thanh tra' }),
              }),
            },
          },
        },
      },
      responses: {
        202: ok('The queued job; poll its self link', ExportSchema),
        404: { description: 'No such case or camera among your sites, or no footage in the range' },
        409: { description: 'The case is closed' },
      },
    }),
    { permission: 'exports.create', site: caseSite('id') },
    async (c) => {
      const body = c.req.valid('json');
      const kase = await ev.cases.getCase(c.req.valid('param').id);
      if (!kase) throw new VigilError('not_found', 'the case was removed while answering');
      const cam = await visibleCamera(ctx, c, body.cameraId);
      checkCameraFitsCase(ctx, cam, kase.siteId, kase.reference);
      const range = { startMs: parseIsoMs(body.start, 'start'), endMs: parseIsoMs(body.end, 'end') };
      checkBodyRange(range.startMs, range.endMs, DEFAULT_MAX_EXPORT_MS, 'export');
      if ((await ctx.segments.overlapping(cam.id, range)).length === 0) throw noFootageError(cam.id, range, await ctx.gaps.overlapping(cam.id, range), tz);
      const job = await ev.exports.create({ caseId: kase.id, cameraId: cam.id, ...range, reason: body.reason }, byOf(c));
      c.header('Location', exportView(job, tz).links.self);
      return c.json(exportView(job, tz), 202);
    },
  );

  const forCase = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/cases/{id}/exports',
      summary: 'Evidence exports of a case, newest first',
      tags: ['exports'],
      request: { params: IdParam('case', 'case-3f2a91bc7d0e4a11') },
      responses: { 200: ok('Exports', z.object({ exports: z.array(ExportSchema) })) },
    }),
    { permission: 'cases.view', site: caseSite('id') },
    async (c) => c.json({ exports: (await ev.exports.forCase(c.req.valid('param').id)).map((e) => exportView(e, tz)) }, 200),
  );

  const one = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/exports/{id}',
      summary: 'One export: status, progress, error, and the package once done',
      tags: ['exports'],
      request: { params: ExportIdParam },
      responses: { 200: ok('The export', ExportSchema) },
    }),
    { permission: 'cases.view', site: exportSite },
    async (c) => c.json(exportView(await theExport(c), tz), 200),
  );

  const download = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/exports/{id}/package',
      summary: 'Download the signed evidence package (.tar; check it with vigil verify)',
      tags: ['exports'],
      request: { params: ExportIdParam },
      responses: {
        200: { description: 'The package', content: { 'application/x-tar': { schema: z.string().openapi({ format: 'binary' }) } } },
        409: { description: 'The export is not done (queued, running or failed)' },
      },
    }),
    { permission: 'exports.create', site: exportSite },
    async (c) => {
      const e = await theExport(c);
      if (e.status !== 'done' || e.sizeBytes === null) {
        const why = e.status === 'failed' ? `failed: ${e.error ?? 'no reason recorded'}` : `${e.status} (${Math.round(e.progress * 100)} %, ${e.phase})`;
        throw new VigilError('conflict', `export ${e.id} has no package yet: it is ${why}`, { hint: e.status === 'failed' ? 'Create the export again.' : 'Poll GET /api/v1/exports/{id} until status is done.' });
      }
      const opened = await ev.exports.openPackage(e.id);
      try {
        if (c.req.method !== 'HEAD') await ctx.deps.audit.append({
          actor: actorOf(c),
          action: 'export.download',
          cameraId: e.cameraId,
          startMs: e.actualStartMs ?? e.askedStartMs,
          endMs: e.actualEndMs ?? e.askedEndMs,
          caseId: e.caseId,
          ip: c.get('origin').ip || undefined,
          detail: { exportId: e.id, sizeBytes: e.sizeBytes, packageSha256: e.packageSha256 },
        });
      } catch (err) {
        opened.stream.destroy();
        throw err;
      }
      const body = { sizeBytes: e.sizeBytes, contentType: 'application/x-tar', open: () => opened.stream };
      return binaryResponse(c, body, { kind: 'whole' }, {
        ranges: false,
        log: ctx.deps.logger,
        done: () => opened.stream.destroy(),
        headers: {
          'Content-Disposition': `attachment; filename="${packageFileName(e.id)}"`,
          ...(e.packageSha256 ? { 'Vigil-Package-Sha256': e.packageSha256 } : {}),
          ...(e.keyFingerprint ? { 'Vigil-Key-Fingerprint': e.keyFingerprint } : {}),
        },
      }) as never;
    },
  );

  return [create, forCase, one, download];
}
