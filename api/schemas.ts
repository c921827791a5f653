import { z } from '@hono/zod-openapi';
import { USER_ROLES } from './permissions.ts';

/** Schemas shared by several routes, registered once as OpenAPI components. */
export const InvalidParamSchema = z
  .object({
    name: z.string(),
    in: z.enum(['path', 'query', 'header', 'cookie', 'body']),
    reason: z.string(),
  })
  .openapi('InvalidParam');

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:vigil:problem:invalid_range' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: 'Stable Vigil error code (src/errors.ts)' }),
    instance: z.string().openapi({ description: 'The request path' }),
    requestId: z.string().optional().openapi({ description: 'Quote it to the administrator; it is in the server log' }),
    hint: z.string().optional(),
    invalidParams: z.array(InvalidParamSchema).optional(),
    retryAfterSeconds: z.number().int().optional(),
  })
  .loose()
  .openapi('Problem', { description: 'RFC 9457 problem details' });

export const SiteIdSchema = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, { error: 'must be a site id of lowercase letters, digits and dashes' });

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: z.enum(USER_ROLES),
    sites: z.array(z.string()).openapi({ description: 'Site scopes; each covers its subtree. Empty: every site.' }),
    disabled: z.boolean(),
    created: z.string(),
    updated: z.string(),
  })
  .openapi('User');

export const IdParam = (what: string, example: string) =>
  z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, description: `${what} id`, example }) });
