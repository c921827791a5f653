import type { LoginAttemptState } from '../../src/db/login-attempts-repo.ts';

/**
 * The login rate limit as pure functions over a key's state (one key per username, one per
 * client address). After maxFailures failures the key is locked for lockoutMs, and each
 * further failure (once the lock has passed) doubles it up to maxLockoutMs. A key with no
 * failure for forgetAfterMs starts over. While locked, attempts are refused without checking
 * the password (and without lengthening the lock: a person who waits is let in).
 *
 * An attempt is counted as a failure *before* the password is checked (beginAttempt), and
 * forgiven when it succeeds (forgiveAttempt): parallel guesses cannot slip past the limit
 * while the first ones are still being hashed.
 */
export interface ThrottlePolicy {
  maxFailures: number;
  lockoutMs: number;
  maxLockoutMs: number;
  forgetAfterMs: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export function checkThrottle(state: LoginAttemptState | null, nowMs: number): ThrottleDecision {
  if (state && state.lockedUntilMs > nowMs) return { allowed: false, retryAfterMs: state.lockedUntilMs - nowMs };
  return { allowed: true };
}

export function lockoutAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures < policy.maxFailures) return 0;
  const doublings = Math.min(failures - policy.maxFailures, 30);
  return Math.min(policy.lockoutMs * 2 ** doublings, policy.maxLockoutMs);
}

/** The state after one more failure at nowMs. */
export function recordFailure(state: LoginAttemptState | null, nowMs: number, policy: ThrottlePolicy): LoginAttemptState {
  const fresh = !state || nowMs - state.lastFailureMs >= policy.forgetAfterMs;
  const failures = (fresh ? 0 : state.failures) + 1;
  const lock = lockoutAfter(failures, policy);
  return { failures, lastFailureMs: nowMs, lockedUntilMs: lock > 0 ? nowMs + lock : 0 };
}

/**
 * Takes back one failure counted by beginAttempt for an attempt that succeeded. Returns null
 * when nothing is left to remember.
 */
export function forgiveAttempt(state: LoginAttemptState | null, policy: ThrottlePolicy): LoginAttemptState | null {
  if (!state) return null;
  const failures = Math.max(0, state.failures - 1);
  if (failures === 0) return null;
  const lock = lockoutAfter(failures, policy);
  return { failures, lastFailureMs: state.lastFailureMs, lockedUntilMs: lock > 0 ? state.lastFailureMs + lock : 0 };
}
