import type { Context } from 'hono';
import type { ActorContext } from '../src/cases/case-service.ts';
import type { Actor } from '../src/db/cases-repo.ts';
import { VigilError } from '../src/errors.ts';
import type { AppContext } from './app-context.ts';
import type { AppEnv } from './app-deps.ts';
import type { CameraEntry } from './camera-directory.ts';

/** Who is calling and from where, as audit entries and the case services want it. */
export function actorOf(c: Context<AppEnv>): Actor {
  const u = c.get('principal').user;
  return { userId: u.id, username: u.username };
}

export function byOf(c: Context<AppEnv>): ActorContext {
  return { actor: actorOf(c), ip: c.get('origin').ip || undefined };
}

/**
 * A camera named in a request body (case clip, export): it must exist and be in the caller's
 * scope, else the same 404 as for an unknown camera (authorize.ts's rule for path ids).
 */
export async function visibleCamera(ctx: AppContext, c: Context<AppEnv>, cameraId: string): Promise<CameraEntry> {
  const cam = await ctx.cameras.get(cameraId);
  if (!cam || !ctx.sites.covers(c.get('principal').user.siteScopes, cam.siteId)) {
    throw new VigilError('not_found', `there is no camera "${cameraId}" that you may see`, { hint: 'Check the id; GET /api/v1/cameras lists the cameras of your sites.' });
  }
  return cam;
}

/**
 * Footage attached to or exported for a case must come from the case's site (or a site below
 * it): a ward's case holds that ward's cameras, a district's case any of its wards'. A case
 * with no site (made by an unscoped user) takes any camera. Refused as a 400: the caller can
 * see both, the combination is wrong.
 */
export function checkCameraFitsCase(ctx: AppContext, cam: CameraEntry, caseSiteId: string | null, caseLabel: string): void {
  if (caseSiteId === null) return;
  if (!ctx.sites.covers([caseSiteId], cam.siteId)) {
    const where = cam.siteId ? `site ${cam.siteId}` : 'no site';
    throw new VigilError('invalid_request', `camera ${cam.id} is at ${where}, outside the site of case ${caseLabel} (${caseSiteId}); a case holds footage of its own site only`, {
      hint: 'Pick a camera of the case’s site, or open a case at the site of this camera.',
      invalidParams: [{ name: 'cameraId', in: 'body', reason: `is not a camera of site ${caseSiteId} or a site below it` }],
    });
  }
}
