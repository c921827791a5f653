import type { RouteConfig, RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './app-deps.ts';
import type { Permission } from './permissions.ts';

/**
 * One entry of the route table: the OpenAPI route (createRoute), who may call it, and the
 * handler. Every route of the API is one of these; registerRoutes() (route-registry.ts) adds
 * the authorize middleware from `access` and the standard error responses, so adding a route
 * with its authorisation is adding one entry to route-list.ts.
 */
export type SiteSource =
  /** The route touches no site's footage (or filters its list by the caller's scope itself). */
  | { from: 'none' }
  /** The camera named by a path parameter; its site decides. */
  | { from: 'camera'; param: string }
  /** The case named by a path parameter (cases.site_id). */
  | { from: 'case'; param: string }
  /** Anything else (an export id, a hold id): the route says how to find the site. */
  | { from: 'custom'; describe: string; resolve: (c: Context<AppEnv>) => Promise<SiteLookup> };

/** Whether the resource exists and, if so, its site (null: not placed in any site). */
export type SiteLookup = { exists: false } | { exists: true; siteId: string | null };

export type Access =
  | { public: true; why: string }
  | {
      public?: false;
      permission: Permission;
      site: SiteSource;
      /** Refuse bearer tokens (e.g. minting tokens: a leaked token must not make more). */
      sessionOnly?: boolean;
    };

export interface ApiRouteDef {
  route: RouteConfig;
  access: Access;
  // The handler's precise type is checked in defineRoute(); the table holds them uniformly.
  handler: RouteHandler<any, AppEnv>;
}

export function defineRoute<R extends RouteConfig>(route: R, access: Access, handler: RouteHandler<R, AppEnv>): ApiRouteDef {
  return { route, access, handler: handler as RouteHandler<any, AppEnv> };
}

export const NO_SITE: SiteSource = { from: 'none' };

export function cameraSite(param = 'id'): SiteSource {
  return { from: 'camera', param };
}

export function caseSite(param = 'id'): SiteSource {
  return { from: 'case', param };
}

/** "GET /api/v1/cameras/{id}": how a route is named in tests, logs and the OpenAPI check. */
export function routeKey(r: Pick<RouteConfig, 'method' | 'path'>): string {
  return `${r.method.toUpperCase()} ${r.path}`;
}
