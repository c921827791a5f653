import { createRoute, z } from '@hono/zod-openapi';
import { cameraSchema, siteSchema } from '../../src/config/schema.ts';
import { RetentionSettingsRepo, type RetentionChange } from '../../src/db/retention-settings-repo.ts';
import { VigilError } from '../../src/errors.ts';
import { retentionSettingsView } from '../../src/retention/retention-overrides.ts';
import type { AppContext } from '../app-context.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';

/**
 * Retention settings for admins (permission retention.manage). Edits are saved in the index
 * database (retention_settings, migration 0008) over the configuration's values, because the
 * database is what every role shares: a retention role on another machine reads them at its
 * next run, without a restart and without the API editing a file it may not have. Each value
 * says where it comes from (saved here, the configuration, inherited from a site above or the
 * default). Values are checked with the configuration schema's own rules. A site-scoped admin
 * changes only sites and cameras within the scope (the default needs an unscoped admin). Audited.
 */
const Days = siteSchema.shape.retentionDays.unwrap();
const Quota = siteSchema.shape.quotaBytes.unwrap();

const ValueSchema = z
  .object({
    config: z.number().nullable(),
    saved: z.number().nullable(),
    effective: z.number().nullable(),
    source: z.enum(['saved', 'config', 'inherited', 'none']),
    from: z.string().optional(),
  })
  .openapi('RetentionValue');

const ViewSchema = z
  .object({
    default: z.object({ days: ValueSchema, quotaBytes: ValueSchema }),
    sites: z.array(z.object({ id: z.string(), name: z.string(), parent: z.string().nullable(), days: ValueSchema, quotaBytes: ValueSchema })),
    cameras: z.array(z.object({ id: z.string(), name: z.string(), site: z.string().nullable(), days: ValueSchema })),
    schedule: z.string(),
    timeZone: z.string(),
  })
  .openapi('RetentionSettings');

export function retentionRoutes(ctx: AppContext): ApiRouteDef[] {
  const repo = new RetentionSettingsRepo(ctx.deps.db, () => ctx.deps.clock.nowMs());
  const view = async () => ({
    ...retentionSettingsView(ctx.deps.config, await repo.list()),
    schedule: ctx.deps.config.retention.schedule,
    timeZone: ctx.deps.config.retention.timeZone ?? ctx.deps.config.timeZone,
  });

  const get = defineRoute(
    createRoute({
      method: 'get',
      path: '/api/v1/admin/retention',
      summary: 'Retention settings: days and quotas by default, site and camera, with where each comes from',
      tags: ['admin'],
      responses: { 200: { description: 'The settings retention uses at its next run', content: { 'application/json': { schema: ViewSchema } } } },
    }),
    { permission: 'retention.manage', site: NO_SITE },
    async (c) => c.json(await view(), 200),
  );

  const put = defineRoute(
    createRoute({
      method: 'put',
      path: '/api/v1/admin/retention',
      summary: 'Change retention days and quotas (null: back to the configuration’s value)',
      tags: ['admin'],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                days: Days.nullable().optional(),
                quotaBytes: Quota.nullable().optional(),
                sites: z.array(z.strictObject({ id: siteSchema.shape.id, days: Days.nullable().optional(), quotaBytes: Quota.nullable().optional() })).max(10_000).optional(),
                cameras: z.array(z.strictObject({ id: cameraSchema.shape.id, days: Days.nullable().optional() })).max(10_000).optional(),
              }),
            },
          },
        },
      },
      responses: { 200: { description: 'The settings after the change', content: { 'application/json': { schema: ViewSchema } } } },
    }),
    { permission: 'retention.manage', site: NO_SITE },
    async (c) => {
      const b = c.req.valid('json');
      const config = ctx.deps.config;
      const unknown: Array<{ name: string; in: 'body'; reason: string }> = [];
      (b.sites ?? []).forEach((s, i) => {
        if (!config.sites.some((x) => x.id === s.id)) unknown.push({ name: `sites[${i}].id`, in: 'body', reason: `names site "${s.id}", which is not in the configuration` });
      });
      (b.cameras ?? []).forEach((s, i) => {
        if (!config.cameras.some((x) => x.id === s.id)) unknown.push({ name: `cameras[${i}].id`, in: 'body', reason: `names camera "${s.id}", which is not in the configuration` });
      });
      if (unknown.length) throw new VigilError('invalid_request', `the request has ${unknown.length === 1 ? 'a wrong value' : `${unknown.length} wrong values`}: ${unknown.map((u) => `${u.name} ${u.reason}`).join('; ')}`, { invalidParams: unknown });
      // A site-scoped admin changes their own sites and cameras only; the default is everyone's.
      const scopes = c.get('principal').user.siteScopes;
      const beyond = [
        ...(b.days !== undefined || b.quotaBytes !== undefined) && scopes.length > 0 ? ['the default for every camera'] : [],
        ...(b.sites ?? []).filter((s) => !ctx.sites.covers(scopes, s.id)).map((s) => `site ${s.id}`),
        ...(b.cameras ?? []).filter((cam) => !ctx.sites.covers(scopes, config.cameras.find((x) => x.id === cam.id)?.site ?? null)).map((cam) => `camera ${cam.id}`),
      ];
      if (beyond.length) throw new VigilError('forbidden', `you may change retention only within your own sites, not ${beyond.join(', ')}`, { hint: 'An administrator without a site scope can change it.' });
      const changes: RetentionChange[] = [];
      if (b.days !== undefined || b.quotaBytes !== undefined) changes.push({ scope: 'default', targetId: '', ...(b.days !== undefined ? { days: b.days } : {}), ...(b.quotaBytes !== undefined ? { quotaBytes: b.quotaBytes } : {}) });
      for (const s of b.sites ?? []) changes.push({ scope: 'site', targetId: s.id, ...(s.days !== undefined ? { days: s.days } : {}), ...(s.quotaBytes !== undefined ? { quotaBytes: s.quotaBytes } : {}) });
      for (const cam of b.cameras ?? []) changes.push({ scope: 'camera', targetId: cam.id, ...(cam.days !== undefined ? { days: cam.days } : {}) });
      const before = await repo.list();
      const after = await repo.apply(changes, c.get('principal').user.username);
      await ctx.deps.audit.append({
        actor: { userId: c.get('principal').user.id, username: c.get('principal').user.username },
        action: 'retention.update',
        ip: c.get('origin').ip,
        detail: { changes, before: before.map(({ scope, targetId, days, quotaBytes }) => ({ scope, targetId, days, quotaBytes })), after: after.map(({ scope, targetId, days, quotaBytes }) => ({ scope, targetId, days, quotaBytes })) },
      });
      return c.json(await view(), 200);
    },
  );

  return [get, put];
}
