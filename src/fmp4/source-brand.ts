import { topLevelBoxes } from '../mp4-boxes.ts';

/**
 * The mark a segment recovered from a camera's own storage carries in itself: one more
 * compatible brand in its `ftyp` (ISO/IEC 14496-12 lets a file list brands a reader does not
 * know; players ignore them). The object key says camera and timing only, so this is how
 * `vigil reindex` rebuilds a backfilled row as backfilled from a bucket listing alone. Pure.
 */
export const BACKFILL_BRAND = 'vgbf';

/** The compatible brands of the file's leading ftyp (none when it does not start with one). */
export function compatibleBrands(file: Buffer): string[] {
  const ftyp = topLevelBoxes(file)[0];
  if (!ftyp || ftyp.type !== 'ftyp' || ftyp.truncated) return [];
  const brands: string[] = [];
  // header, major brand (4), minor version (4), then 4-character brands to the box's end
  for (let at = ftyp.offset + ftyp.headerSize + 8; at + 4 <= ftyp.offset + ftyp.size; at += 4) brands.push(file.toString('latin1', at, at + 4));
  return brands;
}

/** True when the file (or its init part) carries the backfill mark. */
export function isBackfillMarked(file: Buffer): boolean {
  return compatibleBrands(file).includes(BACKFILL_BRAND);
}
