import { createRoute, z } from '@hono/zod-openapi';
import type { AppContext } from '../app-context.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';

/**
 * Prometheus metrics of the API process. Behind a permission (ops, admin), since series name
 * cameras: scrape with an API token (`authorization: { credentials: vgl_… }` in the scrape job).
 */
export function metricsRoutes(ctx: AppContext): ApiRouteDef[] {
  const metrics = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['ops'],
      responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
    }),
    { permission: 'metrics.view', site: NO_SITE },
    async (c) => c.text(await ctx.deps.metrics.metrics(), 200, { 'Content-Type': ctx.deps.metrics.contentType }),
  );
  return [metrics];
}
