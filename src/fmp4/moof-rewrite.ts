import { VigilError } from '../errors.ts';
import type { MoofInfo } from './moof-info.ts';

/**
 * Rewrites a moof in place without changing its size: each traf's tfdt
 * (baseMediaDecodeTime) and the mfhd sequence number. Only fields that exist are touched, so
 * the byte ranges of a segment (HLS byte ranges, clip sizes) stay what the index says.
 */
export interface MoofPatch {
  /** New mfhd sequence number (u32), or undefined to keep it. */
  sequenceNumber?: number;
  /** New baseMediaDecodeTime per track id, in that track's ticks. Tracks not named are kept. */
  decodeTimes?: ReadonlyMap<number, number>;
}

const U32_MAX = 0xffff_ffff;

export function patchMoof(buf: Buffer, moof: MoofInfo, patch: MoofPatch): void {
  if (patch.sequenceNumber !== undefined) {
    if (!Number.isInteger(patch.sequenceNumber) || patch.sequenceNumber < 0 || patch.sequenceNumber > U32_MAX) {
      throw new VigilError('internal', `fragment sequence number ${patch.sequenceNumber} does not fit in 32 bits`);
    }
    buf.writeUInt32BE(patch.sequenceNumber, moof.sequenceNumberOffset);
  }
  if (!patch.decodeTimes) return;
  for (const traf of moof.trafs) {
    const value = patch.decodeTimes.get(traf.trackId);
    if (value === undefined) continue;
    const field = traf.decodeTime;
    if (!field) throw new VigilError('internal', `fragment ${moof.sequenceNumber} has no tfdt for track ${traf.trackId}, so its decode time cannot be set`);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new VigilError('internal', `decode time ${value} for track ${traf.trackId} is negative or not a whole number of ticks`);
    }
    if (field.version === 0) {
      if (value > U32_MAX) {
        throw new VigilError('internal', `track ${traf.trackId} of fragment ${moof.sequenceNumber} stores its decode time in 32 bits (tfdt version 0) and ${value} ticks does not fit`, {
          hint: 'Record with an ffmpeg that writes 64-bit tfdt (every current ffmpeg does), or keep runs shorter than 2^32 ticks.',
        });
      }
      buf.writeUInt32BE(value, field.valueOffset);
    } else {
      buf.writeBigUInt64BE(BigInt(value), field.valueOffset);
    }
    field.value = value;
  }
}
