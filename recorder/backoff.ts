/**
 * Reconnect backoff: exponential with full jitter in the upper half, first retry within 1 s,
 * capped, and reset once a connection has stayed up for a stable period. Pure: the caller
 * passes the random number, so tables of cases test it.
 *
 * The cap is 10 s because every second after a camera comes back is footage: with a 30 s cap a
 * camera refused for 20 s was seen back up to 30 s late (measured: a 40.7 s gap for a 20 s
 * refusal). An attempt is one TCP connect and an RTSP DESCRIBE, nothing for a camera on the
 * office LAN, and the jitter spreads a whole site's cameras after a shared outage. A wrong
 * password is not retried on this schedule (watchdog: every 5 minutes, so accounts do not lock).
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** A connection up this long resets the attempt count. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 10_000, factor: 2, stableMs: 60_000 };

/** Delay before reconnect attempt number `attempt` (0 = first retry). `random` in [0, 1). */
export function backoffDelayMs(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  // Jitter within [ceiling/2, ceiling): spreads reconnect storms after a shared outage, keeps
  // the first retry under initialMs.
  return Math.floor(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 0.999_999));
}

/** The attempt count after a connection that lasted upMs ended. */
export function nextAttempt(attempt: number, upMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return upMs >= policy.stableMs ? 0 : attempt + 1;
}
