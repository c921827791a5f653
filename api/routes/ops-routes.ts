import { createRoute, z } from '@hono/zod-openapi';
import type { AppContext } from '../app-context.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { VigilError } from '../../src/errors.ts';
import { checkReadiness, type ReadinessDeps } from '../../src/health/readiness.ts';
import { localDaysRange } from '../../src/report/office-schedule.ts';
import { loadUptimeInput, officeScheduleFrom } from '../../src/report/report-data.ts';
import { renderReportCsv } from '../../src/report/report-csv.ts';
import { renderReportHtml } from '../../src/report/report-html.ts';
import { buildUptimeReport } from '../../src/report/uptime-report.ts';
import type { ResolvedConfig } from '../../src/config/load.ts';

/**
 * Health for load balancers and Prometheus' blackbox (alive; ready = database, object store,
 * ffmpeg answer — names and ok only, no detail that could help an attacker), and the uptime
 * report over office hours (src/report/) as JSON, CSV or a printable page. A user scoped to
 * sites gets the report of one of them (say which with `site`).
 */
const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date as YYYY-MM-DD' });
const MAX_REPORT_DAYS = 366;

export function opsRoutes(ctx: AppContext, readiness: Omit<ReadinessDeps, 'clock'>): ApiRouteDef[] {
  const readyDeps: ReadinessDeps = { ...readiness, clock: ctx.deps.clock };
  const healthz = defineRoute(
    createRoute({ method: 'get', path: '/api/v1/healthz', summary: 'Alive', tags: ['ops'], responses: { 200: { description: 'The process answers', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } } }),
    { public: true, why: 'liveness probe for load balancers and service managers; reveals nothing' },
    (c) => c.json({ status: 'ok' as const }, 200),
  );
  const ReadySchema = z.object({ ready: z.boolean(), checks: z.array(z.object({ name: z.string(), ok: z.boolean() })) });
  const readyz = defineRoute(
    createRoute({
      method: 'get', path: '/api/v1/readyz', summary: 'Ready: database, object store and ffmpeg answer', tags: ['ops'],
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: ReadySchema } } },
        503: { description: 'Not ready: a problem naming the failing dependencies', content: { 'application/problem+json': { schema: ReadySchema.extend({ type: z.string(), title: z.string(), status: z.number(), detail: z.string() }) } } },
      },
    }),
    { public: true, why: 'readiness probe; says only which dependency fails, never why' },
    async (c) => {
      const r = await checkReadiness(readyDeps);
      const body = { ready: r.ready, checks: r.checks.map((k) => ({ name: k.name, ok: k.ok })) };
      if (r.ready) return c.json(body, 200);
      const failing = body.checks.filter((k) => !k.ok).map((k) => k.name).join(', ');
      const problem = { type: 'urn:vigil:problem:not_ready', title: 'Not ready', status: 503, detail: `not ready: ${failing} does not answer`, ...body };
      return c.body(JSON.stringify(problem), 503, { 'Content-Type': 'application/problem+json' }) as never;
    },
  );
  const report = defineRoute(
    createRoute({
      method: 'get', path: '/api/v1/reports/uptime', summary: 'Uptime during office hours per site and camera', tags: ['ops'],
      request: {
        query: z.object({
          from: DATE,
          to: DATE.optional(),
          site: z.string().min(1).max(64).optional(),
          format: z.enum(['json', 'csv', 'html']).default('json'),
          lang: z.enum(['vi', 'en']).optional(),
        }),
      },
      responses: {
        200: { description: 'The report', content: { 'application/json': { schema: z.any() }, 'text/csv': { schema: z.string() }, 'text/html': { schema: z.string() } } },
      },
    }),
    { permission: 'reports.view', site: NO_SITE },
    async (c) => {
      const q = c.req.valid('query');
      const scopes = c.get('principal').user.siteScopes;
      if (q.site !== undefined && !ctx.sites.get(q.site)) throw new VigilError('invalid_request', `site "${q.site}" does not exist`);
      if (q.site === undefined && scopes.length > 0) throw new VigilError('invalid_request', `your account sees some sites only; say which with site= (one of: ${scopes.join(', ')})`);
      if (q.site !== undefined && !ctx.sites.covers(scopes, q.site)) throw new VigilError('forbidden', `site "${q.site}" is outside your sites`);
      const config = ctx.deps.config as ResolvedConfig;
      const schedule = officeScheduleFrom(config);
      const range = localDaysRange(q.from, q.to ?? q.from, schedule.timeZone);
      if (range.endMs <= range.startMs) throw new VigilError('invalid_range', '"to" must not be before "from"');
      if (range.endMs - range.startMs > MAX_REPORT_DAYS * 86_400_000) throw new VigilError('invalid_range', `a report covers at most ${MAX_REPORT_DAYS} days; ask for several`);
      const input = await loadUptimeInput({ db: ctx.deps.db, config, range, nowMs: ctx.deps.clock.nowMs(), siteId: q.site ?? null, schedule });
      const built = buildUptimeReport(input);
      const language = q.lang ?? config.report.language;
      if (q.format === 'csv') return c.body(renderReportCsv(built, { language }), 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="uptime-${q.from}-${q.to ?? q.from}.csv"` });
      if (q.format === 'html') return c.html(renderReportHtml(built, { language }), 200);
      return c.json(built as never, 200);
    },
  );
  return [healthz, readyz, report];
}
