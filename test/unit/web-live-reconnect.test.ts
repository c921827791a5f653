import { describe, expect, it } from 'vitest';
import { AUTO_RECONNECT_CODES, MAX_RECONNECTS_WITHOUT_PICTURE, liveReconnectDelayMs } from '../../api/web/src/live-reconnect.ts';

// The live player's own reconnect decision (the browser test of live view covers the player).
describe('live player reconnect', () => {
  it.each([
    // code, tries since the last picture, delay (null = stop, show Retry)
    [4503, 0, 200], // camera moved to another recorder node: the new holder is known, go at once
    [4503, 1, 2_000],
    [4502, 0, 1_000], // recorder unreachable: back off
    [4502, 1, 2_000],
    [4502, 3, 8_000],
    [4502, 4, 8_000], // capped
    [4502, 5, null], // five tries without a picture: stop hammering, let the user decide
    [1006, 0, 1_000], // connection broke without a close frame
    [1001, 0, 1_000], // server going away (restart)
    [4008, 0, 1_000], // dropped for falling behind
    [1000, 0, null], // a normal close is not retried
    [4004, 0, null], // unknown camera: another try cannot fix it
    [4029, 0, null], // too many viewers
    [4401, 0, null],
    [undefined, 0, null],
  ] as const)('close %s after %i tries → %s', (code, tries, delay) => {
    expect(liveReconnectDelayMs(code, tries)).toBe(delay);
  });

  it('stops after the same number of tries for every retried code', () => {
    for (const code of AUTO_RECONNECT_CODES) {
      expect(liveReconnectDelayMs(code, MAX_RECONNECTS_WITHOUT_PICTURE - 1), String(code)).not.toBeNull();
      expect(liveReconnectDelayMs(code, MAX_RECONNECTS_WITHOUT_PICTURE), String(code)).toBeNull();
    }
  });
});
