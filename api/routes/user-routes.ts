import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VigilError } from '../../src/errors.ts';
import { USERNAME_PATTERN, USERNAME_RULE, type UserPatch, type UserRecord } from '../../src/db/users-repo.ts';
import type { AppContext } from '../app-context.ts';
import type { AppEnv } from '../app-deps.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem } from '../auth/password-hash.ts';
import { USER_ROLES } from '../permissions.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { IdParam, SiteIdSchema, UserSchema } from '../schemas.ts';
import { checkGrant, mayManage, wouldRemoveLastFullAdmin } from '../user-admin-rules.ts';
import { userView } from '../user-view.ts';

/**
 * Account administration (permission users.manage: admins). No default account exists: the
 * first admin is made with `vigil user add … --password -`. Accounts are disabled, never
 * deleted. Disabling an account or resetting its password ends its sessions at once; its API
 * tokens stop working while it is disabled. Every change is an audit entry naming the admin.
 */
const USERNAME = z
  .string()
  .trim()
  .toLowerCase()
  .regex(USERNAME_PATTERN, { error: USERNAME_RULE });

export function userRoutes(ctx: AppContext): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const actorOf = (c: Context<AppEnv>) => {
    const u = c.get('principal').user;
    return { userId: u.id, username: u.username };
  };
  const manageable = async (c: Context<AppEnv>, id: string): Promise<UserRecord> => {
    const target = await ctx.users.byId(id);
    if (!target || !mayManage(ctx.sites, c.get('principal').user, target)) throw new VigilError('not_found', `there is no account "${id}" that you may manage`);
    return target;
  };
  const checkNewPassword = (password: string) => {
    const problem = passwordProblem(password);
    if (problem) throw new VigilError('invalid_request', `the password ${problem}`, { invalidParams: [{ name: 'password', in: 'body', reason: problem }] });
  };

  const list = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/users',
      summary: 'List the accounts you may manage',
      tags: ['users'],
      responses: { 200: { description: 'Accounts by username', content: { 'application/json': { schema: z.object({ users: z.array(UserSchema) }) } } } },
    }),
    { permission: 'users.manage', site: NO_SITE },
    async (c) => {
      const me = c.get('principal').user;
      const users = (await ctx.users.list()).filter((u) => mayManage(ctx.sites, me, u));
      return c.json({ users: users.map((u) => userView(u, tz)) }, 200);
    },
  );

  const create = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/users',
      summary: 'Create an account',
      tags: ['users'],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                username: USERNAME,
                displayName: z.string().trim().min(1).max(200),
                role: z.enum(USER_ROLES),
                sites: z.array(SiteIdSchema).max(100).default([]),
                password: z.string().max(MAX_PASSWORD_LENGTH),
              }),
            },
          },
        },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: UserSchema } } },
        409: { description: 'The username is taken' },
      },
    }),
    { permission: 'users.manage', site: NO_SITE },
    async (c) => {
      const body = c.req.valid('json');
      checkGrant(ctx.sites, c.get('principal').user, body.sites);
      checkNewPassword(body.password);
      const user = await ctx.users.create({ username: body.username, displayName: body.displayName, role: body.role, siteScopes: body.sites, passwordHash: await hashPassword(body.password) });
      await ctx.deps.audit.append({ actor: actorOf(c), action: 'user.create', ip: c.get('origin').ip, detail: { userId: user.id, username: user.username, role: user.role, sites: user.siteScopes } });
      return c.json(userView(user, tz), 201);
    },
  );

  const update = defineRoute(
    createRoute({
      method: 'patch',
      path: '/api/v1/users/{id}',
      summary: 'Change an account’s name, role, sites or disabled flag',
      tags: ['users'],
      request: {
        params: IdParam('account', 'usr_…'),
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                displayName: z.string().trim().min(1).max(200).optional(),
                role: z.enum(USER_ROLES).optional(),
                sites: z.array(SiteIdSchema).max(100).optional(),
                disabled: z.boolean().optional(),
              }),
            },
          },
        },
      },
      responses: {
        200: { description: 'The account after the change', content: { 'application/json': { schema: UserSchema } } },
        404: { description: 'No such account that you may manage' },
        409: { description: 'The change would leave no enabled admin without a site scope, or disables yourself' },
      },
    }),
    { permission: 'users.manage', site: NO_SITE },
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const me = c.get('principal').user;
      const target = await manageable(c, id);
      if (body.sites !== undefined) checkGrant(ctx.sites, me, body.sites);
      const after = { role: body.role ?? target.role, siteScopes: body.sites ?? target.siteScopes, disabled: body.disabled ?? target.disabled };
      if (target.id === me.id && after.disabled) throw new VigilError('conflict', 'you cannot disable your own account; another admin can');
      if (wouldRemoveLastFullAdmin(target, after, await ctx.users.countUnscopedActiveAdmins())) {
        throw new VigilError('conflict', `${target.username} is the last enabled admin without a site scope; make another one first, or no one could manage every account`);
      }
      const patch: UserPatch = {};
      if (body.displayName !== undefined) patch.displayName = body.displayName;
      if (body.role !== undefined) patch.role = body.role;
      if (body.sites !== undefined) patch.siteScopes = body.sites;
      if (body.disabled !== undefined) patch.disabled = body.disabled;
      const updated = (await ctx.users.update(id, patch))!;
      const sessionsEnded = after.disabled && !target.disabled ? await ctx.sessions.deleteForUser(id) : 0;
      const changes = Object.fromEntries(
        Object.entries({ displayName: [target.displayName, updated.displayName], role: [target.role, updated.role], sites: [target.siteScopes, updated.siteScopes], disabled: [target.disabled, updated.disabled] }).filter(([, [a, b]]) => JSON.stringify(a) !== JSON.stringify(b)),
      );
      await ctx.deps.audit.append({ actor: actorOf(c), action: 'user.update', ip: c.get('origin').ip, detail: { userId: id, username: target.username, changes, sessionsEnded } });
      return c.json(userView(updated, tz), 200);
    },
  );

  const resetPassword = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/users/{id}/password',
      summary: 'Set a new password for an account; its sessions end',
      tags: ['users'],
      request: {
        params: IdParam('account', 'usr_…'),
        body: { required: true, content: { 'application/json': { schema: z.strictObject({ password: z.string().max(MAX_PASSWORD_LENGTH) }) } } },
      },
      responses: { 204: { description: 'Password set' }, 404: { description: 'No such account that you may manage' } },
    }),
    { permission: 'users.manage', site: NO_SITE },
    async (c) => {
      const { id } = c.req.valid('param');
      const { password } = c.req.valid('json');
      const target = await manageable(c, id);
      checkNewPassword(password);
      await ctx.users.setPasswordHash(id, await hashPassword(password));
      const sessionsEnded = await ctx.sessions.deleteForUser(id);
      await ctx.deps.audit.append({ actor: actorOf(c), action: 'user.password_reset', ip: c.get('origin').ip, detail: { userId: id, username: target.username, sessionsEnded } });
      return c.body(null, 204);
    },
  );

  return [list, create, update, resetPassword];
}
