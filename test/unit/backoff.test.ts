import { describe, expect, it } from 'vitest';
import { backoffDelayMs, nextAttempt, DEFAULT_BACKOFF } from '../../recorder/backoff.ts';

describe('reconnect backoff', () => {
  it.each([
    [0, 0, 500],
    [0, 0.999, 999],
    [1, 0, 1_000],
    [2, 0.5, 3_000],
    [3, 0.999, 7_996],
    [4, 0, 5_000],
    [4, 0.999, 9_995],
    [5, 0.999, 9_995],
    [20, 0.999, 9_995],
    [1000, 0.5, 7_500],
  ])('attempt %i with random %f → %i ms', (attempt, random, want) => {
    expect(backoffDelayMs(attempt, random)).toBe(want);
  });

  it('first retry is always within 1 s and no delay exceeds the 10 s cap', () => {
    for (let i = 0; i < 100; i++) {
      const r = i / 100;
      expect(backoffDelayMs(0, r)).toBeLessThan(1_000);
      expect(backoffDelayMs(50, r)).toBeLessThan(10_000);
    }
  });

  it.each([
    [3, 59_999, 4],
    [3, 60_000, 0],
    [0, 10, 1],
  ])('after attempt %i and %i ms up, the next attempt is %i', (attempt, upMs, want) => {
    expect(nextAttempt(attempt, upMs, DEFAULT_BACKOFF)).toBe(want);
  });
});
