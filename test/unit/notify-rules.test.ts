import { describe, expect, it } from 'vitest';
import type { NotifyEvent } from '../../src/notify/notice.ts';
import { DEFAULT_NOTICE_RULES, decideNotices, initialNoticeState, type NoticeState, type PlannedNotice } from '../../src/notify/notice-rules.ts';

const T0 = Date.UTC(2026, 2, 3, 2, 40, 0); // 09:40 in Ho Chi Minh City
const S = 1000;
const rules = DEFAULT_NOTICE_RULES;

/** Feeds events in order (ticks where the rules asked to wake up before the next event). */
function play(events: NotifyEvent[], state: NoticeState = initialNoticeState()): { notices: PlannedNotice[]; state: NoticeState; wakeAtMs: number | null } {
  const notices: PlannedNotice[] = [];
  let s = state;
  let wake: number | null = null;
  for (const e of events) {
    while (wake !== null && wake <= e.atMs) {
      const d = decideNotices(s, { type: 'tick', atMs: wake }, rules);
      s = d.state;
      notices.push(...d.notices);
      wake = d.wakeAtMs;
    }
    const d = decideNotices(s, e, rules);
    s = d.state;
    notices.push(...d.notices);
    wake = d.wakeAtMs;
  }
  return { notices, state: s, wakeAtMs: wake };
}
const cam = (cameraId: string, fromState: string, toState: string, atMs: number, reason: string | null = null): NotifyEvent => ({ type: 'camera_state', cameraId, fromState, toState, atMs, reason, detail: reason ? `why: ${reason}` : '' });
const tick = (atMs: number): NotifyEvent => ({ type: 'tick', atMs });
const kinds = (ns: PlannedNotice[]) => ns.map((n) => `${n.data.kind}@${(n.atMs - T0) / S}`);

describe('camera down / up', () => {
  it.each<[string, NotifyEvent[], string[]]>([
    [
      'down for over a minute: announced once, 60 s after it stopped recording, then up',
      [cam('c1', 'stopped', 'connecting', T0), cam('c1', 'connecting', 'recording', T0 + 2 * S), cam('c1', 'recording', 'reconnecting', T0 + 10 * S, 'camera_unreachable'), cam('c1', 'reconnecting', 'connecting', T0 + 11 * S), cam('c1', 'connecting', 'reconnecting', T0 + 12 * S, 'camera_unreachable'), tick(T0 + 200 * S), cam('c1', 'connecting', 'recording', T0 + 300 * S)],
      ['camera_down@70', 'camera_up@300'],
    ],
    [
      'a blip shorter than a minute is no notice at all',
      [cam('c1', 'stopped', 'connecting', T0), cam('c1', 'connecting', 'recording', T0 + S), cam('c1', 'recording', 'stalled', T0 + 10 * S, 'stream_stalled'), cam('c1', 'stalled', 'reconnecting', T0 + 11 * S, 'stream_stalled'), cam('c1', 'connecting', 'recording', T0 + 50 * S), tick(T0 + 500 * S)],
      [],
    ],
    [
      'a camera that never connects after start-up is down from the start',
      [cam('c1', 'stopped', 'connecting', T0), cam('c1', 'connecting', 'reconnecting', T0 + 5 * S, 'camera_unreachable'), tick(T0 + 61 * S)],
      ['camera_down@60'],
    ],
    [
      'the recorder stopping is not a camera outage',
      [cam('c1', 'stopped', 'connecting', T0), cam('c1', 'connecting', 'recording', T0 + S), cam('c1', 'recording', 'stopped', T0 + 10 * S), tick(T0 + 200 * S)],
      [],
    ],
    [
      'two cameras are told apart',
      [cam('a', 'connecting', 'reconnecting', T0, 'camera_unreachable'), cam('b', 'connecting', 'reconnecting', T0 + 30 * S, 'auth_failed'), tick(T0 + 95 * S), cam('a', 'connecting', 'recording', T0 + 100 * S)],
      ['camera_down@60', 'camera_down@90', 'camera_up@100'],
    ],
  ])('%s', (_name, events, expected) => {
    expect(kinds(play(events).notices)).toEqual(expected);
  });

  it('says when it stopped, in which state and why, and asks to be woken at the right time', () => {
    const { notices, wakeAtMs } = play([cam('c1', 'connecting', 'recording', T0), cam('c1', 'recording', 'reconnecting', T0 + 10 * S, 'camera_unreachable')]);
    expect(notices).toEqual([]);
    expect(wakeAtMs).toBe(T0 + 70 * S);
    const later = play([cam('c1', 'reconnecting', 'offline', T0 + 65 * S, 'camera_unreachable'), tick(T0 + 70 * S)], play([cam('c1', 'connecting', 'recording', T0), cam('c1', 'recording', 'reconnecting', T0 + 10 * S, 'camera_unreachable')]).state);
    expect(later.notices).toEqual([
      { atMs: T0 + 70 * S, severity: 'critical', data: { kind: 'camera_down', cameraId: 'c1', sinceMs: T0 + 10 * S, state: 'offline', reason: 'camera_unreachable', detail: 'why: camera_unreachable' } },
    ]);
    expect(later.wakeAtMs).toBeNull();
  });
});

describe('gaps', () => {
  const gap = (cameraId: string, atMs: number, startMs: number, endMs: number, reason = 'recorder_down'): NotifyEvent => ({ type: 'gap', cameraId, atMs, startMs, endMs, reason, detail: '' });

  it('gathers gaps of several cameras into one notice after the batch time', () => {
    const r = play([gap('b', T0, T0 - 300 * S, T0 - 5 * S), gap('a', T0 + 2 * S, T0 - 300 * S, T0 - 4 * S), tick(T0 + 10 * S)]);
    expect(r.notices).toEqual([
      {
        atMs: T0 + 10 * S,
        severity: 'warning',
        data: { kind: 'gaps', gaps: [{ cameraId: 'a', startMs: T0 - 300 * S, endMs: T0 - 4 * S, reason: 'recorder_down' }, { cameraId: 'b', startMs: T0 - 300 * S, endMs: T0 - 5 * S, reason: 'recorder_down' }] },
      },
    ]);
  });

  it('ignores gaps shorter than gapMinMs', () => {
    expect(play([gap('a', T0, T0 - 59 * S, T0), tick(T0 + 60 * S)]).notices).toEqual([]);
  });

  it('does not tell again the gap of an outage already announced by down and up', () => {
    const r = play([
      cam('a', 'connecting', 'recording', T0),
      cam('a', 'recording', 'reconnecting', T0 + 10 * S, 'camera_unreachable'),
      tick(T0 + 70 * S),
      cam('a', 'connecting', 'recording', T0 + 200 * S),
      // The gap row is written at the first segment after recovery; it starts at the last footage.
      gap('a', T0 + 205 * S, T0 + 8 * S, T0 + 199 * S, 'camera_unreachable'),
      tick(T0 + 300 * S),
    ]);
    expect(kinds(r.notices)).toEqual(['camera_down@70', 'camera_up@200']);
  });

  it('tells a long gap while the camera stayed up (spool_full)', () => {
    const r = play([cam('a', 'connecting', 'recording', T0), gap('a', T0 + 100 * S, T0 - 600 * S, T0 - 300 * S, 'spool_full'), tick(T0 + 110 * S)]);
    expect(kinds(r.notices)).toEqual(['gaps@110']);
  });
});

describe('spool, store, retention, quotas', () => {
  const fail = (atMs: number): NotifyEvent => ({ type: 'upload_failed', atMs, error: 'store_unavailable: minio:9000 does not answer' });
  const ok = (atMs: number): NotifyEvent => ({ type: 'upload_ok', atMs });
  const drop = (atMs: number): NotifyEvent => ({ type: 'spool_dropped', atMs, segments: 3, cameraIds: ['a'], usedBytes: 2e9, quotaBytes: 2e9 });
  const run = (atMs: number, ok: boolean, quotas: Array<[string, number, number, boolean]> = []): NotifyEvent => ({
    type: 'retention_run', atMs, ok, warnAtFraction: 0.9, quotas: quotas.map(([scope, quotaBytes, usedBytes, unmet]) => ({ scope, quotaBytes, usedBytes, unmet })),
  });

  it.each<[string, NotifyEvent[], string[]]>([
    ['uploads failing for a minute: unreachable, then recovered at the next success', [fail(T0), fail(T0 + 30 * S), tick(T0 + 60 * S), fail(T0 + 90 * S), ok(T0 + 120 * S)], ['store_unreachable@60', 'store_recovered@120']],
    ['a failure followed by a success within the minute is nothing', [fail(T0), fail(T0 + 20 * S), ok(T0 + 40 * S), tick(T0 + 100 * S)], []],
    ['spool drops: told at once, then not again for 15 minutes', [drop(T0), drop(T0 + 60 * S), drop(T0 + 14 * 60 * S), drop(T0 + 15 * 60 * S)], ['spool_full@0', 'spool_full@900']],
    ['retention failing: told once, recovered at the next success', [run(T0, false), run(T0 + 86_400 * S, false), run(T0 + 2 * 86_400 * S, true)], ['retention_failed@0', 'retention_recovered@172800']],
    [
      'quotas: told when worse than before, not while unchanged, again after recovering',
      [run(T0, true, [['store', 100, 50, false]]), run(T0 + S, true, [['store', 100, 95, false], ['ward-x', 10, 5, false]]), run(T0 + 2 * S, true, [['store', 100, 96, false]]), run(T0 + 3 * S, true, [['store', 100, 101, true]]), run(T0 + 4 * S, true, [['store', 100, 101, true]]), run(T0 + 5 * S, true, [['store', 100, 10, false]]), run(T0 + 6 * S, true, [['store', 100, 91, false]])],
      ['quota_near@1', 'quota_unmet@3', 'quota_near@6'],
    ],
  ])('%s', (_name, events, expected) => {
    expect(kinds(play(events).notices)).toEqual(expected);
  });

  it('the unreachable notice carries when it began, how many attempts and the (redacted) error', () => {
    const r = play([fail(T0), fail(T0 + 10 * S), fail(T0 + 30 * S), tick(T0 + 60 * S)]);
    expect(r.notices[0]!.data).toEqual({ kind: 'store_unreachable', sinceMs: T0, failures: 3, error: 'store_unavailable: minio:9000 does not answer' });
  });
});
