/**
 * Whether a video sample carries its own parameter sets (SPS, and for H.265 VPS/SPS) before
 * its first slice. When it does, a decoder follows a resolution or profile change from the
 * samples alone, whatever the moov says, so segments whose moovs differ only in these can be
 * joined under one moov. Pure; looks only at the NAL unit headers.
 */
export type VideoCodecFamily = 'h264' | 'h265' | 'other';

export function codecFamily(fourcc: string): VideoCodecFamily {
  if (fourcc === 'avc1' || fourcc === 'avc3') return 'h264';
  if (fourcc === 'hvc1' || fourcc === 'hev1') return 'h265';
  return 'other';
}

/**
 * Walks the length-prefixed NAL units at the start of a sample (`head` may be only its first
 * bytes). True when an SPS comes before the first slice; false when a slice comes first or
 * the bytes end before either is seen.
 */
export function sampleHasParameterSets(head: Buffer, family: VideoCodecFamily, nalLengthSize: number): boolean {
  if (family === 'other' || nalLengthSize < 1 || nalLengthSize > 4) return false;
  let o = 0;
  while (o + nalLengthSize < head.length) {
    const len = head.readUIntBE(o, nalLengthSize);
    const b = head.readUInt8(o + nalLengthSize);
    if (family === 'h264') {
      const type = b & 0x1f;
      if (type === 7) return true;
      if (type >= 1 && type <= 5) return false;
    } else {
      const type = (b >> 1) & 0x3f;
      if (type === 33) return true;
      if (type <= 31) return false;
    }
    if (len === 0) return false;
    o += nalLengthSize + len;
  }
  return false;
}
