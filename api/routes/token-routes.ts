import { createRoute, z } from '@hono/zod-openapi';
import { VigilError } from '../../src/errors.ts';
import type { ApiTokenRecord } from '../../src/db/api-tokens-repo.ts';
import type { AppContext } from '../app-context.ts';
import { newApiToken, newTokenId, secretHash } from '../auth/secret-tokens.ts';
import { roleCan } from '../permissions.ts';
import { mayManage } from '../user-admin-rules.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';
import { IdParam } from '../schemas.ts';
import { isoOrNull } from '../time-fields.ts';

/**
 * API tokens for scripts (Authorization: Bearer vgl_…). A token acts as its owner, with the
 * owner's role and sites at the time of each request. It is shown once, at creation; Vigil
 * keeps only its hash. Tokens are made from a browser session only (a leaked token cannot
 * mint more), expire (at most 10 years, default 90 days), and are listed and revoked by
 * their owner; an admin may list and revoke anyone's.
 */
const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner: z.object({ id: z.string(), username: z.string() }),
    created: z.string(),
    expires: z.string().nullable(),
    lastUsed: z.string().nullable(),
    revoked: z.string().nullable(),
  })
  .openapi('ApiToken');

const MAX_TOKEN_DAYS = 3650;

export function tokenRoutes(ctx: AppContext): ApiRouteDef[] {
  const tz = ctx.deps.config.timeZone;
  const view = async (t: ApiTokenRecord, names: Map<string, string>) => ({
    id: t.id,
    name: t.name,
    owner: { id: t.userId, username: names.get(t.userId) ?? (await ctx.users.byId(t.userId))?.username ?? '?' },
    created: isoOrNull(t.createdMs, tz)!,
    expires: isoOrNull(t.expiresMs, tz),
    lastUsed: isoOrNull(t.lastUsedMs, tz),
    revoked: isoOrNull(t.revokedMs, tz),
  });

  const list = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/tokens',
      summary: 'List your API tokens (admins: ?all=true for everyone’s)',
      tags: ['tokens'],
      request: { query: z.object({ all: z.enum(['true', 'false']).optional().openapi({ param: { name: 'all', in: 'query' } }) }) },
      responses: { 200: { description: 'Tokens, newest first', content: { 'application/json': { schema: z.object({ tokens: z.array(TokenSchema) }) } } } },
    }),
    { permission: 'account', site: NO_SITE },
    async (c) => {
      const p = c.get('principal');
      const all = c.req.valid('query').all === 'true';
      if (all && !roleCan(p.user.role, 'users.manage')) throw new VigilError('forbidden', `the ${p.user.role} role may only list its own tokens`);
      const users = await ctx.users.list();
      const names = new Map(users.map((u) => [u.id, u.username] as const));
      const manageable = new Set(users.filter((u) => mayManage(ctx.sites, p.user, u)).map((u) => u.id));
      const rows = (await ctx.tokens.list(all ? null : p.user.id)).filter((t) => t.userId === p.user.id || manageable.has(t.userId));
      return c.json({ tokens: await Promise.all(rows.map((t) => view(t, names))) }, 200);
    },
  );

  const create = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/tokens',
      summary: 'Create an API token for yourself; the token is in this answer only',
      tags: ['tokens'],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                name: z.string().trim().min(1).max(100).openapi({ example: 'prometheus scrape' }),
                expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(90),
              }),
            },
          },
        },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: TokenSchema.extend({ token: z.string().openapi({ description: 'vgl_…; store it now, it is not shown again' }) }) } } },
      },
    }),
    { permission: 'account', site: NO_SITE, sessionOnly: true },
    async (c) => {
      const p = c.get('principal');
      const body = c.req.valid('json');
      const now = ctx.deps.clock.nowMs();
      const token = newApiToken();
      const rec = { id: newTokenId(), tokenHash: secretHash(token), userId: p.user.id, name: body.name, createdMs: now, expiresMs: now + body.expiresInDays * 86_400_000 };
      await ctx.tokens.create(rec);
      await ctx.deps.audit.append({ actor: { userId: p.user.id, username: p.user.username }, action: 'token.create', ip: c.get('origin').ip, detail: { tokenId: rec.id, name: rec.name, expiresInDays: body.expiresInDays } });
      const shown = await view({ ...rec, lastUsedMs: null, revokedMs: null }, new Map([[p.user.id, p.user.username]]));
      return c.json({ ...shown, token }, 201);
    },
  );

  const revoke = defineRoute(
    createRoute({
      method: 'delete',
      path: '/api/v1/tokens/{id}',
      summary: 'Revoke an API token (yours; admins: anyone’s)',
      tags: ['tokens'],
      request: { params: IdParam('API token', 'tok_3kTq0aBcD1eF') },
      responses: { 204: { description: 'Revoked (or already revoked)' }, 404: { description: 'No such token of yours' } },
    }),
    { permission: 'account', site: NO_SITE },
    async (c) => {
      const p = c.get('principal');
      const { id } = c.req.valid('param');
      const t = await ctx.tokens.byId(id);
      const owner = t && t.userId !== p.user.id ? await ctx.users.byId(t.userId) : null;
      const mayRevoke = t && (t.userId === p.user.id || (roleCan(p.user.role, 'users.manage') && owner !== null && mayManage(ctx.sites, p.user, owner)));
      if (!t || !mayRevoke) throw new VigilError('not_found', `there is no API token "${id}" of yours`);
      await ctx.tokens.revoke(id, ctx.deps.clock.nowMs());
      await ctx.deps.audit.append({ actor: { userId: p.user.id, username: p.user.username }, action: 'token.revoke', ip: c.get('origin').ip, detail: { tokenId: id, ownerId: t.userId } });
      return c.body(null, 204);
    },
  );

  return [list, create, revoke];
}
