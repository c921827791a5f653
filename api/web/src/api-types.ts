/** The shapes of the API's answers the UI reads (see /api/openapi.json). */
export type Role = 'admin' | 'ops' | 'investigator' | 'viewer';

export type Permission =
  | 'account'
  | 'sites.view'
  | 'cameras.view'
  | 'timeline.view'
  | 'events.view'
  | 'live.view'
  | 'playback.view'
  | 'thumbnails.view'
  | 'clips.create'
  | 'cases.view'
  | 'cases.edit'
  | 'exports.create'
  | 'metrics.view'
  | 'reports.view'
  | 'audit.view'
  | 'users.manage'
  | 'cameras.manage'
  | 'retention.manage';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  sites: string[];
  disabled: boolean;
  created: string;
  updated: string;
}

export interface Me {
  user: User;
  permissions: Permission[];
  via: 'session' | 'token';
  csrfToken?: string;
  sessionExpires?: string;
}

export interface Site {
  id: string;
  name: string;
  parentId: string | null;
  depth: number;
  path: Array<{ id: string; name: string }>;
  cameras: number;
}

export interface Camera {
  id: string;
  name: string;
  site: { id: string; name: string } | null;
  configured: boolean;
  enabled: boolean;
  state: string;
  stateSince: string | null;
  stateSinceMs: number | null;
  lastFootageEnd: string | null;
  lastFootageEndMs: number | null;
}

export interface Range {
  start: string;
  end: string;
  startMs: number;
  endMs: number;
}

export interface Timeline extends Range {
  cameraId: string;
  /** source: 'backfill' = recovered afterwards from the camera's own storage (SD card). */
  spans: Array<Range & { segments: number; source?: 'live' | 'backfill' }>;
  gaps: Array<Range & { reason: string }>;
  unknown: Range[];
}

export interface CameraEvent {
  at: string;
  atMs: number;
  from: string;
  to: string;
  detail: string;
}

export interface Actor {
  userId: string;
  username: string;
}

export interface Case {
  id: string;
  reference: string;
  title: string;
  description: string;
  site: { id: string; name: string } | null;
  status: 'open' | 'closed';
  createdBy: Actor;
  created: string;
  createdMs: number;
  updated: string;
  updatedMs: number;
  closed: string | null;
  closedMs: number | null;
}

export interface CaseClip extends Range {
  id: number;
  caseId: string;
  cameraId: string;
  reason: string;
  addedBy: Actor;
  added: string;
  holdId: number;
}

export interface Hold extends Range {
  id: number;
  caseId: string;
  cameraId: string;
  active: boolean;
}

export interface ExportJob {
  id: string;
  caseId: string;
  cameraId: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  /** 0..1 */
  progress: number;
  phase: string;
  error: string | null;
  reason: string;
  requestedBy: Actor;
  askedRange: Range;
  actualRange: Range | null;
  created: string;
  started: string | null;
  finished: string | null;
  sizeBytes: number | null;
  packageSha256: string | null;
  keyFingerprint: string | null;
  links: { self: string; package: string | null };
}

/** POST /api/v1/admin/cameras/discover (api/routes/camera-admin-routes.ts). */
export interface DiscoveredCamera {
  address: string;
  host: string;
  port: number;
  name: string;
  model: string;
  location: string;
  profiles: string[];
  configuredAs: string | null;
}

export interface StreamSummary {
  codec: 'H264' | 'H265';
  width: number;
  height: number;
  audio: string | null;
}

/** POST /api/v1/admin/cameras/test */
export interface CameraTestResult {
  kind: 'onvif' | 'rtsp';
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  main: StreamSummary;
  sub: StreamSummary | null;
  clockOffsetMs: number | null;
  clockWarning: boolean;
  profileG: boolean | null;
}

/** POST /api/v1/admin/cameras */
export interface CameraAddResult {
  id: string;
  configFile: string;
  test: CameraTestResult | null;
  recording: 'started' | 'after_restart';
  note?: string;
}

/** One retention value and where it comes from (GET /api/v1/admin/retention). */
export interface RetentionValue {
  config: number | null;
  saved: number | null;
  effective: number | null;
  source: 'saved' | 'config' | 'inherited' | 'none';
  from?: string;
}

export interface RetentionSettings {
  default: { days: RetentionValue; quotaBytes: RetentionValue };
  sites: Array<{ id: string; name: string; parent: string | null; days: RetentionValue; quotaBytes: RetentionValue }>;
  cameras: Array<{ id: string; name: string; site: string | null; days: RetentionValue }>;
  schedule: string;
  timeZone: string;
}
