import type { Generated } from 'kysely';

/**
 * Tables of the index, as Kysely sees them. Times are integer epoch ms (UTC), sizes bytes.
 * Columns declared `bigint` come back as numbers from SQLite; PostgreSQL's driver gives them as
 * strings unless told otherwise (Vigil's pool parses int8 as numbers: postgres-pool.ts), and
 * sum() is numeric (a string) on PostgreSQL, so repositories read every integer through Number().
 */
export interface CamerasTable {
  id: string;
  name: string | null;
  site_id: string | null;
  source: 'onvif' | 'rtsp';
  /** JSON object text: what onboarding learnt (model, firmware, profiles, clock offset…). Never credentials. */
  details: Generated<string>;
  created_ms: number;
  updated_ms: number;
}

export interface SegmentsTable {
  id: Generated<number>;
  camera_id: string;
  start_ms: number;
  duration_ms: number;
  size_bytes: number;
  sha256: string;
  object_key: string;
  /** Bytes of ftyp+moov at the start of the object (the HLS EXT-X-MAP byte range). */
  init_bytes: number;
  created_ms: number;
  /** Set while retention deletes the object (migration 0005); such a segment is no longer served. */
  deleting_ms: Generated<number | null>;
  /** Why: 'age' or 'quota' (kept with the mark so a resumed deletion still knows). */
  deleting_reason: Generated<string | null>;
  /** 'live' or 'backfill' (fetched later from the camera's own storage; migration 0007). */
  source: Generated<SegmentSource>;
}

export type SegmentSource = 'live' | 'backfill';

export interface BackfillJobsTable {
  id: Generated<number>;
  camera_id: string;
  gap_start_ms: number;
  gap_end_ms: number;
  gap_reason: string;
  state: string;
  attempts: Generated<number>;
  next_attempt_ms: number;
  recovered_ms: Generated<number>;
  detail: Generated<string>;
  created_ms: number;
  updated_ms: number;
}

export interface GapsTable {
  id: Generated<number>;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  reason: string;
  detail: string;
  created_ms: number;
}

export interface EventsTable {
  id: Generated<number>;
  camera_id: string;
  at_ms: number;
  from_state: string;
  to_state: string;
  detail: string;
}

/** Complaint cases (migration 0004). Actors are stored by id and name, without foreign keys to
 *  users: a case and its audit trail outlive an account. */
export interface CasesTable {
  id: string;
  /** The complaint reference as the office writes it (e.g. "KN-2026/031"); unique per site. */
  reference: string;
  title: string;
  description: string;
  site_id: string | null;
  status: 'open' | 'closed';
  created_by_id: string;
  created_by_name: string;
  created_ms: number;
  updated_ms: number;
  closed_ms: number | null;
}

export interface CaseClipsTable {
  id: Generated<number>;
  case_id: string;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  reason: string;
  added_by_id: string;
  added_by_name: string;
  added_ms: number;
  /** The legal hold this clip put on its range. */
  hold_id: number;
}

export interface HoldsTable {
  id: Generated<number>;
  case_id: string;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  created_by_id: string;
  created_by_name: string;
  created_ms: number;
  released_ms: number | null;
  released_by_id: string | null;
  released_by_name: string | null;
  release_reason: string | null;
}

export interface ExportsTable {
  id: string;
  case_id: string;
  camera_id: string;
  asked_start_ms: number;
  asked_end_ms: number;
  reason: string;
  requested_by_id: string;
  requested_by_name: string;
  requested_ip: string | null;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** 0..1 */
  progress: number;
  phase: string;
  error: string | null;
  /** Which ExportJobs runner owns the job (a restart fails only its own running jobs). */
  runner_id: string;
  created_ms: number;
  updated_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  actual_start_ms: number | null;
  actual_end_ms: number | null;
  object_key: string | null;
  size_bytes: number | null;
  package_sha256: string | null;
  key_fingerprint: string | null;
}

/** The hash-chained audit log (src/audit/). Append-only: rows are never updated or deleted. */
export interface AuditLogTable {
  seq: number;
  at_ms: number;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  camera_id: string | null;
  start_ms: number | null;
  end_ms: number | null;
  case_id: string | null;
  ip: string | null;
  reason: string | null;
  /** Canonical JSON text (sorted keys), exactly as hashed. */
  detail: string;
  prev_hash: string;
  hash: string;
}

/** Accounts (migration 0003). Usernames are stored lowercased; site_scopes is a JSON array of
 *  site ids ([] = every site); the password hash carries its own scrypt salt and parameters. */
export interface UsersTable {
  id: string;
  username: string;
  display_name: string;
  role: 'admin' | 'ops' | 'investigator' | 'viewer';
  site_scopes: string;
  /** 0 or 1 (portable across SQLite and PostgreSQL). */
  disabled: number;
  password_hash: string;
  created_ms: number;
  updated_ms: number;
}

/** Browser sessions; only the SHA-256 of the cookie value is stored. */
export interface SessionsTable {
  token_hash: string;
  user_id: string;
  created_ms: number;
  /** Absolute end of the session. */
  expires_ms: number;
  /** Last request seen (idle timeout), updated at most once a minute. */
  last_seen_ms: number;
  ip: string;
  user_agent: string;
}

/** Bearer tokens for scripts (`vgl_…`); only the SHA-256 of the token is stored. */
export interface ApiTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  name: string;
  created_ms: number;
  expires_ms: number | null;
  last_used_ms: number | null;
  revoked_ms: number | null;
}

/** Login failures per key ("user:<name>" or "ip:<address>") for the login rate limit. */
export interface LoginAttemptsTable {
  key: string;
  failures: number;
  last_failure_ms: number;
  locked_until_ms: number;
}

export interface Database {
  cameras: CamerasTable;
  segments: SegmentsTable;
  backfill_jobs: BackfillJobsTable;
  gaps: GapsTable;
  events: EventsTable;
  cases: CasesTable;
  case_clips: CaseClipsTable;
  holds: HoldsTable;
  exports: ExportsTable;
  audit_log: AuditLogTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_attempts: LoginAttemptsTable;
  expired_ranges: ExpiredRangesTable;
  recorder_nodes: RecorderNodesTable;
  camera_leases: CameraLeasesTable;
  retention_settings: RetentionSettingsTable;
}

/** Retention values set in the web UI (migration 0008); null = not overridden. */
export interface RetentionSettingsTable {
  /** 'default', 'site:<id>' or 'camera:<id>'. */
  key: string;
  /** 'default' | 'site' | 'camera'. */
  scope: string;
  /** '' for the default scope. */
  target_id: string;
  days: number | null;
  quota_bytes: number | null;
  updated_ms: number;
  updated_by: string;
}

/** Footage removed by retention (migration 0005): expired by policy, not lost. */
export interface ExpiredRangesTable {
  id: Generated<number>;
  camera_id: string;
  start_ms: number;
  end_ms: number;
  /** 'age' or 'quota'. */
  reason: string;
  created_ms: number;
}

/** A recorder node's heartbeat (migration 0006): live while expires_ms is ahead. */
export interface RecorderNodesTable {
  node_id: string;
  /** JSON array of site ids, or null for every site. */
  sites: string | null;
  started_ms: number;
  heartbeat_ms: number;
  expires_ms: number;
  /** The node's live endpoint as other nodes reach it (migration 0009), or null. */
  live_url: string | null;
}

/** Which node records a camera, under which epoch, until when (migration 0006). Never deleted. */
export interface CameraLeasesTable {
  camera_id: string;
  node_id: string;
  epoch: number;
  expires_ms: number;
  taken_ms: number;
}
