import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { clockOffsetFrom, measureClockOffset } from '../../recorder/clock-offset.ts';
import { clockHealth, nextCheckDelayMs, withClockReading } from '../../recorder/clock-watch.ts';

describe('camera clock offset (pure)', () => {
  it.each([
    // camera ms, sent, received, offset: camera minus the request's midpoint
    [10_000, 10_000, 10_000, 0],
    [10_500, 10_000, 11_000, 0],
    [12_500, 10_000, 11_000, 2_000],
    [7_500, 10_000, 11_000, -3_000],
    [10_000, 10_000, 10_001, -1], // a half-millisecond midpoint rounds up
  ])('camera %i, request %i–%i → %i ms', (cam, sent, recv, expected) => {
    expect(clockOffsetFrom(cam, sent, recv)).toBe(expected);
  });

  it('times a reading on the injected clock', async () => {
    const clock = new ManualClock(1_000_000);
    const r = await measureClockOffset(async () => {
      clock.advance(400);
      return new Date(1_000_000 + 200 + 7_200_000);
    }, clock);
    expect(r).toEqual({ offsetMs: 7_200_000, roundTripMs: 400, measuredMs: 1_000_400 });
  });
});

describe('camera clock health', () => {
  it.each([
    [0, 'ok'],
    [5_000, 'ok'],
    [-5_000, 'ok'],
    [5_001, 'overlay_mismatch'],
    [-120_000, 'overlay_mismatch'],
    [300_000, 'overlay_mismatch'],
    [300_001, 'auth_risk'],
    [-7_200_000, 'auth_risk'],
  ] as const)('offset %i ms is %s', (offset, health) => {
    expect(clockHealth(offset)).toBe(health);
  });

  it.each([
    [600_000, false, 600_000],
    [600_000, true, 60_000],
    [20_000, true, 20_000],
    [20_000, false, 20_000],
  ])('interval %i, last failed %s → next in %i ms', (interval, failed, next) => {
    expect(nextCheckDelayMs(interval, failed)).toBe(next);
  });

  it('keeps what onboarding stored and replaces the offset under the names backfill reads', () => {
    const details = { device: { model: 'IPC' }, clockOffsetMs: 10, clockOffsetMeasuredMs: 1 };
    expect(withClockReading(details, { offsetMs: -1_250, roundTripMs: 3, measuredMs: 99 })).toEqual({ device: { model: 'IPC' }, clockOffsetMs: -1_250, clockOffsetMeasuredMs: 99, clockOffsetSource: 'onvif' });
    expect(withClockReading(details, { offsetMs: -1_251, roundTripMs: 3, measuredMs: 98, source: 'rtcp' })).toMatchObject({ clockOffsetMs: -1_251, clockOffsetMeasuredMs: 98, clockOffsetSource: 'rtcp' });
    expect(details.clockOffsetMs).toBe(10);
  });
});
