import { createRoute, z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRoute, NO_SITE } from '../../api/route-def.ts';
import { VigilError } from '../../src/errors.ts';
import { problemOf, startApiHarness, type ApiHarness, type Credential } from './api-harness.ts';

/**
 * Every failure is RFC 9457 problem+json, over real HTTP: unexpected errors (no stack, an id
 * that is in the log), Vigil errors with only safe extras, validation, HTTP-layer refusals
 * and unknown routes. Two test-only routes are added through createApp's extra routes, the
 * way the lead adds the media routes.
 */
describe('problem+json answers', () => {
  let h: ApiHarness;
  let admin: Credential;
  beforeAll(async () => {
    h = await startApiHarness({
      extraRoutes: () => [
        defineRoute(
          createRoute({ method: 'get', path: '/api/v1/test/crash', responses: { 200: { description: 'never' } } }),
          { permission: 'account', site: NO_SITE },
          () => {
            throw new Error('db password=hunter2 at /srv/secret/path');
          },
        ),
        defineRoute(
          createRoute({ method: 'get', path: '/api/v1/test/vigil-error', responses: { 200: { description: 'never' } } }),
          { permission: 'account', site: NO_SITE },
          () => {
            throw new VigilError('invalid_range', 'the clip has a gap', { gaps: [{ startMs: 1, endMs: 2, reason: 'stream_stalled' }], objectKey: 'cam/2026/secret.mp4' });
          },
        ),
        defineRoute(
          createRoute({ method: 'get', path: '/api/v1/test/query', request: { query: z.object({ n: z.coerce.number().int().min(1) }) }, responses: { 200: { description: 'ok' } } }),
          { public: true, why: 'test' },
          (c) => c.json({ n: c.req.valid('query').n }, 200),
        ),
      ],
    });
    admin = await h.token(await h.createUser({ username: 'root', role: 'admin' }));
  });
  afterAll(async () => h?.close());

  it('answers an unexpected error with 500, no stack and no message, and an id found in the log', async () => {
    const res = await h.fetch('/api/v1/test/crash', { headers: admin.headers() });
    expect(res.status).toBe(500);
    const p = await problemOf(res);
    expect(p).toMatchObject({ type: 'urn:vigil:problem:internal', status: 500, code: 'internal', instance: '/api/v1/test/crash' });
    const text = JSON.stringify(p);
    for (const leak of ['hunter2', 'secret', 'at ', 'Error']) expect(text).not.toContain(leak);
    expect(res.headers.get('x-request-id')).toBe(p.requestId);
    const line = h.logLines().find((l) => l.requestId === p.requestId && l.msg === 'unexpected error in a request')!;
    expect(line).toBeDefined();
    expect(JSON.stringify(line)).toContain('at '); // the stack is in the log …
    expect(JSON.stringify(line)).not.toContain('hunter2'); // … scrubbed of secrets
  });

  it('gives a VigilError its status and safe extras, and keeps other details in the server', async () => {
    const res = await h.fetch('/api/v1/test/vigil-error', { headers: admin.headers() });
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p).toMatchObject({ code: 'invalid_range', detail: 'the clip has a gap', gaps: [{ startMs: 1, endMs: 2, reason: 'stream_stalled' }] });
    expect(JSON.stringify(p)).not.toContain('secret.mp4');
  });

  it('lists every bad parameter of a request, with where it was', async () => {
    const res = await h.fetch('/api/v1/users', { method: 'POST', headers: admin.headers(), json: { username: 'a b', role: 'boss', password: 'x', colour: 'red' } });
    expect(res.status).toBe(400);
    const p = await problemOf(res);
    expect(p.code).toBe('invalid_request');
    const params = p.invalidParams as { name: string; in: string; reason: string }[];
    expect(params.map((x) => x.name).sort()).toEqual(['colour', 'displayName', 'role', 'username']);
    for (const x of params) {
      expect(x.in).toBe('body');
      expect(x.reason).not.toMatch(/^Invalid|expected/);
    }
    expect(p.detail).toMatch(/^the request has 4 wrong values: /);
    const q = await problemOf(await h.fetch('/api/v1/test/query?n=zero'));
    expect(q.invalidParams).toEqual([{ name: 'n', in: 'query', reason: 'must be a number' }]);
  });

  it('refuses malformed JSON, a non-JSON body and an oversized body as problems', async () => {
    const bad = await h.fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username": ' });
    expect(bad.status).toBe(400);
    expect((await problemOf(bad)).detail).toBe('the request body is not valid JSON');
    const form = await h.fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=a&password=b' });
    expect(form.status).toBe(415);
    expect((await problemOf(form)).status).toBe(415);
    const big = await h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: 'a', password: 'x'.repeat(300 * 1024) } });
    expect(big.status).toBe(413);
    expect((await problemOf(big)).detail).toContain('256 KiB');
  });

  it('refuses NUL characters in bodies and query strings the same on every database', async () => {
    const body = await h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: 'a\u0000b', password: 'whatever-long' } });
    expect(body.status).toBe(400);
    expect((await problemOf(body)).detail).toContain('NUL character');
    const query = await h.fetch('/api/v1/test/query?n=1%00');
    expect(query.status).toBe(400);
    expect((await problemOf(query)).detail).toContain('NUL character');
    const fine = await h.fetch('/api/v1/test/query?n=3');
    expect(fine.status).toBe(200);
  });

  it('answers unknown routes and wrong methods with a 404 problem', async () => {
    for (const [method, path] of [['GET', '/api/v1/nothing-here'], ['DELETE', '/api/v1/cameras'], ['GET', '/']] as const) {
      const res = await h.fetch(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await problemOf(res)).detail).toBe(`there is no API route ${method} ${path}`);
    }
  });

  it('never echoes a query string into a problem', async () => {
    const res = await h.fetch('/api/v1/cameras/x?token=vgl_secretsecret&start=bad');
    const p = await problemOf(res);
    expect(p.status).toBe(401);
    expect(JSON.stringify(p)).not.toContain('secretsecret');
    expect(p.instance).toBe('/api/v1/cameras/x');
  });

  it('counts requests by route pattern, not by raw path', async () => {
    await h.fetch('/api/v1/cameras/ward-a-counter-1', { headers: admin.headers() });
    const text = await (await h.fetch('/api/v1/metrics', { headers: admin.headers() })).text();
    expect(text).toMatch(/vigil_http_requests_total\{method="GET",route="\/api\/v1\/cameras\/\{id\}",status="200"\} 1/);
    expect(text).not.toContain('ward-a-counter-1');
    expect(text).toMatch(/vigil_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
  });

  it('sets headers that keep personal data out of caches and frames', async () => {
    const res = await h.fetch('/api/v1/cameras', { headers: admin.headers() });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
