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
  | 'users.manage';

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
  spans: Array<Range & { segments: number }>;
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
