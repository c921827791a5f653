import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/clock.ts';

describe('ManualClock', () => {
  it('fires timers in due order while advancing, with now at each due time', () => {
    const clock = new ManualClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimer(300, () => fired.push(['b', clock.nowMs()]));
    clock.setTimer(100, () => {
      fired.push(['a', clock.nowMs()]);
      clock.setTimer(50, () => fired.push(['a2', clock.nowMs()]));
    });
    const cancel = clock.setTimer(200, () => fired.push(['never', clock.nowMs()]));
    cancel();
    clock.advance(250);
    expect(fired).toEqual([['a', 1_100], ['a2', 1_150]]);
    expect(clock.nowMs()).toBe(1_250);
    clock.advance(100);
    expect(fired.at(-1)).toEqual(['b', 1_300]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('can step backwards with set() and refuses negative advance', () => {
    const clock = new ManualClock(10_000);
    clock.set(5_000);
    expect(clock.nowMs()).toBe(5_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('system clock timers fire', async () => {
    const start = systemClock.nowMs();
    await new Promise<void>((resolve) => systemClock.setTimer(5, resolve));
    expect(systemClock.nowMs()).toBeGreaterThanOrEqual(start);
  });
});
