import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { VigilError } from '../src/errors.ts';
import type { AppContext } from './app-context.ts';
import type { AppEnv, Principal } from './app-deps.ts';
import { SESSION_COOKIE } from './auth/authenticator.ts';
import { sameSecret } from './auth/secret-tokens.ts';
import { PERMISSION_TEXT, roleCan } from './permissions.ts';
import type { Access, SiteLookup, SiteSource } from './route-def.ts';

/**
 * The one enforcement point of the route table, in this order:
 *  1. credentials: none or bad → 401;
 *  2. CSRF: a cookie-authenticated POST/PUT/PATCH/DELETE must carry X-CSRF-Token → 403;
 *  3. role: the route's permission → 403 (says nothing about any resource);
 *  4. site: the resource's site must be inside the caller's scope. A camera or case outside
 *     the scope answers the same 404 as one that does not exist, so a caller cannot learn
 *     what other sites have.
 * It runs before request validation, so an anonymous caller learns nothing from 400s.
 */
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function authorize(access: Access, ctx: AppContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access.public) return next();
    const principal = await ctx.authenticator.authenticate({
      authorization: c.req.header('authorization'),
      sessionCookie: getCookie(c, SESSION_COOKIE),
    });
    if (!principal) throw new VigilError('unauthenticated', 'this needs a logged-in session or an API token', { hint: 'Log in (POST /api/v1/auth/login) or send Authorization: Bearer vgl_….' });
    if (principal.via === 'session' && UNSAFE.has(c.req.method)) checkCsrf(principal, c.req.header('x-csrf-token'));
    if (access.sessionOnly && principal.via !== 'session') {
      throw new VigilError('forbidden', 'this can only be done from a logged-in browser session, not with an API token');
    }
    const role = principal.user.role;
    if (!roleCan(role, access.permission)) {
      throw new VigilError('forbidden', `the ${role} role may not ${PERMISSION_TEXT[access.permission]}`, { hint: 'Ask an administrator for a role that allows it.' });
    }
    c.set('principal', principal);
    c.set('siteId', await checkSite(access.site, c, ctx, principal));
    return next();
  };
}

function checkCsrf(p: Principal, header: string | undefined): void {
  if (!header || !p.csrfToken || !sameSecret(header, p.csrfToken)) {
    throw new VigilError('csrf_rejected', 'this change came without the X-CSRF-Token of your session, so it may come from another site; it was not made', {
      hint: 'Send the csrfToken given by login or GET /api/v1/me in the X-CSRF-Token header.',
    });
  }
}

async function checkSite(source: SiteSource, c: Parameters<MiddlewareHandler<AppEnv>>[0], ctx: AppContext, p: Principal): Promise<string | null> {
  if (source.from === 'none') return null;
  const what = source.from === 'camera' ? 'camera' : source.from === 'case' ? 'case' : 'resource';
  const id = source.from === 'custom' ? '' : (c.req.param(source.param) ?? '');
  const found = await lookupSite(source, id, c, ctx);
  if (!found.exists || !ctx.sites.covers(p.user.siteScopes, found.siteId)) {
    throw new VigilError('not_found', id ? `there is no ${what} "${id}" that you may see` : `there is no such ${what} that you may see`, {
      hint: 'Check the id; GET /api/v1/cameras lists the cameras of your sites.',
    });
  }
  return found.siteId;
}

async function lookupSite(source: SiteSource, id: string, c: Parameters<MiddlewareHandler<AppEnv>>[0], ctx: AppContext): Promise<SiteLookup> {
  switch (source.from) {
    case 'camera': {
      const cam = await ctx.cameras.get(id);
      return cam ? { exists: true, siteId: cam.siteId } : { exists: false };
    }
    case 'case': {
      const row = await ctx.deps.db.selectFrom('cases').select('site_id').where('id', '=', id).executeTakeFirst();
      return row ? { exists: true, siteId: row.site_id } : { exists: false };
    }
    case 'custom':
      return source.resolve(c);
    case 'none':
      return { exists: true, siteId: null };
  }
}
