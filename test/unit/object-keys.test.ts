import { describe, expect, it } from 'vitest';
import { cameraPrefix, isCameraId, MAX_KEY_TIME_MS, parseSegmentKey, segmentKey } from '../../src/object-keys.ts';
import { isVigilError } from '../../src/errors.ts';

const T = Date.UTC(2026, 2, 3, 2, 40, 0); // 2026-03-03T02:40:00Z = 09:40 in Hanoi

describe('segmentKey ⇄ parseSegmentKey', () => {
  it.each([
    ['ward-x-counter-3', T, 10_040, 'ward-x-counter-3/2026/03/03/02/1772505600000-10040.mp4'],
    ['cam-1', Date.UTC(2026, 11, 31, 23, 59, 59, 999), 1, 'cam-1/2026/12/31/23/1798761599999-1.mp4'],
    ['cam-1', Date.UTC(2027, 0, 1, 0, 0, 0, 0), 10_000, 'cam-1/2027/01/01/00/1798761600000-10000.mp4'],
    ['a', 0, 10_000, 'a/1970/01/01/00/0-10000.mp4'],
    ['0', Date.UTC(2028, 1, 29, 12), 600_000, '0/2028/02/29/12/1835438400000-600000.mp4'], // leap day
    ['x'.repeat(64), T, 5, `${'x'.repeat(64)}/2026/03/03/02/1772505600000-5.mp4`],
    ['cam-1', MAX_KEY_TIME_MS, 1, `cam-1/9999/12/31/23/${MAX_KEY_TIME_MS}-1.mp4`],
  ])('%s at %i for %i ms ⇄ %s', (cam, start, dur, key) => {
    expect(segmentKey(cam, start, dur)).toBe(key);
    expect(parseSegmentKey(key)).toEqual({ cameraId: cam, startMs: start, durationMs: dur });
  });

  it('names the UTC hour, not the local one (09:40 in Hanoi is hour 02)', () => {
    expect(segmentKey('c', Date.parse('2026-03-03T09:40:00+07:00'), 10_000)).toMatch(/^c\/2026\/03\/03\/02\//);
  });

  it.each([
    ['hour does not match startMs', 'cam-1/2026/03/03/03/1772505600000-10040.mp4'],
    ['day does not match startMs', 'cam-1/2026/03/04/02/1772505600000-10040.mp4'],
    ['month without leading zero', 'cam-1/2026/3/03/02/1772505600000-10040.mp4'],
    ['leading zero on start', 'cam-1/2026/03/03/02/01772505600000-10040.mp4'],
    ['leading zero on duration', 'cam-1/2026/03/03/02/1772505600000-010040.mp4'],
    ['zero duration', 'cam-1/2026/03/03/02/1772505600000-0.mp4'],
    ['negative duration', 'cam-1/2026/03/03/02/1772505600000--5.mp4'],
    ['uppercase camera', 'Cam-1/2026/03/03/02/1772505600000-10.mp4'],
    ['camera ending in a dash', 'cam-/2026/03/03/02/1772505600000-10.mp4'],
    ['camera id too long', `${'x'.repeat(65)}/2026/03/03/02/1772505600000-10.mp4`],
    ['traversal', '../etc/2026/03/03/02/1772505600000-10.mp4'],
    ['temp suffix', 'cam-1/2026/03/03/02/1772505600000-10.mp4.tmp'],
    ['other extension', 'cam-1/2026/03/03/02/1772505600000-10.ts'],
    ['extra folder', 'site/cam-1/2026/03/03/02/1772505600000-10.mp4'],
    ['leading slash', '/cam-1/2026/03/03/02/1772505600000-10.mp4'],
    ['not a number', 'cam-1/2026/03/03/02/17725056000x0-10.mp4'],
    ['beyond safe integers', 'cam-1/2026/03/03/02/9999999999999999-10.mp4'],
    ['a note', 'cam-1/notes.txt'],
    ['empty', ''],
  ])('rejects %s', (_why, key) => {
    expect(parseSegmentKey(key)).toBeNull();
  });

  it.each([
    ['camera with a slash', '../x', 0, 1],
    ['uppercase camera', 'Cam', 0, 1],
    ['empty camera', '', 0, 1],
    ['fractional start', 'cam', 1.5, 1],
    ['negative start', 'cam', -1, 1],
    ['start past year 9999', 'cam', MAX_KEY_TIME_MS + 1, 1],
    ['zero duration', 'cam', 0, 0],
    ['fractional duration', 'cam', 0, 2.5],
    ['NaN duration', 'cam', 0, Number.NaN],
  ])('refuses to make a key from a %s', (_why, cam, start, dur) => {
    let err: unknown;
    try {
      segmentKey(cam, start, dur);
    } catch (e) {
      err = e;
    }
    expect(isVigilError(err, 'invalid_object_key')).toBe(true);
  });
});

describe('camera ids and prefixes', () => {
  it.each([
    ['ward-x-counter-3', true],
    ['a', true],
    ['-a', false],
    ['a-', false],
    ['a_b', false],
    ['a.b', false],
    ['', false],
  ])('%j is a camera id: %s', (id, ok) => {
    expect(isCameraId(id)).toBe(ok);
  });

  it('lists one camera only: "cam-1/" does not match "cam-10/…"', () => {
    expect(cameraPrefix('cam-1')).toBe('cam-1/');
    expect(segmentKey('cam-10', T, 1).startsWith(cameraPrefix('cam-1'))).toBe(false);
    expect(() => cameraPrefix('../')).toThrow(/not a camera id/);
  });
});
