import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isVigilError, VigilError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import type { AppEnv } from './app-deps.ts';
import { httpProblem, internalProblem, PROBLEM_CONTENT_TYPE, problemFromVigilError, type Problem } from './problem.ts';
import { invalidParamsFromIssues, locationOfTarget, type IssueLike } from './validation-problem.ts';

/**
 * Every failure leaves the API as problem+json: VigilErrors by their code, request validation
 * as a 400 listing each bad parameter, HTTP-layer refusals (bad JSON, unsupported media type,
 * body too large) with their status, unknown routes as 404, and anything unexpected as a 500
 * whose only detail is an error id that is also in the log line with the stack.
 */
export function problemResponse(c: Context<AppEnv>, problem: Problem): Response {
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store' };
  if (problem.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="vigil"';
  if (problem.status === 429 && typeof problem.retryAfterSeconds === 'number') headers['Retry-After'] = String(problem.retryAfterSeconds);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}

function instanceOf(c: Context<AppEnv>): string {
  // The path only: a query string may hold something the caller should not see echoed.
  return new URL(c.req.url).pathname;
}

export function onError(log: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    const requestId = c.get('requestId') ?? 'none';
    if (isVigilError(err)) {
      const problem = problemFromVigilError(err, instanceOf(c), requestId);
      if (problem.status >= 500) log.error({ requestId, code: err.code, err }, 'request failed');
      return problemResponse(c, problem);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const detail = status === 415 ? 'send the body as JSON (Content-Type: application/json)' : err.message || 'the request was refused';
      const res = problemResponse(c, httpProblem(status, detail.replace(/^Malformed JSON.*$/i, 'the request body is not valid JSON'), instanceOf(c), requestId));
      // The rest of an oversized body is never read: the connection cannot carry another request.
      if (status === 413) res.headers.set('Connection', 'close');
      return res;
    }
    log.error({ requestId, err }, 'unexpected error in a request');
    return problemResponse(c, internalProblem(instanceOf(c), requestId));
  };
}

export function notFound(c: Context<AppEnv>): Response {
  const problem = problemFromVigilError(
    new VigilError('not_found', `there is no API route ${c.req.method} ${instanceOf(c)}`, { hint: 'The routes are listed in /api/openapi.json.' }),
    instanceOf(c),
    c.get('requestId') ?? 'none',
  );
  return problemResponse(c, problem);
}

/** zod-openapi's validation hook: a failed parse becomes a 400 listing every bad parameter. */
export function validationHook(result: { success: boolean; target: string; error?: { issues: readonly IssueLike[] } }): void {
  if (result.success || !result.error) return;
  const invalidParams = invalidParamsFromIssues(result.error.issues, locationOfTarget(result.target));
  const list = invalidParams.map((p) => `${p.name} ${p.reason}`).join('; ');
  throw new VigilError('invalid_request', `the request has ${invalidParams.length === 1 ? 'a wrong value' : `${invalidParams.length} wrong values`}: ${list}`, { invalidParams });
}
