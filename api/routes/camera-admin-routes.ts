import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cameraSchema } from '../../src/config/schema.ts';
import { isVigilError, VigilError } from '../../src/errors.ts';
import { stripUrlCredentials } from '../../src/redact.ts';
import type { AppContext } from '../app-context.ts';
import type { AppEnv } from '../app-deps.ts';
import type { CameraAdminService, CameraConnection } from '../camera-admin.ts';
import { defineRoute, NO_SITE, type ApiRouteDef } from '../route-def.ts';

/**
 * Camera administration for admins (permission cameras.manage): WS-Discovery, a connection
 * test, and adding a camera to the configuration file (bin/camera-admin-service.ts does the
 * work). The camera's password arrives in a POST body only; no answer, log line or audit
 * entry carries it (audit details name the address, an RTSP URL without its userinfo).
 * A camera that cannot be used answers 502 with the plain reason (camera_unreachable,
 * camera_auth_failed, camera_clock_skew, camera_no_video_profile). A site-scoped admin adds
 * cameras to sites within their scope only.
 */
const Connection = {
  host: z.string().trim().min(1).max(253).regex(/^[^\s/@]+$/, { error: 'must be the camera address only, e.g. 192.168.1.64 (no "http://", no user name)' }).optional()
    .openapi({ description: 'ONVIF camera address (IP or name); give host or rtspUrl', example: '192.168.1.64' }),
  port: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be from 1 to 65535' }).max(65535, { error: 'must be from 1 to 65535' }).optional()
    .openapi({ description: 'ONVIF port (default 80)', example: 80 }),
  rtspUrl: z.string().max(2000).regex(/^rtsps?:\/\/[^\s]+$/i, { error: 'must start with rtsp:// or rtsps://' }).optional()
    .openapi({ description: 'A plain RTSP stream, for cameras without ONVIF', example: 'rtsp://192.168.1.64:554/Streaming/Channels/101' }),
  username: z.string().max(200).optional(),
  password: z.string().max(500).optional().openapi({ description: 'Never echoed, logged or audited' }),
};

const StreamSchema = z.object({ codec: z.enum(['H264', 'H265']), width: z.number().int(), height: z.number().int(), audio: z.string().nullable() });
const TestResultSchema = z
  .object({
    kind: z.enum(['onvif', 'rtsp']),
    manufacturer: z.string(),
    model: z.string(),
    firmwareVersion: z.string(),
    main: StreamSchema,
    sub: StreamSchema.nullable(),
    clockOffsetMs: z.number().nullable(),
    clockWarning: z.boolean(),
    profileG: z.boolean().nullable(),
  })
  .openapi('CameraTestResult');

const DiscoveredSchema = z
  .object({ address: z.string(), host: z.string(), port: z.number().int(), name: z.string(), model: z.string(), location: z.string(), profiles: z.array(z.string()), configuredAs: z.string().nullable() })
  .openapi('DiscoveredCamera');

type ConnectionBody = { host?: string | undefined; port?: number | undefined; rtspUrl?: string | undefined; username?: string | undefined; password?: string | undefined };

/** Exactly one of host or rtspUrl; an ONVIF login needs a user name. */
export function connectionFrom(b: ConnectionBody): CameraConnection {
  const wrong = (name: string, reason: string) => new VigilError('invalid_request', `${name} ${reason}`, { invalidParams: [{ name, in: 'body', reason }] });
  if ((b.host === undefined) === (b.rtspUrl === undefined)) throw wrong('host', 'give either the camera address (host, for an ONVIF camera) or an RTSP address (rtspUrl), not both or neither');
  if (b.host !== undefined) {
    if (!b.username) throw wrong('username', 'is needed: the user name of the camera’s ONVIF account');
    return { kind: 'onvif', host: b.host, port: b.port ?? 80, username: b.username, password: b.password ?? '' };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(b.rtspUrl!) && b.username !== undefined) throw wrong('rtspUrl', 'already carries a user name; give the login in the address or in username/password, not both');
  return { kind: 'rtsp', rtspUrl: b.rtspUrl!, username: b.username, password: b.password };
}

/** Where a connection points, safe for the audit log and messages. */
export function connectionLabel(c: CameraConnection): string {
  return c.kind === 'onvif' ? `${c.host}:${c.port}` : stripUrlCredentials(c.rtspUrl);
}

export function cameraAdminRoutes(ctx: AppContext, service: CameraAdminService): ApiRouteDef[] {
  const actorOf = (c: Context<AppEnv>) => ({ userId: c.get('principal').user.id, username: c.get('principal').user.username });
  const audit = (c: Context<AppEnv>, action: string, detail: Record<string, unknown>, cameraId?: string) =>
    ctx.deps.audit.append({ actor: actorOf(c), action, ip: c.get('origin').ip, ...(cameraId ? { cameraId } : {}), detail });
  const outcomeOf = (e: unknown) => (isVigilError(e) ? e.code : 'internal');

  const discover = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/admin/cameras/discover',
      summary: 'Find ONVIF cameras on the network (WS-Discovery, a few seconds)',
      tags: ['admin'],
      request: {
        body: { required: false, content: { 'application/json': { schema: z.strictObject({ timeoutMs: z.number().int().min(500, { error: 'must be at least 500 ms' }).max(10_000, { error: 'must be at most 10000 ms' }).default(3_000) }) } } },
      },
      responses: { 200: { description: 'The cameras that answered, by address', content: { 'application/json': { schema: z.object({ cameras: z.array(DiscoveredSchema) }) } } } },
    }),
    { permission: 'cameras.manage', site: NO_SITE },
    async (c) => {
      const body = (c.req.valid('json') as { timeoutMs?: number } | undefined) ?? {};
      const cameras = await service.discover(body.timeoutMs ?? 3_000);
      await audit(c, 'camera.discover', { found: cameras.length });
      return c.json({ cameras }, 200);
    },
  );

  const test = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/admin/cameras/test',
      summary: 'Test a camera connection: what Vigil would record, or what is wrong in plain words',
      tags: ['admin'],
      request: { body: { required: true, content: { 'application/json': { schema: z.strictObject(Connection) } } } },
      responses: {
        200: { description: 'The camera answers and has a stream Vigil can record', content: { 'application/json': { schema: TestResultSchema } } },
        502: { description: 'The camera does not answer, refuses the login, has its clock too far off, or has no H.264/H.265 stream' },
      },
    }),
    { permission: 'cameras.manage', site: NO_SITE },
    async (c) => {
      const connection = connectionFrom(c.req.valid('json'));
      const where = connectionLabel(connection);
      try {
        const result = await service.test(connection);
        await audit(c, 'camera.test', { address: where, outcome: 'ok' });
        return c.json(result, 200);
      } catch (e) {
        await audit(c, 'camera.test', { address: where, outcome: outcomeOf(e) });
        throw e;
      }
    },
  );

  const add = defineRoute(
    createRoute({
      method: 'post',
      path: '/api/v1/admin/cameras',
      summary: 'Add a camera: checked, written to the configuration file, recorded',
      tags: ['admin'],
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                // The configuration's own rules for a camera id and site (src/config/schema.ts).
                id: cameraSchema.shape.id,
                name: z.string().trim().min(1).max(200).optional(),
                site: cameraSchema.shape.site,
                audio: z.enum(['auto', 'off']).optional(),
                ...Connection,
              }),
            },
          },
        },
      },
      responses: {
        201: {
          description: 'Added; `recording` says whether it records now or after a restart',
          content: { 'application/json': { schema: z.object({ id: z.string(), configFile: z.string(), test: TestResultSchema.nullable(), recording: z.enum(['started', 'after_restart']), note: z.string().optional() }) } },
        },
        409: { description: 'A camera with this id exists' },
        502: { description: 'The camera cannot be used (plain reason in detail); nothing was written' },
      },
    }),
    { permission: 'cameras.manage', site: NO_SITE },
    async (c) => {
      const b = c.req.valid('json');
      const connection = connectionFrom(b);
      if (b.site !== undefined && !ctx.sites.get(b.site)) {
        throw new VigilError('invalid_request', `site names site "${b.site}", which does not exist`, { invalidParams: [{ name: 'site', in: 'body', reason: 'is not a site of this Vigil' }] });
      }
      // A site-scoped admin adds cameras to their own sites only.
      if (!ctx.sites.covers(c.get('principal').user.siteScopes, b.site ?? null)) {
        throw new VigilError('forbidden', b.site ? `you may add cameras only to sites within your own scope, not ${b.site}` : 'give the camera a site within your own scope (only an administrator without a site scope adds unsited cameras)');
      }
      const where = connectionLabel(connection);
      try {
        const result = await service.add({ id: b.id, name: b.name, site: b.site, audio: b.audio, connection });
        await audit(c, 'camera.add', { address: where, site: b.site ?? null, recording: result.recording, outcome: 'ok' }, b.id);
        return c.json(result, 201);
      } catch (e) {
        await audit(c, 'camera.add', { address: where, site: b.site ?? null, outcome: outcomeOf(e) }, b.id);
        throw e;
      }
    },
  );

  return [discover, test, add];
}
