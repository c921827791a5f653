/**
 * The per-camera state machine, as a pure transition function. The camera runner feeds it
 * events and carries out the actions it returns; tests drive it with tables.
 *
 *   connecting ──media──▶ recording ──no media for stallTimeout──▶ stalled ──▶ reconnecting
 *        │                    │                                                   ▲   │
 *        └──exit(reason)──────┴──exit(reason)────────────────────────────────────┘   │
 *   reconnecting ──retry due──▶ connecting;  after offlineAfterMs of failures ──▶ offline
 *   exit(auth) ──▶ auth_failed (retried slowly, never a hot loop)
 */
export type CameraState = 'connecting' | 'recording' | 'stalled' | 'reconnecting' | 'offline' | 'auth_failed' | 'stopped';

/** Why footage is missing; stored on every gap. */
export type GapReason =
  | 'camera_unreachable'
  | 'stream_stalled'
  | 'auth_failed'
  | 'stream_error'
  | 'recorder_down'
  | 'spool_full';

export type FailureReason = Exclude<GapReason, 'recorder_down' | 'spool_full'>;

export type WatchdogEvent =
  | { type: 'media'; atMs: number }
  | { type: 'stall_timeout'; atMs: number }
  | { type: 'exited'; atMs: number; reason: FailureReason; detail: string }
  | { type: 'retry_due'; atMs: number }
  | { type: 'stop'; atMs: number };

export type WatchdogAction =
  | { type: 'start_ffmpeg' }
  | { type: 'stop_ffmpeg'; reason: FailureReason }
  | { type: 'schedule_retry'; delayMs: number }
  | { type: 'cancel_retry' };

export interface WatchdogState {
  state: CameraState;
  /** When the current state was entered. */
  sinceMs: number;
  /** Reconnect attempts since the last stable connection. */
  attempt: number;
  /** When media last started flowing in this run (for the stable-period reset). */
  upSinceMs: number | null;
  /** When the current outage began (first failure since last recording), for offline. */
  failingSinceMs: number | null;
  lastReason: FailureReason | null;
  lastDetail: string;
}

export interface WatchdogPolicy {
  /** Delay before reconnect attempt n; pure, jitter passed in by the caller. */
  retryDelayMs: (attempt: number) => number;
  stableMs: number;
  offlineAfterMs: number;
  authRetryMs: number;
}

export function initialWatchdog(nowMs: number): WatchdogState {
  return { state: 'connecting', sinceMs: nowMs, attempt: 0, upSinceMs: null, failingSinceMs: null, lastReason: null, lastDetail: '' };
}

export function transition(s: WatchdogState, e: WatchdogEvent, p: WatchdogPolicy): { next: WatchdogState; actions: WatchdogAction[] } {
  const to = (state: CameraState, patch: Partial<WatchdogState> = {}): WatchdogState =>
    ({ ...s, ...patch, state, sinceMs: state === s.state ? s.sinceMs : e.atMs });
  if (s.state === 'stopped') return { next: s, actions: [] };
  switch (e.type) {
    case 'stop':
      return { next: to('stopped'), actions: [{ type: 'cancel_retry' }, ...(isRunning(s.state) ? [{ type: 'stop_ffmpeg', reason: 'stream_error' } as const] : [])] };
    case 'media':
      if (s.state === 'recording') return { next: s, actions: [] };
      // Once stalled, the run is being torn down: media that trickles in does not revive it.
      if (s.state === 'connecting') {
        return { next: to('recording', { upSinceMs: e.atMs, failingSinceMs: null, lastReason: null, lastDetail: '' }), actions: [] };
      }
      return { next: s, actions: [] };
    case 'stall_timeout':
      if (s.state !== 'recording' && s.state !== 'connecting') return { next: s, actions: [] };
      return {
        next: to('stalled', { lastReason: 'stream_stalled', lastDetail: 'no media received', failingSinceMs: s.failingSinceMs ?? e.atMs }),
        actions: [{ type: 'stop_ffmpeg', reason: 'stream_stalled' }],
      };
    case 'exited': {
      if (!isRunning(s.state)) return { next: s, actions: [] };
      const upMs = s.upSinceMs === null ? 0 : e.atMs - s.upSinceMs;
      const attempt = upMs >= p.stableMs ? 0 : s.attempt;
      // A stall already named the cause; the exit that follows is its consequence.
      const reason = s.state === 'stalled' ? 'stream_stalled' : e.reason;
      const detail = s.state === 'stalled' ? s.lastDetail : e.detail;
      const failingSinceMs = s.failingSinceMs ?? e.atMs;
      if (reason === 'auth_failed') {
        return {
          next: to('auth_failed', { attempt: attempt + 1, upSinceMs: null, failingSinceMs, lastReason: reason, lastDetail: detail }),
          actions: [{ type: 'schedule_retry', delayMs: p.authRetryMs }],
        };
      }
      const offline = e.atMs - failingSinceMs >= p.offlineAfterMs;
      return {
        next: to(offline ? 'offline' : 'reconnecting', { attempt: attempt + 1, upSinceMs: null, failingSinceMs, lastReason: reason, lastDetail: detail }),
        actions: [{ type: 'schedule_retry', delayMs: p.retryDelayMs(attempt) }],
      };
    }
    case 'retry_due':
      if (s.state !== 'reconnecting' && s.state !== 'offline' && s.state !== 'auth_failed') return { next: s, actions: [] };
      return { next: to('connecting'), actions: [{ type: 'start_ffmpeg' }] };
  }
}

function isRunning(state: CameraState): boolean {
  return state === 'connecting' || state === 'recording' || state === 'stalled';
}
