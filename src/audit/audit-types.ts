/**
 * One audit entry as callers give it. The audit log (src/audit/) adds the time, the sequence
 * number and the hash chain. Every view of footage (clip, playback, thumbnail, live), every
 * export, every login (good or bad) and every admin change is one entry.
 */
export interface AuditEntryInput {
  /** Who: the user id and name, or null for an anonymous attempt (a failed login). */
  actor: { userId: string; username: string } | null;
  /** Stable verb such as 'clip.view', 'playback.view', 'thumbnail.view', 'live.view',
   *  'export.create', 'auth.login', 'auth.login_failed', 'user.create', 'case.create'. */
  action: string;
  cameraId?: string | undefined;
  startMs?: number | undefined;
  endMs?: number | undefined;
  caseId?: string | undefined;
  /** The caller's address as seen by the API. */
  ip?: string | undefined;
  /** Why, when the caller gave a reason (required for exports and case clips). */
  reason?: string | undefined;
  /** Extra facts as plain JSON; never secrets. */
  detail?: Record<string, unknown> | undefined;
}

export interface AuditSink {
  append(entry: AuditEntryInput): Promise<void>;
}
