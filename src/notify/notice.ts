/**
 * What the roles tell the notifier (RecorderEvent, RetentionEvent) and what the notifier
 * sends (Notice). Events are raw facts as they happen; notices are the few of them a person
 * should be told about, decided by notice-rules.ts.
 */
export type RecorderEvent =
  /** A watchdog transition of one camera. */
  | { type: 'camera_state'; cameraId: string; fromState: string; toState: string; atMs: number; reason: string | null; detail: string }
  /** A gap row was written. */
  | { type: 'gap'; cameraId: string; atMs: number; startMs: number; endMs: number; reason: string; detail: string }
  /** The spool quota policy dropped the oldest segments. */
  | { type: 'spool_dropped'; atMs: number; segments: number; cameraIds: string[]; usedBytes: number; quotaBytes: number }
  /** An upload attempt failed (the uploader retries). */
  | { type: 'upload_failed'; atMs: number; error: string }
  /** A segment reached the store and the index. */
  | { type: 'upload_ok'; atMs: number };

export type RetentionEvent = {
  type: 'retention_run';
  atMs: number;
  ok: boolean;
  /** Each quota and how full it is after the run. */
  quotas: Array<{ scope: string; quotaBytes: number; usedBytes: number; unmet: boolean }>;
  warnAtFraction: number;
};

export type NotifyEvent = RecorderEvent | RetentionEvent | { type: 'tick'; atMs: number };

export const NOTICE_KINDS = [
  'camera_down',
  'camera_up',
  'gaps',
  'spool_full',
  'store_unreachable',
  'store_recovered',
  'quota_near',
  'quota_unmet',
  'retention_failed',
  'retention_recovered',
  'daily_report',
] as const;

export type NoticeKind = (typeof NOTICE_KINDS)[number];

export type Severity = 'critical' | 'warning' | 'info';

export interface GapItem {
  cameraId: string;
  startMs: number;
  endMs: number;
  reason: string;
}

export type NoticeData =
  | { kind: 'camera_down'; cameraId: string; sinceMs: number; state: string; reason: string | null; detail: string }
  | { kind: 'camera_up'; cameraId: string; downSinceMs: number; upAtMs: number }
  | { kind: 'gaps'; gaps: GapItem[] }
  | { kind: 'spool_full'; segments: number; cameraIds: string[]; usedBytes: number; quotaBytes: number }
  | { kind: 'store_unreachable'; sinceMs: number; failures: number; error: string }
  | { kind: 'store_recovered'; downSinceMs: number; upAtMs: number }
  | { kind: 'quota_near'; scope: string; quotaBytes: number; usedBytes: number }
  | { kind: 'quota_unmet'; scope: string; quotaBytes: number; usedBytes: number }
  | { kind: 'retention_failed'; sinceMs: number }
  | { kind: 'retention_recovered'; downSinceMs: number; upAtMs: number }
  | { kind: 'daily_report'; dayStartMs: number; sites: DailySiteLine[] };

/** One site of the daily report: its uptime and the cameras below the mark. */
export interface DailySiteLine {
  siteId: string | null;
  recordedFraction: number | null;
  cameras: number;
  low: Array<{ cameraId: string; recordedFraction: number | null }>;
}

/** One thing to tell people, before it is worded and addressed to webhooks. */
export interface Notice {
  /** Stable across retries, so a receiver can drop duplicates. */
  id: string;
  atMs: number;
  severity: Severity;
  data: NoticeData;
}

/** Cameras a notice is about (for site filters of webhooks). Empty: about the whole install. */
export function noticeCameras(data: NoticeData): string[] {
  switch (data.kind) {
    case 'camera_down':
    case 'camera_up':
      return [data.cameraId];
    case 'gaps':
      return [...new Set(data.gaps.map((g) => g.cameraId))];
    case 'spool_full':
      return data.cameraIds;
    default:
      return [];
  }
}
