import { createRoute, z } from '@hono/zod-openapi';
import type { AppContext } from '../app-context.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';

/**
 * The site tree as the caller may see it: every site for an unscoped user, else the subtrees
 * of their scope sites. Depth-first, names in order; `path` gives each site's ancestors so a
 * ward's staff still read "Province › District › Ward".
 */
const SiteSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    parentId: z.string().nullable(),
    depth: z.number().int().openapi({ description: '0 for a root of this listing' }),
    path: z.array(z.object({ id: z.string(), name: z.string() })).openapi({ description: 'Ancestors from the top of the tree' }),
    cameras: z.number().int().openapi({ description: 'Cameras placed directly in this site' }),
  })
  .openapi('Site');

export function siteRoutes(ctx: AppContext): ApiRouteDef[] {
  const list = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/sites',
      summary: 'Sites of your scope, as a depth-first list',
      tags: ['sites'],
      responses: { 200: { description: 'Sites', content: { 'application/json': { schema: z.object({ sites: z.array(SiteSchema) }) } } } },
    }),
    { permission: 'sites.view', site: NO_SITE },
    async (c) => {
      const scopes = c.get('principal').user.siteScopes;
      const counts = new Map<string, number>();
      for (const cam of await ctx.cameras.list()) if (cam.siteId) counts.set(cam.siteId, (counts.get(cam.siteId) ?? 0) + 1);
      const sites = ctx.sites.visible(scopes).map((s) => ({
        id: s.id,
        name: s.name,
        parentId: s.parentId,
        depth: s.depth,
        path: s.path.map((id) => ({ id, name: ctx.sites.get(id)?.name ?? id })),
        cameras: counts.get(s.id) ?? 0,
      }));
      return c.json({ sites }, 200);
    },
  );
  return [list];
}
