import { describe, expect, it } from 'vitest';
import { initialWatchdog, transition, type WatchdogEvent, type WatchdogPolicy, type WatchdogState } from '../../recorder/watchdog.ts';

const policy: WatchdogPolicy = { retryDelayMs: (n) => 1000 * 2 ** n, stableMs: 60_000, offlineAfterMs: 120_000, authRetryMs: 300_000 };

function run(events: WatchdogEvent[], start: WatchdogState = initialWatchdog(0)) {
  let s = start;
  const actions: string[] = [];
  for (const e of events) {
    const r = transition(s, e, policy);
    s = r.next;
    actions.push(...r.actions.map((a) => (a.type === 'schedule_retry' ? `retry:${a.delayMs}` : a.type === 'stop_ffmpeg' ? `stop:${a.reason}` : a.type)));
  }
  return { s, actions };
}

describe('watchdog state machine', () => {
  it.each([
    { name: 'connects and records', events: [{ type: 'media', atMs: 500 }], state: 'recording', actions: [] },
    {
      name: 'stall stops ffmpeg and reconnects with the stall as reason',
      events: [{ type: 'media', atMs: 500 }, { type: 'stall_timeout', atMs: 10_000 }, { type: 'exited', atMs: 10_100, reason: 'stream_error', detail: 'killed' }],
      state: 'reconnecting', actions: ['stop:stream_stalled', 'retry:1000'], reason: 'stream_stalled',
    },
    {
      name: 'refused twice backs off exponentially',
      events: [{ type: 'exited', atMs: 100, reason: 'camera_unreachable', detail: 'refused' }, { type: 'retry_due', atMs: 1100 }, { type: 'exited', atMs: 1200, reason: 'camera_unreachable', detail: 'refused' }],
      state: 'reconnecting', actions: ['retry:1000', 'start_ffmpeg', 'retry:2000'], reason: 'camera_unreachable',
    },
    {
      name: 'wrong password waits long, no hot loop',
      events: [{ type: 'exited', atMs: 100, reason: 'auth_failed', detail: '401' }],
      state: 'auth_failed', actions: ['retry:300000'], reason: 'auth_failed',
    },
    {
      name: 'failing for longer than offlineAfter is offline, still retrying',
      events: [
        { type: 'exited', atMs: 0, reason: 'camera_unreachable', detail: 'x' }, { type: 'retry_due', atMs: 60_000 },
        { type: 'exited', atMs: 130_000, reason: 'camera_unreachable', detail: 'x' },
      ],
      state: 'offline', actions: ['retry:1000', 'start_ffmpeg', 'retry:2000'],
    },
    {
      name: 'a stable minute resets the attempt count',
      events: [
        { type: 'exited', atMs: 0, reason: 'camera_unreachable', detail: 'x' }, { type: 'retry_due', atMs: 1000 },
        { type: 'media', atMs: 2000 }, { type: 'exited', atMs: 70_000, reason: 'stream_error', detail: 'eof' },
      ],
      state: 'reconnecting', actions: ['retry:1000', 'start_ffmpeg', 'retry:1000'],
    },
    { name: 'stop from recording stops ffmpeg', events: [{ type: 'media', atMs: 1 }, { type: 'stop', atMs: 2 }], state: 'stopped', actions: ['cancel_retry', 'stop:stream_error'] },
    { name: 'nothing moves a stopped camera', events: [{ type: 'stop', atMs: 1 }, { type: 'retry_due', atMs: 2 }, { type: 'media', atMs: 3 }], state: 'stopped', actions: ['cancel_retry', 'stop:stream_error'] },
    {
      name: 'media trickling in after a stall does not revive the run being stopped',
      events: [{ type: 'media', atMs: 1 }, { type: 'stall_timeout', atMs: 6_000 }, { type: 'media', atMs: 6_500 }],
      state: 'stalled', actions: ['stop:stream_stalled'],
    },
    { name: 'media while reconnecting is ignored', events: [{ type: 'exited', atMs: 0, reason: 'stream_error', detail: '' }, { type: 'media', atMs: 5 }], state: 'reconnecting', actions: ['retry:1000'] },
  ] as Array<{ name: string; events: WatchdogEvent[]; state: string; actions: string[]; reason?: string }>)('$name', ({ events, state, actions, reason }) => {
    const r = run(events);
    expect(r.s.state).toBe(state);
    expect(r.actions).toEqual(actions);
    if (reason) expect(r.s.lastReason).toBe(reason);
  });

  it('records when the state was entered', () => {
    const r = run([{ type: 'media', atMs: 700 }, { type: 'media', atMs: 900 }]);
    expect(r.s.sinceMs).toBe(700);
  });
});
