/**
 * When the live player connects again by itself. A wall of counters is watched by people who
 * should not have to press a button after every hiccup: when the camera's recorder changed
 * (failover, 4503), the recorder could not be reached (4502), the viewer was dropped for
 * falling behind (4008) or the connection broke without a close frame (1006), the player
 * reconnects after a growing delay. It stops after a few tries in a row without a picture, and
 * never retries what another try cannot fix (no permission, unknown camera, too many viewers,
 * a normal close), so a broken server is not hammered.
 */
export const AUTO_RECONNECT_CODES: readonly number[] = [1001, 1006, 4008, 4502, 4503];
export const MAX_RECONNECTS_WITHOUT_PICTURE = 5;

/** Delay before the next try, ms, or null to stop and show the Retry button. `failedTries`: tries since the last picture. */
export function liveReconnectDelayMs(closeCode: number | undefined, failedTries: number): number | null {
  if (closeCode === undefined || !AUTO_RECONNECT_CODES.includes(closeCode)) return null;
  if (failedTries >= MAX_RECONNECTS_WITHOUT_PICTURE) return null;
  // 4503: the new holder is known already, connect at once; else 1 s, 2 s, 4 s, 8 s, 8 s.
  if (closeCode === 4503 && failedTries === 0) return 200;
  return Math.min(8_000, 1_000 * 2 ** failedTries);
}
