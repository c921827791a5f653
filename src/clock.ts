/**
 * Time source. Everything that decides on time takes a Clock, so tests drive it by hand.
 * Times are integer epoch milliseconds, UTC.
 */
export interface Clock {
  nowMs(): number;
  /** Calls fn once after delayMs of this clock's time. Returns a cancel function. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs, fn) {
    // Referenced: a pending timer keeps the process alive, so a shutdown that waits on one
    // (drain deadline, SIGKILL fallback) really waits. Owners cancel their timers on stop.
    const t = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(t);
  },
};

interface PendingTimer {
  dueMs: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to. Timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private seq = 0;

  constructor(startMs = Date.UTC(2026, 0, 5, 2, 0, 0)) {
    if (!Number.isInteger(startMs)) throw new TypeError('ManualClock start must be integer ms');
    this.current = startMs;
  }

  nowMs(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer: PendingTimer = { dueMs: this.current + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward by deltaMs, firing every timer that falls due, in order. */
  advance(deltaMs: number): void {
    if (deltaMs < 0) throw new RangeError('ManualClock cannot go backwards with advance(); use set()');
    const target = this.current + deltaMs;
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.dueMs);
      next.fn();
    }
    this.current = target;
  }

  /** Sets the time directly (a clock step, possibly backwards). Fires timers now due. */
  set(ms: number): void {
    this.current = ms;
    this.advance(0);
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  private nextDue(limitMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (t.dueMs > limitMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
