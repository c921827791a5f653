import { describe, expect, it } from 'vitest';
import { asOnboardingError, MAX_AUTH_SKEW_MS } from '../../recorder/onboarding-error.ts';
import { VigilError } from '../../src/errors.ts';

const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('asOnboardingError', () => {
  const where = '127.0.0.1:40181';
  it.each([
    // [what the ONVIF library or Node threw, clock offset, expected code]
    [err('connect ECONNREFUSED 127.0.0.1:40181', 'ECONNREFUSED'), undefined, 'camera_unreachable'],
    [err('connect ECONNREFUSED 127.0.0.1:40181'), undefined, 'camera_unreachable'],
    [err('connect ECONNREFUSED 127.0.0.1:401', 'ECONNREFUSED'), undefined, 'camera_unreachable'],
    [err('read ECONNRESET', 'ECONNRESET'), undefined, 'camera_unreachable'],
    [err('Network timeout'), undefined, 'camera_unreachable'],
    [err('GetDeviceInformation timed out after 4000 ms', 'ETIMEDOUT'), undefined, 'camera_unreachable'],
    [err('socket hang up at 10.0.40.1:8401'), undefined, 'camera_unreachable'],
    [err('Digest authentication failed 401'), undefined, 'camera_auth_failed'],
    [err('Sender not Authorized'), undefined, 'camera_auth_failed'],
    [err('ter:NotAuthorized'), 1_000, 'camera_auth_failed'],
    [err('HTTP 401'), undefined, 'camera_auth_failed'],
    [err('the camera answered 401.'), undefined, 'camera_auth_failed'],
    [err('bad reply from 10.0.401.7'), undefined, 'camera_unreachable'],
    [err('Digest authentication failed 401'), MAX_AUTH_SKEW_MS + 60_000, 'camera_clock_skew'],
    [err('Sender not Authorized'), -(MAX_AUTH_SKEW_MS + 1), 'camera_clock_skew'],
    [err('Sender not Authorized'), MAX_AUTH_SKEW_MS, 'camera_auth_failed'],
    [err('Unexpected XML at 4011'), undefined, 'camera_unreachable'],
  ] as const)('%s (clock offset %s) → %s', (e, offset, code) => {
    expect(asOnboardingError(e, where, offset).code).toBe(code);
  });

  it('keeps a VigilError as it is', () => {
    const e = new VigilError('camera_no_video_profile', 'no profile');
    expect(asOnboardingError(e, where)).toBe(e);
  });

  it('names where and how to fix, without the credentials the library echoed', () => {
    const e = asOnboardingError(err('bad reply from rtsp://admin:s3cret@10.0.0.9/ch1'), where);
    expect(e.message).toContain(where);
    expect(e.message).not.toContain('s3cret');
    const skew = asOnboardingError(err('Sender not Authorized'), where, 12 * 60_000);
    expect(skew.message).toMatch(/12 min off ours.*enable NTP/);
  });
});
