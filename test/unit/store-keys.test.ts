import { describe, expect, it } from 'vitest';
import { assertObjectKey, listPrefixProblem, objectKeyProblem } from '../../src/store/store-keys.ts';
import { clampByteRange } from '../../src/store/byte-range.ts';
import { isVigilError } from '../../src/errors.ts';

describe('object keys the stores accept', () => {
  it.each([
    'cam-1/2026/01/05/02/1767578400000-10000.mp4',
    'a',
    'exports/case_12/clip.v2.mp4',
    'x'.repeat(1024),
  ])('accepts %s', (key) => {
    expect(objectKeyProblem(key)).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['../etc/passwd', /"\.\." part/],
    ['a/../../b', /"\.\." part/],
    ['a/./b', /"\." part/],
    ['/abs', /empty part/],
    ['a//b', /empty part/],
    ['a/', /empty part/],
    ['.hidden', /starting with "\."/],
    ['a/.tmp/x', /starting with "\."/],
    ['a\\..\\b', /character outside/],
    ['a b', /character outside/],
    ['a\u0000b', /character outside/],
    ['ca\u0301mera', /character outside/],
    ['x'.repeat(1025), /longer than 1024/],
  ])('rejects %j', (key, why) => {
    expect(objectKeyProblem(key)).toMatch(why);
    let err: unknown;
    try {
      assertObjectKey(key);
    } catch (e) {
      err = e;
    }
    expect(isVigilError(err, 'invalid_object_key')).toBe(true);
  });

  it.each([
    ['', null],
    ['cam-1/', null],
    ['cam-1/2026/0', null],
    ['cam', null],
    ['../', /"\.\." part/],
    ['cam-1/../', /"\.\." part/],
    ['/cam', /empty part/],
    ['cam-1//', /empty part/],
    ['cam-1/.t', /no key part can start/],
    ['cam 1', /no key part can start/],
  ])('listing prefix %j → %s', (prefix, expected) => {
    const problem = listPrefixProblem(prefix);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('byte ranges', () => {
  it.each([
    [{ start: 0, end: 0 }, 10, { start: 0, end: 0 }],
    [{ start: 4, end: 7 }, 10, { start: 4, end: 7 }],
    [{ start: 4, end: 100 }, 10, { start: 4, end: 9 }],
    [{ start: 9, end: 9 }, 10, { start: 9, end: 9 }],
  ])('%j of %i bytes → %j', (range, size, expected) => {
    expect(clampByteRange(range, size, 'k')).toEqual(expected);
  });

  it.each([
    [{ start: 10, end: 12 }, 10],
    [{ start: 0, end: 0 }, 0],
    [{ start: 5, end: 4 }, 10],
    [{ start: -1, end: 4 }, 10],
    [{ start: 0.5, end: 4 }, 10],
  ])('%j of %i bytes is not satisfiable', (range, size) => {
    let err: unknown;
    try {
      clampByteRange(range, size, 'k');
    } catch (e) {
      err = e;
    }
    expect(isVigilError(err, 'range_not_satisfiable')).toBe(true);
  });
});
