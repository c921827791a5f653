import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppContext } from './app-context.ts';
import type { AppEnv } from './app-deps.ts';
import { authorize } from './authorize.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import { routeKey, type Access, type ApiRouteDef } from './route-def.ts';
import { ProblemSchema } from './schemas.ts';

/**
 * Puts the route table on the app: each route gets, in front of its validators and handler,
 * a label for metrics and the authorize middleware built from its access entry; its OpenAPI
 * operation gets its security requirement, an `x-vigil-access` extension (permission and how
 * the site is found) and the problem responses every such route can give.
 */
export function registerRoutes(app: OpenAPIHono<AppEnv>, defs: readonly ApiRouteDef[], ctx: AppContext): void {
  const seen = new Set<string>();
  for (const def of defs) {
    const key = routeKey(def.route);
    if (seen.has(key)) throw new Error(`route ${key} is in the route table twice`);
    seen.add(key);
    const label: MiddlewareHandler<AppEnv> = async (c, next) => {
      c.set('routeLabel', def.route.path);
      await next();
    };
    const route: RouteConfig = {
      ...def.route,
      middleware: [label, authorize(def.access, ctx)],
      security: def.access.public ? [] : [{ cookieAuth: [] }, { bearerAuth: [] }],
      responses: mergeResponses(standardProblems(def.route, def.access), def.route.responses),
      'x-vigil-access': describeAccess(def.access),
    } as RouteConfig;
    app.openapi(route, def.handler as never);
  }
}

export function describeAccess(a: Access): Record<string, unknown> {
  if (a.public) return { public: true, why: a.why };
  const site = a.site.from === 'custom' ? { from: 'custom', describe: a.site.describe } : a.site;
  return { permission: a.permission, site, ...(a.sessionOnly ? { sessionOnly: true } : {}) };
}

function problem(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } };
}

function standardProblems(route: RouteConfig, access: Access): RouteConfig['responses'] {
  const out: RouteConfig['responses'] = {};
  const req = route.request;
  if (req && (req.params || req.query || req.body || req.headers)) out[400] = problem('A parameter or body field is missing or wrong; invalidParams lists each');
  if (!access.public) {
    out[401] = problem('No valid session or API token');
    out[403] = problem('The role may not do this, or a cookie-authenticated change lacks X-CSRF-Token');
    if (access.site.from !== 'none') out[404] = problem('No such resource among the sites of the caller');
  }
  out[500] = problem('An unexpected error; the problem carries an error id');
  return out;
}

/** The route's own responses win; an error response it declares without a body gets the problem body. */
function mergeResponses(standard: RouteConfig['responses'], own: RouteConfig['responses']): RouteConfig['responses'] {
  const out: RouteConfig['responses'] = { ...standard };
  for (const [status, res] of Object.entries(own)) {
    const r = res as { description: string; content?: unknown };
    out[status] = Number(status) >= 400 && !r.content ? problem(r.description) : res;
  }
  return out;
}
