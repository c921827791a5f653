import type { Clock } from '../../src/clock.ts';

/**
 * A token bucket: `ratePerSec` tokens (bytes) accrue per second up to `capacity`. take(n)
 * succeeds and spends n tokens only if n are there, so over any window W at most
 * capacity + rate x W bytes pass: the simulated uplink's congestion limit.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSec: number,
    readonly capacity: number = ratePerSec,
  ) {
    if (!(ratePerSec > 0) || !(capacity > 0)) throw new RangeError('TokenBucket rate and capacity must be > 0');
    this.tokens = capacity;
    this.lastMs = clock.nowMs();
  }

  take(n: number): boolean {
    const now = this.clock.nowMs();
    if (now > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastMs) * this.ratePerSec) / 1000);
    }
    this.lastMs = now;
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}
