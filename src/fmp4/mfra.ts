import { scanTopLevelBoxes } from '../mp4-boxes.ts';
import { childBoxes, fullBoxHeader, readU64 } from './box-tree.ts';

/**
 * The movie fragment random access box ffmpeg writes at the end of a fragmented MP4
 * (`mfra` > `tfra` per track, closed by `mfro` holding the mfra size). Its tfra entries give
 * every fragment's moof offset, so the last fragment is found with two small reads instead of
 * walking the whole file. Pure.
 */
export const MFRO_BYTES = 16;

/** Size of the mfra box as announced by the trailing mfro, or null when there is none. */
export function mfraSizeFromTail(tail16: Buffer): number | null {
  if (tail16.length < MFRO_BYTES) return null;
  const t = tail16.subarray(tail16.length - MFRO_BYTES);
  if (t.readUInt32BE(0) !== MFRO_BYTES || t.toString('latin1', 4, 8) !== 'mfro') return null;
  const size = t.readUInt32BE(12);
  return size >= 8 + MFRO_BYTES ? size : null;
}

export interface TfraEntry {
  trackId: number;
  /** Presentation time of the entry's sample, track ticks. */
  timeTicks: number;
  moofOffset: number;
}

/** Parses an mfra box (buf holds exactly the box). Returns null when it is not one. */
export function parseMfra(buf: Buffer): TfraEntry[] | null {
  const top = scanTopLevelBoxes(buf);
  const mfra = top.boxes[0];
  if (!mfra || mfra.type !== 'mfra' || mfra.truncated || mfra.size !== buf.length) return null;
  const out: TfraEntry[] = [];
  for (const tfra of childBoxes(buf, mfra).filter((b) => b.type === 'tfra')) {
    const h = fullBoxHeader(buf, tfra);
    let o = h.bodyOffset;
    const trackId = buf.readUInt32BE(o);
    const lens = buf.readUInt32BE(o + 4);
    const count = buf.readUInt32BE(o + 8);
    o += 12;
    const skip = ((lens >> 4) & 3) + 1 + ((lens >> 2) & 3) + 1 + (lens & 3) + 1;
    const entryBytes = (h.version === 1 ? 16 : 8) + skip;
    if (o + count * entryBytes > tfra.offset + tfra.size) return null;
    for (let i = 0; i < count; i++) {
      const timeTicks = h.version === 1 ? readU64(buf, o, 'tfra time') : buf.readUInt32BE(o);
      const moofOffset = h.version === 1 ? readU64(buf, o + 8, 'tfra moof offset') : buf.readUInt32BE(o + 4);
      out.push({ trackId, timeTicks, moofOffset });
      o += entryBytes;
    }
  }
  return out;
}
