import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { internalProblem, problemFromVigilError, STATUS_OF_CODE, statusOfCode } from '../../api/problem.ts';
import { invalidParamsFromIssues, type IssueLike } from '../../api/validation-problem.ts';
import { ERROR_CODES, VigilError, type ErrorCode } from '../../src/errors.ts';

describe('error code → HTTP status', () => {
  it('maps every error code explicitly (a new code must be given its status here)', () => {
    const missing = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => STATUS_OF_CODE[c] === undefined);
    expect(missing).toEqual([]);
  });

  it.each<[ErrorCode, number]>([
    ['invalid_time', 400],
    ['invalid_range', 400],
    ['invalid_request', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['csrf_rejected', 403],
    ['not_found', 404],
    ['conflict', 409],
    ['range_not_satisfiable', 416],
    ['too_many_attempts', 429],
    ['store_unavailable', 503],
    ['database_unavailable', 503],
    ['internal', 500],
  ])('%s → %i', (code, status) => {
    expect(statusOfCode(code)).toBe(status);
  });

  it('says 4xx only for the caller’s mistakes: infrastructure and configuration are 5xx', () => {
    for (const c of ['config_invalid', 'config_unreadable', 'dependency_missing', 'store_unavailable', 'database_unavailable', 'spool_full', 'internal'] as ErrorCode[]) {
      expect(statusOfCode(c), c).toBeGreaterThanOrEqual(500);
    }
  });
});

describe('problem details', () => {
  it('carries the message (scrubbed) and only safe details', () => {
    const e = new VigilError('store_unavailable', 'cannot reach http://minio:secret@10.0.0.5:9000 (password=hunter2 given)', {
      hint: 'Check the MinIO address.',
      path: '/var/lib/vigil/secret-file',
      accessKey: 'AKIA123',
      gaps: [{ startMs: 1, endMs: 2, reason: 'camera_unreachable' }],
    });
    const p = problemFromVigilError(e, '/api/v1/x', 'req-1');
    expect(p).toEqual({
      type: 'urn:vigil:problem:store_unavailable',
      title: ERROR_CODES.store_unavailable,
      status: 503,
      detail: 'cannot reach http://[redacted]@10.0.0.5:9000 (password=[redacted] given)',
      code: 'store_unavailable',
      instance: '/api/v1/x',
      requestId: 'req-1',
      hint: 'Check the MinIO address.',
      gaps: [{ startMs: 1, endMs: 2, reason: 'camera_unreachable' }],
    });
  });

  it('says nothing of an unexpected error but the id to quote', () => {
    const p = internalProblem('/api/v1/x', 'abc');
    expect(p.status).toBe(500);
    expect(p.detail).toContain('abc');
    expect(Object.keys(p).sort()).toEqual(['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type']);
  });
});

describe('validation issues in plain words', () => {
  const schema = z.strictObject({
    username: z.string().min(3),
    role: z.enum(['admin', 'viewer']),
    sites: z.array(z.string()).max(2),
    age: z.number().int(),
    custom: z.string().regex(/^x/, { error: 'must start with x' }),
  });
  const issuesOf = (input: unknown) => (schema.safeParse(input).error?.issues ?? []) as unknown as IssueLike[];

  it.each<[string, Record<string, unknown>, { name: string; reason: string }[]]>([
    ['missing fields', { role: 'admin', sites: [], age: 1, custom: 'x' }, [{ name: 'username', reason: 'is required' }]],
    ['wrong types', { username: 5, role: 'admin', sites: [], age: 'old', custom: 'x' }, [{ name: 'username', reason: 'must be text' }, { name: 'age', reason: 'must be a number' }]],
    ['too short', { username: 'ab', role: 'admin', sites: [], age: 1, custom: 'x' }, [{ name: 'username', reason: 'must be at least 3 characters long' }]],
    ['not one of the options', { username: 'abc', role: 'boss', sites: [], age: 1, custom: 'x' }, [{ name: 'role', reason: 'must be one of "admin", "viewer"' }]],
    ['too many items', { username: 'abc', role: 'admin', sites: ['a', 'b', 'c'], age: 1, custom: 'x' }, [{ name: 'sites', reason: 'must list at most 2 item(s)' }]],
    ['an item of the wrong type', { username: 'abc', role: 'admin', sites: ['a', 3], age: 1, custom: 'x' }, [{ name: 'sites[1]', reason: 'must be text' }]],
    ['a schema’s own message is kept', { username: 'abc', role: 'admin', sites: [], age: 1, custom: 'y' }, [{ name: 'custom', reason: 'must start with x' }]],
    ['unknown fields, each named', { username: 'abc', role: 'admin', sites: [], age: 1, custom: 'x', pasword: 'x', extra: 1 }, [{ name: 'pasword', reason: 'is not a known field; remove it (check its spelling)' }, { name: 'extra', reason: 'is not a known field; remove it (check its spelling)' }]],
  ])('%s', (_n, input, want) => {
    const got = invalidParamsFromIssues(issuesOf(input), 'body');
    expect(got).toEqual(want.map((w) => ({ ...w, in: 'body' })));
  });
});
