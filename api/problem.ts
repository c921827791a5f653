import { ERROR_CODES, type ErrorCode, type VigilError } from '../src/errors.ts';
import { redactText, scrubSecrets } from '../src/redact.ts';

/**
 * The one mapping from Vigil error codes to HTTP: RFC 9457 problem details
 * (application/problem+json). 4xx for the caller's mistakes, 5xx only for ours. A code
 * missing here answers 500 and fails test/unit/api-problem.test.ts, so a new code gets its
 * status when it is added.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_PREFIX = 'urn:vigil:problem:';

export const STATUS_OF_CODE: { readonly [K in ErrorCode]?: number } = {
  invalid_request: 400,
  invalid_time: 400,
  invalid_range: 400,
  invalid_object_key: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_rejected: 403,
  not_found: 404,
  conflict: 409,
  case_closed: 409,
  case_exists: 409,
  range_not_satisfiable: 416,
  too_many_attempts: 429,
  internal: 500,
  config_invalid: 500,
  config_unreadable: 500,
  dependency_missing: 500,
  evidence_key_unusable: 500,
  export_failed: 500,
  camera_unreachable: 502,
  camera_auth_failed: 502,
  camera_clock_skew: 502,
  camera_no_video_profile: 502,
  camera_replay_failed: 502,
  store_unavailable: 503,
  database_unavailable: 503,
  spool_full: 503,
};

/** One bad parameter, as in RFC 9457's example: where it was, and what is wrong, in plain words. */
export interface InvalidParam {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  reason: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId?: string;
  hint?: string;
  invalidParams?: InvalidParam[];
  [extra: string]: unknown;
}

/**
 * Details of a VigilError that may reach a client. Anything else in details stays in the log:
 * details are written for operators and may name paths or hosts.
 */
const SAFE_DETAIL_KEYS = ['hint', 'invalidParams', 'gaps', 'retryAfterSeconds', 'maxRangeMs', 'cameraId', 'caseId'] as const;

export function statusOfCode(code: ErrorCode): number {
  return STATUS_OF_CODE[code] ?? 500;
}

export function titleOfCode(code: ErrorCode): string {
  return ERROR_CODES[code] ?? ERROR_CODES.internal;
}

/** The problem for a VigilError: its own message (scrubbed) and only the safe details. */
export function problemFromVigilError(e: VigilError, instance: string, requestId: string): Problem {
  const status = statusOfCode(e.code);
  const problem: Problem = {
    type: PROBLEM_TYPE_PREFIX + e.code,
    title: titleOfCode(e.code),
    status,
    detail: redactText(e.message),
    code: e.code,
    instance,
    requestId,
  };
  for (const key of SAFE_DETAIL_KEYS) {
    const v = e.details[key];
    if (v !== undefined) (problem as Record<string, unknown>)[key] = scrubSecrets(v);
  }
  return problem;
}

/** The problem for an error we did not expect: nothing of it reaches the client but an id to quote. */
export function internalProblem(instance: string, requestId: string): Problem {
  return {
    type: PROBLEM_TYPE_PREFIX + 'internal',
    title: ERROR_CODES.internal,
    status: 500,
    detail: `Vigil hit an unexpected error and did not finish the request. Give the administrator this error id: ${requestId}`,
    code: 'internal',
    instance,
    requestId,
  };
}

/** A problem with a status from the HTTP layer itself (unsupported media type, bad JSON, …). */
export function httpProblem(status: number, detail: string, instance: string, requestId: string): Problem {
  const code: ErrorCode = status === 404 ? 'not_found' : status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status >= 500 ? 'internal' : 'invalid_request';
  return { type: PROBLEM_TYPE_PREFIX + code, title: titleOfCode(code), status, detail, code, instance, requestId };
}
