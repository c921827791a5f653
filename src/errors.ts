/**
 * Typed errors with a stable code. The API maps codes to HTTP status in one place; the CLI
 * prints message and hint. Messages must never carry secrets (see redact.ts).
 */
export const ERROR_CODES = {
  config_invalid: 'The configuration has wrong or missing values',
  config_unreadable: 'The configuration file cannot be read or parsed',
  invalid_time: 'A time is malformed',
  invalid_range: 'A time range is empty, reversed or too long',
  not_found: 'The thing asked for does not exist',
  unauthenticated: 'No valid session or token',
  forbidden: 'The caller may not do this',
  camera_unreachable: 'The camera does not answer on the network',
  camera_auth_failed: 'The camera rejected the credentials',
  camera_clock_skew: 'The camera clock is too far off for authentication',
  camera_no_video_profile: 'The camera offers no H.264/H.265 profile',
  camera_replay_failed: 'The camera refused, broke off or garbled a replay of its own recorded footage',
  store_unavailable: 'The object store does not answer',
  invalid_object_key: 'An object key or prefix is malformed or could escape the store',
  range_not_satisfiable: 'A byte range lies outside the object',
  database_unavailable: 'The index database cannot be opened, migrated or used',
  spool_full: 'The local spool is full',
  dependency_missing: 'A program Vigil needs is not installed',
  case_closed: 'The case is closed; reopen it before adding clips or exports',
  case_exists: 'A case with this complaint reference already exists at this site',
  evidence_key_unusable: 'The evidence signing key cannot be read, created or trusted',
  export_failed: 'An evidence export could not be built or stored',
  invalid_request: 'A request parameter or body field is missing or malformed',
  conflict: 'The change clashes with what exists (a taken name, the last admin)',
  too_many_attempts: 'Too many failed logins; wait before trying again',
  csrf_rejected: 'A browser request lacks the matching X-CSRF-Token header',
  internal: 'An unexpected error in Vigil',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class VigilError extends Error {
  override readonly name = 'VigilError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { hint?: string; [key: string]: unknown } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** A human hint on how to fix it, when one is known. */
  get hint(): string | undefined {
    return this.details.hint;
  }
}

export function isVigilError(e: unknown, code?: ErrorCode): e is VigilError {
  return e instanceof VigilError && (code === undefined || e.code === code);
}
