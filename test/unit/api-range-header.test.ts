import { describe, expect, it } from 'vitest';
import { contentRange, decideRange, type RangeDecision } from '../../api/range-header.ts';

describe('decideRange (one GET of a body of 1000 bytes)', () => {
  const cases: Array<[string | undefined, RangeDecision]> = [
    [undefined, { kind: 'whole' }],
    ['bytes=0-0', { kind: 'part', start: 0, end: 0 }],
    ['bytes=0-999', { kind: 'part', start: 0, end: 999 }],
    ['bytes=100-199', { kind: 'part', start: 100, end: 199 }],
    ['bytes=500-', { kind: 'part', start: 500, end: 999 }],
    ['bytes=990-5000', { kind: 'part', start: 990, end: 999 }], // end cut to the last byte
    ['bytes=-10', { kind: 'part', start: 990, end: 999 }], // the last 10 bytes
    ['bytes=-5000', { kind: 'part', start: 0, end: 999 }], // a suffix longer than the body: all of it
    [' bytes = 1 - 2 ', { kind: 'part', start: 1, end: 2 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=200-100', { kind: 'whole' }], // invalid: ignored (RFC 9110 §14.1.1)
    ['bytes=-', { kind: 'whole' }],
    ['bytes=0-10,20-30', { kind: 'whole' }], // several ranges: answered whole
    ['items=0-10', { kind: 'whole' }], // another unit
    ['bytes=abc', { kind: 'whole' }],
    ['bytes=99999999999999999999-', { kind: 'whole' }], // not a safe integer
  ];
  it.each(cases)('%s → %o', (header, want) => {
    expect(decideRange(header, 1000)).toEqual(want);
  });

  it('an empty body has no satisfiable range', () => {
    expect(decideRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange(undefined, 0)).toEqual({ kind: 'whole' });
  });

  it('writes Content-Range for a part and for a 416', () => {
    expect(contentRange({ start: 0, end: 99 }, 1000)).toBe('bytes 0-99/1000');
    expect(contentRange(null, 1000)).toBe('bytes */1000');
  });
});
