import type { GapItem, NoticeData, NotifyEvent, Severity } from './notice.ts';

/**
 * Which events become notices, as a pure function of (state, event) → (state, notices, when
 * to look again). The notifier calls it for every event and again at `wakeAtMs` (a `tick`).
 *
 * - camera_down: a camera not recording for `cameraDownAfterMs` (default 60 s, the same as the
 *   "camera down > 1 min" alert), with the time it stopped; a blip shorter than that is no
 *   notice. camera_up: when a camera that was announced down records again, with how long.
 *   A stopping recorder (state `stopped`) is not a camera outage.
 * - gaps: gap rows of at least `gapMinMs` not inside an announced outage (those are told by
 *   down/up already), gathered for `gapBatchMs` so a recorder restart that leaves a
 *   `recorder_down` gap on every camera is one message, not one per camera.
 * - spool_full: when the spool policy drops footage, at most once per `spoolNoticeEveryMs`.
 * - store_unreachable: uploads failing for `storeDownAfterMs` without one success;
 *   store_recovered at the next success.
 * - quota_near / quota_unmet: when a retention run finds a quota's state worse than before;
 *   retention_failed / retention_recovered when a run fails, and the first success after.
 */
export interface NoticeRulesOptions {
  cameraDownAfterMs: number;
  gapMinMs: number;
  gapBatchMs: number;
  storeDownAfterMs: number;
  spoolNoticeEveryMs: number;
}

export const DEFAULT_NOTICE_RULES: NoticeRulesOptions = {
  cameraDownAfterMs: 60_000,
  gapMinMs: 60_000,
  gapBatchMs: 10_000,
  storeDownAfterMs: 60_000,
  spoolNoticeEveryMs: 15 * 60_000,
};

interface CameraWatch {
  /** When the camera stopped recording (null while recording). */
  downSinceMs: number | null;
  state: string;
  reason: string | null;
  detail: string;
  announced: boolean;
  /** The last announced outage, to keep its gaps from being told twice. */
  lastOutage: { startMs: number; endMs: number } | null;
}

type QuotaLevel = 'ok' | 'near' | 'unmet';

export interface NoticeState {
  cameras: Readonly<Record<string, CameraWatch>>;
  pendingGaps: readonly GapItem[];
  pendingGapsDueMs: number | null;
  store: { failingSinceMs: number | null; failures: number; lastError: string; announced: boolean };
  spoolNoticeMs: number | null;
  quotas: Readonly<Record<string, QuotaLevel>>;
  retentionFailingSinceMs: number | null;
}

export interface PlannedNotice {
  atMs: number;
  severity: Severity;
  data: NoticeData;
}

export interface Decision {
  state: NoticeState;
  notices: PlannedNotice[];
  /** When to call again with a tick (a debounce falls due), or null. */
  wakeAtMs: number | null;
}

export function initialNoticeState(): NoticeState {
  return {
    cameras: {},
    pendingGaps: [],
    pendingGapsDueMs: null,
    store: { failingSinceMs: null, failures: 0, lastError: '', announced: false },
    spoolNoticeMs: null,
    quotas: {},
    retentionFailingSinceMs: null,
  };
}

export function decideNotices(state: NoticeState, event: NotifyEvent, o: NoticeRulesOptions): Decision {
  const notices: PlannedNotice[] = [];
  let s = state;
  switch (event.type) {
    case 'camera_state': {
      const prev: CameraWatch = s.cameras[event.cameraId] ?? { downSinceMs: null, state: event.fromState, reason: null, detail: '', announced: false, lastOutage: null };
      let cam: CameraWatch;
      if (event.toState === 'recording') {
        if (prev.announced && prev.downSinceMs !== null) {
          notices.push({ atMs: event.atMs, severity: 'info', data: { kind: 'camera_up', cameraId: event.cameraId, downSinceMs: prev.downSinceMs, upAtMs: event.atMs } });
        }
        cam = { ...prev, downSinceMs: null, state: 'recording', reason: null, detail: '', announced: false, lastOutage: prev.announced && prev.downSinceMs !== null ? { startMs: prev.downSinceMs, endMs: event.atMs } : prev.lastOutage };
      } else if (event.toState === 'stopped') {
        cam = { ...prev, downSinceMs: null, state: 'stopped', announced: false };
      } else {
        cam = {
          ...prev,
          downSinceMs: prev.downSinceMs ?? event.atMs,
          state: event.toState,
          reason: event.reason ?? prev.reason,
          detail: event.detail || prev.detail,
        };
      }
      s = { ...s, cameras: { ...s.cameras, [event.cameraId]: cam } };
      break;
    }
    case 'gap': {
      if (event.endMs - event.startMs < o.gapMinMs) break;
      const cam = s.cameras[event.cameraId];
      const outage = cam?.announced && cam.downSinceMs !== null ? { startMs: cam.downSinceMs, endMs: Number.MAX_SAFE_INTEGER } : cam?.lastOutage ?? null;
      if (outage && event.startMs < outage.endMs && outage.startMs < event.endMs) break; // told by down/up
      const item: GapItem = { cameraId: event.cameraId, startMs: event.startMs, endMs: event.endMs, reason: event.reason };
      s = { ...s, pendingGaps: [...s.pendingGaps, item], pendingGapsDueMs: s.pendingGapsDueMs ?? event.atMs + o.gapBatchMs };
      break;
    }
    case 'spool_dropped': {
      if (s.spoolNoticeMs !== null && event.atMs - s.spoolNoticeMs < o.spoolNoticeEveryMs) break;
      notices.push({
        atMs: event.atMs,
        severity: 'critical',
        data: { kind: 'spool_full', segments: event.segments, cameraIds: event.cameraIds, usedBytes: event.usedBytes, quotaBytes: event.quotaBytes },
      });
      s = { ...s, spoolNoticeMs: event.atMs };
      break;
    }
    case 'upload_failed':
      s = { ...s, store: { ...s.store, failingSinceMs: s.store.failingSinceMs ?? event.atMs, failures: s.store.failures + 1, lastError: event.error } };
      break;
    case 'upload_ok':
      if (s.store.announced && s.store.failingSinceMs !== null) {
        notices.push({ atMs: event.atMs, severity: 'info', data: { kind: 'store_recovered', downSinceMs: s.store.failingSinceMs, upAtMs: event.atMs } });
      }
      if (s.store.failingSinceMs !== null) s = { ...s, store: { failingSinceMs: null, failures: 0, lastError: '', announced: false } };
      break;
    case 'retention_run': {
      if (!event.ok) {
        if (s.retentionFailingSinceMs === null) {
          notices.push({ atMs: event.atMs, severity: 'critical', data: { kind: 'retention_failed', sinceMs: event.atMs } });
          s = { ...s, retentionFailingSinceMs: event.atMs };
        }
        break;
      }
      if (s.retentionFailingSinceMs !== null) {
        notices.push({ atMs: event.atMs, severity: 'info', data: { kind: 'retention_recovered', downSinceMs: s.retentionFailingSinceMs, upAtMs: event.atMs } });
      }
      const quotas: Record<string, QuotaLevel> = {};
      for (const q of event.quotas) {
        const level: QuotaLevel = q.unmet ? 'unmet' : q.usedBytes > q.quotaBytes * event.warnAtFraction ? 'near' : 'ok';
        quotas[q.scope] = level;
        if (rank(level) > rank(s.quotas[q.scope] ?? 'ok')) {
          notices.push({
            atMs: event.atMs,
            severity: level === 'unmet' ? 'critical' : 'warning',
            data: { kind: level === 'unmet' ? 'quota_unmet' : 'quota_near', scope: q.scope, quotaBytes: q.quotaBytes, usedBytes: q.usedBytes },
          });
        }
      }
      s = { ...s, quotas, retentionFailingSinceMs: null };
      break;
    }
    case 'tick':
      break;
  }
  return settle(s, event.atMs, o, notices);
}

/** Fires the debounces that are due at `nowMs` and says when the next one falls due. */
function settle(state: NoticeState, nowMs: number, o: NoticeRulesOptions, notices: PlannedNotice[]): Decision {
  let s = state;
  let wakeAtMs: number | null = null;
  const wake = (ms: number) => (wakeAtMs = wakeAtMs === null ? ms : Math.min(wakeAtMs, ms));

  let cameras: Record<string, CameraWatch> | null = null;
  for (const [cameraId, cam] of Object.entries(s.cameras)) {
    if (cam.downSinceMs === null || cam.announced) continue;
    const dueMs = cam.downSinceMs + o.cameraDownAfterMs;
    if (nowMs >= dueMs) {
      notices.push({
        atMs: nowMs,
        severity: 'critical',
        data: { kind: 'camera_down', cameraId, sinceMs: cam.downSinceMs, state: cam.state, reason: cam.reason, detail: cam.detail },
      });
      cameras ??= { ...s.cameras };
      cameras[cameraId] = { ...cam, announced: true };
    } else wake(dueMs);
  }
  if (cameras) s = { ...s, cameras };

  if (s.store.failingSinceMs !== null && !s.store.announced) {
    const dueMs = s.store.failingSinceMs + o.storeDownAfterMs;
    // No success since the first failure; the uploader keeps retrying the failed segment, so
    // this is a store that has not taken a segment for storeDownAfterMs.
    if (nowMs >= dueMs) {
      notices.push({ atMs: nowMs, severity: 'critical', data: { kind: 'store_unreachable', sinceMs: s.store.failingSinceMs, failures: s.store.failures, error: s.store.lastError } });
      s = { ...s, store: { ...s.store, announced: true } };
    } else wake(dueMs);
  }

  if (s.pendingGapsDueMs !== null) {
    if (nowMs >= s.pendingGapsDueMs) {
      const gaps = [...s.pendingGaps].sort((a, b) => a.cameraId.localeCompare(b.cameraId) || a.startMs - b.startMs);
      notices.push({ atMs: nowMs, severity: 'warning', data: { kind: 'gaps', gaps } });
      s = { ...s, pendingGaps: [], pendingGapsDueMs: null };
    } else wake(s.pendingGapsDueMs);
  }
  return { state: s, notices, wakeAtMs };
}

function rank(level: QuotaLevel): number {
  return level === 'ok' ? 0 : level === 'near' ? 1 : 2;
}
