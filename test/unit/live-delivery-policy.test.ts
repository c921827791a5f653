import { describe, expect, it } from 'vitest';
import { decideDelivery, NEW_VIEWER_FLOW, type ViewerFlow } from '../../recorder/live/delivery-policy.ts';

const policy = { maxLagMs: 1_000, maxBufferedBytes: 1_000_000, dropAfterMs: 5_000 };
const upToDate: ViewerFlow = { needKeyframe: false, behindSinceMs: null };
const T = 100_000;

describe('live delivery policy', () => {
  it.each([
    ['up to date, delta fragment → send', upToDate, { keyframe: false, nowMs: T, oldestUnackedSentMs: T - 200, bufferedBytes: 50_000 }, { action: 'send' }, upToDate],
    ['everything acked → send', upToDate, { keyframe: false, nowMs: T, oldestUnackedSentMs: null, bufferedBytes: 0 }, { action: 'send' }, upToDate],
    ['new viewer waits for a keyframe', NEW_VIEWER_FLOW, { keyframe: false, nowMs: T, oldestUnackedSentMs: null, bufferedBytes: 0 }, { action: 'skip', newlyBehind: false }, NEW_VIEWER_FLOW],
    ['new viewer starts at a keyframe', NEW_VIEWER_FLOW, { keyframe: true, nowMs: T, oldestUnackedSentMs: null, bufferedBytes: 0 }, { action: 'send' }, upToDate],
    ['lag over the limit → skipped, told once', upToDate, { keyframe: false, nowMs: T, oldestUnackedSentMs: T - 1_001, bufferedBytes: 0 }, { action: 'skip', newlyBehind: true }, { needKeyframe: true, behindSinceMs: T }],
    ['lag exactly at the limit is not behind', upToDate, { keyframe: false, nowMs: T, oldestUnackedSentMs: T - 1_000, bufferedBytes: 0 }, { action: 'send' }, upToDate],
    ['buffer over the bound → skipped even with fresh acks', upToDate, { keyframe: true, nowMs: T, oldestUnackedSentMs: T, bufferedBytes: 1_000_001 }, { action: 'skip', newlyBehind: true }, { needKeyframe: true, behindSinceMs: T }],
    ['still behind → skip, not told again', { needKeyframe: true, behindSinceMs: T - 2_000 }, { keyframe: true, nowMs: T, oldestUnackedSentMs: T - 3_000, bufferedBytes: 0 }, { action: 'skip', newlyBehind: false }, { needKeyframe: true, behindSinceMs: T - 2_000 }],
    ['caught up, delta → wait for keyframe', { needKeyframe: true, behindSinceMs: T - 2_000 }, { keyframe: false, nowMs: T, oldestUnackedSentMs: null, bufferedBytes: 0 }, { action: 'skip', newlyBehind: false }, { needKeyframe: true, behindSinceMs: null }],
    ['caught up, keyframe → resumes', { needKeyframe: true, behindSinceMs: null }, { keyframe: true, nowMs: T, oldestUnackedSentMs: null, bufferedBytes: 0 }, { action: 'send' }, upToDate],
    ['behind for dropAfterMs → dropped as lagging', { needKeyframe: true, behindSinceMs: T - 5_000 }, { keyframe: false, nowMs: T, oldestUnackedSentMs: T - 6_000, bufferedBytes: 0 }, { action: 'drop', reason: 'lagging' }, { needKeyframe: true, behindSinceMs: T - 5_000 }],
    ['buffer full for dropAfterMs → dropped as buffer_full', { needKeyframe: true, behindSinceMs: T - 9_000 }, { keyframe: false, nowMs: T, oldestUnackedSentMs: T - 6_000, bufferedBytes: 2_000_000 }, { action: 'drop', reason: 'buffer_full' }, { needKeyframe: true, behindSinceMs: T - 9_000 }],
    ['behind just under dropAfterMs → still skipped', { needKeyframe: true, behindSinceMs: T - 4_999 }, { keyframe: false, nowMs: T, oldestUnackedSentMs: T - 6_000, bufferedBytes: 0 }, { action: 'skip', newlyBehind: false }, { needKeyframe: true, behindSinceMs: T - 4_999 }],
  ] as const)('%s', (_name, flow, input, decision, next) => {
    const r = decideDelivery(flow, input, policy);
    expect(r.decision).toEqual(decision);
    expect(r.next).toEqual(next);
  });

  it('a viewer that never acks is skipped after maxLagMs and dropped after dropAfterMs more', () => {
    let flow: ViewerFlow = upToDate;
    const sentAt = T;
    const actions: string[] = [];
    for (let now = T; now <= T + 8_000; now += 200) {
      const r = decideDelivery(flow, { keyframe: (now - T) % 2_000 === 0, nowMs: now, oldestUnackedSentMs: sentAt, bufferedBytes: 0 }, policy);
      flow = r.next;
      actions.push(r.decision.action);
      if (r.decision.action === 'drop') break;
    }
    expect(actions.indexOf('skip')).toBe(6); // first fragment after 1 000 ms of no ack
    expect(actions.at(-1)).toBe('drop');
    expect(actions.length).toBe(6 + 25 + 1); // skipped for 5 000 ms (25 fragments), then dropped
  });
});
