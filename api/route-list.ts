import type { AppContext } from './app-context.ts';
import type { ApiRouteDef } from './route-def.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { cameraRoutes } from './routes/camera-routes.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { siteRoutes } from './routes/site-routes.ts';
import { tokenRoutes } from './routes/token-routes.ts';
import { userRoutes } from './routes/user-routes.ts';

/**
 * The route table: every route of the API with its access rule. Adding a route (clips,
 * playback, cases, exports, audit) is adding its module's list here; the authorisation matrix
 * test (test/integration/api-authz-matrix.test.ts) then fails until the route has an entry
 * saying who may call it.
 */
export function apiRoutes(ctx: AppContext): ApiRouteDef[] {
  return [
    ...authRoutes(ctx),
    ...tokenRoutes(ctx),
    ...userRoutes(ctx),
    ...siteRoutes(ctx),
    ...cameraRoutes(ctx),
    ...metricsRoutes(ctx),
  ];
}
