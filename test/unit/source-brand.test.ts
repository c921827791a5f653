import { describe, expect, it } from 'vitest';
import { BACKFILL_BRAND, compatibleBrands, isBackfillMarked } from '../../src/fmp4/source-brand.ts';

const box = (type: string, ...body: Buffer[]): Buffer => {
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};
const ftyp = (major: string, brands: string) => box('ftyp', Buffer.from(major, 'latin1'), u32(512), Buffer.from(brands, 'latin1'));
const moov = box('moov', box('mvhd', Buffer.alloc(100)));

describe('the backfill mark in a segment’s ftyp', () => {
  it.each([
    ['ffmpeg’s live segment', Buffer.concat([ftyp('iso5', 'iso5iso6mp41'), moov]), ['iso5', 'iso6', 'mp41'], false],
    ['a recovered segment', Buffer.concat([ftyp('iso5', `iso5iso6mp41${BACKFILL_BRAND}`), moov]), ['iso5', 'iso6', 'mp41', BACKFILL_BRAND], true],
    ['the mark as major brand only (not what Vigil writes)', Buffer.concat([ftyp(BACKFILL_BRAND, 'iso5'), moov]), ['iso5'], false],
    ['no compatible brands', ftyp('iso5', ''), [], false],
    ['the mark in a later box, not the ftyp', Buffer.concat([ftyp('iso5', 'iso5'), box('free', Buffer.from(BACKFILL_BRAND, 'latin1'))]), ['iso5'], false],
    ['a file not starting with ftyp', Buffer.concat([moov, ftyp('iso5', BACKFILL_BRAND)]), [], false],
    ['an ftyp cut short', ftyp('iso5', `iso5${BACKFILL_BRAND}`).subarray(0, 22), [], false],
    ['nothing', Buffer.alloc(0), [], false],
  ] as const)('%s', (_what, file, brands, marked) => {
    expect(compatibleBrands(file)).toEqual(brands);
    expect(isBackfillMarked(file)).toBe(marked);
  });
});
