import { describe, expect, it } from 'vitest';
import { checkThrottle, forgiveAttempt, lockoutAfter, recordFailure, type ThrottlePolicy } from '../../api/auth/login-throttle.ts';

const P: ThrottlePolicy = { maxFailures: 5, lockoutMs: 60_000, maxLockoutMs: 3_600_000, forgetAfterMs: 7_200_000 };

describe('login throttle', () => {
  it.each([
    [1, 0],
    [4, 0],
    [5, 60_000],
    [6, 120_000],
    [7, 240_000],
    [10, 1_920_000],
    [11, 3_600_000],
    [60, 3_600_000],
  ])('after %i failures the lock lasts %i ms', (failures, ms) => {
    expect(lockoutAfter(failures, P)).toBe(ms);
  });

  it('locks at the fifth failure, lets the same key in when the lock has passed', () => {
    let s = null;
    for (let i = 0; i < 4; i++) s = recordFailure(s, 1000 + i, P);
    expect(s).toEqual({ failures: 4, lastFailureMs: 1003, lockedUntilMs: 0 });
    expect(checkThrottle(s, 1004)).toEqual({ allowed: true });
    s = recordFailure(s, 2000, P);
    expect(s).toEqual({ failures: 5, lastFailureMs: 2000, lockedUntilMs: 62_000 });
    expect(checkThrottle(s, 2000)).toEqual({ allowed: false, retryAfterMs: 60_000 });
    expect(checkThrottle(s, 61_999)).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(checkThrottle(s, 62_000)).toEqual({ allowed: true });
  });

  it('forgets old failures after forgetAfterMs without one', () => {
    const s = recordFailure({ failures: 9, lastFailureMs: 0, lockedUntilMs: 0 }, P.forgetAfterMs, P);
    expect(s).toEqual({ failures: 1, lastFailureMs: P.forgetAfterMs, lockedUntilMs: 0 });
    const kept = recordFailure({ failures: 9, lastFailureMs: 0, lockedUntilMs: 0 }, P.forgetAfterMs - 1, P);
    expect(kept.failures).toBe(10);
  });

  it.each([
    ['nothing to forgive', null, null],
    ['the only failure', { failures: 1, lastFailureMs: 10, lockedUntilMs: 0 }, null],
    ['one of several', { failures: 3, lastFailureMs: 10, lockedUntilMs: 0 }, { failures: 2, lastFailureMs: 10, lockedUntilMs: 0 }],
    ['the one that locked', { failures: 5, lastFailureMs: 10, lockedUntilMs: 60_010 }, { failures: 4, lastFailureMs: 10, lockedUntilMs: 0 }],
    ['beyond the lock: one doubling less', { failures: 7, lastFailureMs: 10, lockedUntilMs: 240_010 }, { failures: 6, lastFailureMs: 10, lockedUntilMs: 120_010 }],
  ])('forgiving an attempt that succeeded: %s', (_n, state, want) => {
    expect(forgiveAttempt(state, P)).toEqual(want);
  });
});
