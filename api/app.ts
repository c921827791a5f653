import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { createAppContext, type AppContext } from './app-context.ts';
import type { AppDeps, AppEnv } from './app-deps.ts';
import { notFound, onError, validationHook } from './error-handling.ts';
import { createHttpMetrics } from './http-metrics.ts';
import { SESSION_COOKIE } from './auth/authenticator.ts';
import { requestContext } from './request-context.ts';
import { registerRoutes } from './route-registry.ts';
import { apiRoutes } from './route-list.ts';
import type { ApiRouteDef } from './route-def.ts';
import { registerWebStatic } from './web-static.ts';
import { nulGuard } from './nul-guard.ts';

/**
 * The Vigil HTTP API: an OpenAPIHono app with every route from the route table under
 * /api/v1/, the OpenAPI 3.1 document at /api/openapi.json, problem+json for every failure.
 * Serve it with @hono/node-server (bin/run-api.ts).
 */
export const OPENAPI_PATH = '/api/openapi.json';
export const MAX_JSON_BODY_BYTES = 256 * 1024;

export interface VigilApi {
  app: OpenAPIHono<AppEnv>;
  /** The route table the app was built from (the authorisation matrix test reads it). */
  routes: readonly ApiRouteDef[];
  ctx: AppContext;
}

export function createApp(deps: AppDeps, extraRoutes: (ctx: AppContext) => ApiRouteDef[] = () => []): VigilApi {
  const ctx = createAppContext(deps);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook as never });
  app.use('*', requestContext({ log: deps.logger, metrics: createHttpMetrics(deps.metrics), trustedProxies: deps.config.api.trustedProxies }));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_JSON_BODY_BYTES,
      onError: () => {
        throw new HTTPException(413, { message: `the request body is larger than ${MAX_JSON_BODY_BYTES / 1024} KiB` });
      },
    }),
  );
  app.use('/api/*', nulGuard());
  app.onError(onError(deps.logger));
  app.notFound(notFound);

  const routes = [...apiRoutes(ctx), ...extraRoutes(ctx)];
  registerRoutes(app, routes, ctx);
  // The web UI at / (api/web/), after the API routes so it never shadows one.
  // ui may be absent from a hand-built config of a test: then no Grafana link.
  registerWebStatic(app, { timeZone: deps.config.timeZone, live: deps.config.live.enabled, grafanaUrl: deps.config.ui?.grafanaUrl });

  app.openAPIRegistry.registerComponent('securitySchemes', 'cookieAuth', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Browser session from POST /api/v1/auth/login; unsafe methods also need X-CSRF-Token',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'API token vgl_… from POST /api/v1/tokens' });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'Vigil API',
      version: '1',
      description: 'CCTV recording and evidence service. Times: ISO 8601 with offset in, ISO 8601 and epoch ms out. Errors: RFC 9457 problem+json.',
    },
  });
  return { app, routes, ctx };
}
