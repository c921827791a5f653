import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import type { RetentionEvent } from '../../src/notify/notice.ts';
import { createRetentionMetrics } from '../../src/retention/retention-metrics.ts';
import { watchRetentionMetrics } from '../../bin/ops-services.ts';
import { waitFor } from '../helpers/wait.ts';

// Retention notices come from the retention role's own gauges: a run is seen when its
// timestamp moves, with its success and quotas; nothing before the first run.
describe('retention runs seen from the retention gauges', () => {
  it('turns each finished run into one event, and none before the first run', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 3, 19, 30));
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const m = createRetentionMetrics(registry);
    const events: RetentionEvent[] = [];
    const stop = watchRetentionMetrics({ registry, clock, warnAtFraction: 0.9, onRun: (e) => events.push(e), pollMs: 1_000 });
    try {
      clock.advance(1_000);
      await waitFor('the first poll', () => clock.pendingTimers() === 1 || undefined);
      expect(events).toEqual([]);

      m.lastRun.set(clock.nowMs() / 1000);
      m.lastRunSuccess.set(1);
      m.quotaBytes.set({ scope: 'store' }, 1000);
      m.quotaUsedBytes.set({ scope: 'store' }, 950);
      m.quotaUnmet.set({ scope: 'store' }, 0);
      clock.advance(1_000);
      await waitFor('a run event', () => events.length === 1 || undefined);
      expect(events[0]).toEqual({ type: 'retention_run', atMs: Date.UTC(2026, 2, 3, 19, 30, 1), ok: true, warnAtFraction: 0.9, quotas: [{ scope: 'store', quotaBytes: 1000, usedBytes: 950, unmet: false }] });

      // Unchanged timestamp: no new event.
      await waitFor('the next poll armed', () => clock.pendingTimers() === 1 || undefined);
      clock.advance(1_000);
      await waitFor('the poll after', () => clock.pendingTimers() === 1 || undefined);
      expect(events).toHaveLength(1);

      m.lastRun.set(clock.nowMs() / 1000);
      m.lastRunSuccess.set(0);
      clock.advance(1_000);
      await waitFor('a failed run event', () => events.length === 2 || undefined);
      expect(events[1]).toMatchObject({ ok: false });
    } finally {
      stop();
    }
    expect(clock.pendingTimers()).toBe(0);
  });
});
