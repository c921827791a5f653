import type { Clock } from '../src/clock.ts';

/**
 * A camera's clock offset from one GetSystemDateAndTime: camera time minus the midpoint of the
 * request on the recorder's clock (the answer was made somewhere inside the round trip, so the
 * error is at most half of it, plus the camera's one-second resolution). Positive: the camera
 * is ahead. Used by onboarding and by the regular clock watch (clock-watch.ts). Pure.
 */
export function clockOffsetFrom(cameraMs: number, sentMs: number, receivedMs: number): number {
  return cameraMs - Math.round((sentMs + receivedMs) / 2);
}

export interface ClockReading {
  /** Camera clock minus ours, ms. */
  offsetMs: number;
  /** Request round trip on our clock, ms: the reading is good to about half of it (+ 1 s resolution). */
  roundTripMs: number;
  /** When it was measured (our clock, the answer's arrival). */
  measuredMs: number;
}

/** Times one read of the camera's clock (`read` = a bounded GetSystemDateAndTime) on `clock`. */
export async function measureClockOffset(read: () => Promise<Date>, clock: Clock): Promise<ClockReading> {
  const sentMs = clock.nowMs();
  const cameraDate = await read();
  const receivedMs = clock.nowMs();
  return { offsetMs: clockOffsetFrom(cameraDate.getTime(), sentMs, receivedMs), roundTripMs: receivedMs - sentMs, measuredMs: receivedMs };
}
