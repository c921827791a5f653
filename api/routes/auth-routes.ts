import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { VigilError } from '../../src/errors.ts';
import { toIsoInZone } from '../../src/time.ts';
import type { AppContext } from '../app-context.ts';
import type { AppEnv } from '../app-deps.ts';
import { SESSION_COOKIE } from '../auth/authenticator.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem } from '../auth/password-hash.ts';
import { secretHash } from '../auth/secret-tokens.ts';
import { PERMISSIONS, ROLE_PERMISSIONS } from '../permissions.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { UserSchema } from '../schemas.ts';
import { userView } from '../user-view.ts';

/**
 * Login, logout and the caller's own account. The session cookie is HttpOnly, SameSite=Strict,
 * Path=/, Secure when the request came over HTTPS (directly or via a trusted proxy), and lives
 * as long as the session's absolute lifetime. Login needs no CSRF token (there is no session
 * yet); it accepts only application/json, which a cross-site form cannot send without a CORS
 * preflight this API never grants.
 */
const MeSchema = z
  .object({
    user: UserSchema,
    permissions: z.array(z.enum(PERMISSIONS)),
    via: z.enum(['session', 'token']),
    csrfToken: z.string().optional().openapi({ description: 'Send as X-CSRF-Token with POST/PUT/PATCH/DELETE (session only)' }),
    sessionExpires: z.string().optional(),
  })
  .openapi('Me');

export function authRoutes(ctx: AppContext): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const meBody = (c: Context<AppEnv>) => {
    const p = c.get('principal');
    return {
      user: userView(p.user, tz),
      permissions: [...ROLE_PERMISSIONS[p.user.role]],
      via: p.via,
      ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}),
      ...(p.sessionExpiresMs !== undefined ? { sessionExpires: toIsoInZone(p.sessionExpiresMs, tz) } : {}),
    };
  };

  const login = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/login',
      summary: 'Log in with username and password; sets the vigil_session cookie',
      tags: ['auth'],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) }),
            },
          },
        },
      },
      responses: {
        200: { description: 'Logged in', content: { 'application/json': { schema: MeSchema } } },
        401: { description: 'Wrong username or password, or a disabled account (one answer for all three)' },
        429: { description: 'Too many failed logins; Retry-After says when to try again' },
      },
    }),
    { public: true, why: 'logging in is how a caller gets credentials' },
    async (c) => {
      const { username, password } = c.req.valid('json');
      const origin = c.get('origin');
      const r = await ctx.login.login({ username, password, ip: origin.ip, userAgent: c.req.header('user-agent') ?? '' });
      // A new login replaces the session this browser had (never left behind, still valid).
      const old = getCookie(c, SESSION_COOKIE);
      if (old) await ctx.sessions.delete(secretHash(old));
      setCookie(c, SESSION_COOKIE, r.sessionSecret, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: origin.https,
        maxAge: Math.floor(ctx.deps.config.api.sessionTtlMs / 1000),
      });
      c.set('principal', { user: r.user, via: 'session', csrfToken: r.csrfToken, sessionExpiresMs: r.expiresMs });
      return c.json(meBody(c), 200);
    },
  );

  const logout = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/auth/logout',
      summary: 'End the current session (API tokens are revoked with DELETE /api/v1/tokens/{id})',
      tags: ['auth'],
      responses: { 204: { description: 'Logged out' } },
    }),
    { permission: 'account', site: NO_SITE },
    async (c) => {
      const p = c.get('principal');
      if (p.sessionHash) {
        await ctx.sessions.delete(p.sessionHash);
        await ctx.deps.audit.append({ actor: { userId: p.user.id, username: p.user.username }, action: 'auth.logout', ip: c.get('origin').ip });
      }
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: c.get('origin').https, httpOnly: true, sameSite: 'Strict' });
      return c.body(null, 204);
    },
  );

  const me = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/me',
      summary: 'The caller: account, permissions and (for a session) the CSRF token',
      tags: ['auth'],
      responses: { 200: { description: 'The caller', content: { 'application/json': { schema: MeSchema } } } },
    }),
    { permission: 'account', site: NO_SITE },
    (c) => c.json(meBody(c), 200),
  );

  const changePassword = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/me/password',
      summary: 'Change your own password (other sessions of the account end)',
      tags: ['auth'],
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: z.strictObject({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH), newPassword: z.string().max(MAX_PASSWORD_LENGTH) }) } },
        },
      },
      responses: { 204: { description: 'Changed' }, 429: { description: 'Too many wrong current passwords' } },
    }),
    { permission: 'account', site: NO_SITE, sessionOnly: true },
    async (c) => {
      const p = c.get('principal');
      const body = c.req.valid('json');
      const problem = passwordProblem(body.newPassword);
      if (problem) throw new VigilError('invalid_request', `the new password ${problem}`, { invalidParams: [{ name: 'newPassword', in: 'body', reason: problem }] });
      await ctx.login.confirmPassword(p.user, body.currentPassword, c.get('origin').ip);
      await ctx.users.setPasswordHash(p.user.id, await hashPassword(body.newPassword));
      // The session that made the change stays: it proved the current password just now.
      const ended = await ctx.sessions.deleteForUser(p.user.id, p.sessionHash);
      await ctx.deps.audit.append({ actor: { userId: p.user.id, username: p.user.username }, action: 'user.password_change', ip: c.get('origin').ip, detail: { otherSessionsEnded: ended } });
      return c.body(null, 204);
    },
  );

  return [login, logout, me, changePassword];
}
