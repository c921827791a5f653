import type { AppContext } from './app-context.ts';
import type { ApiRouteDef } from './route-def.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { cameraRoutes } from './routes/camera-routes.ts';
import { caseRoutes } from './routes/case-routes.ts';
import { clipRoutes } from './routes/clip-routes.ts';
import { exportRoutes } from './routes/export-routes.ts';
import { metricsRoutes } from './routes/metrics-routes.ts';
import { opsRoutes } from './routes/ops-routes.ts';
import { playbackRoutes } from './routes/playback-routes.ts';
import { siteRoutes } from './routes/site-routes.ts';
import { thumbnailRoutes } from './routes/thumbnail-routes.ts';
import { tokenRoutes } from './routes/token-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { cameraAdminRoutes } from './routes/camera-admin-routes.ts';
import { retentionRoutes } from './routes/retention-routes.ts';

/**
 * The route table: every route of the API with its access rule. Adding a route (clips,
 * playback, cases, exports, audit) is adding its module's list here; the authorisation matrix
 * test (test/integration/api-authz-matrix.test.ts) then fails until the route has an entry
 * saying who may call it. Footage routes (clips, playback, thumbnails) are there when the app
 * is given media services, case, export and audit routes when it is given evidence services.
 */
export function apiRoutes(ctx: AppContext): ApiRouteDef[] {
  const { media, evidence } = ctx.deps;
  return [
    ...authRoutes(ctx),
    ...tokenRoutes(ctx),
    ...userRoutes(ctx),
    ...siteRoutes(ctx),
    ...cameraRoutes(ctx),
    ...metricsRoutes(ctx),
    ...opsRoutes(ctx, { db: ctx.deps.db, ...(ctx.deps.store ? { store: ctx.deps.store } : {}), ffmpegPath: ctx.deps.config.recorder.ffmpegPath }),
    ...(media ? [...clipRoutes(ctx, media), ...playbackRoutes(ctx, media), ...thumbnailRoutes(ctx, media)] : []),
    ...(evidence ? [...caseRoutes(ctx, evidence), ...exportRoutes(ctx, evidence), ...auditRoutes(ctx, evidence)] : []),
    ...retentionRoutes(ctx),
    ...(ctx.deps.cameraAdmin ? cameraAdminRoutes(ctx, ctx.deps.cameraAdmin) : []),
  ];
}
