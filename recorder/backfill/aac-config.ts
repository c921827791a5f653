/**
 * AAC stream facts: the AudioSpecificConfig (ISO 14496-3 §1.6.2.1) of an SDP `config=` value,
 * and ADTS frames (what ffmpeg's encoder writes to a pipe) split into raw access units with the
 * config they imply. Pure.
 */

export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AacConfig {
  asc: Buffer;
  objectType: number;
  sampleRate: number;
  channels: number;
}

/** Parses a hex AudioSpecificConfig (SDP fmtp `config=`); null when it is not one. */
export function parseAudioSpecificConfig(hex: string): AacConfig | null {
  if (!/^([0-9a-f]{2})+$/i.test(hex) || hex.length < 4) return null;
  const asc = Buffer.from(hex, 'hex');
  const v = asc.readUInt16BE(0);
  const objectType = v >> 11;
  const index = (v >> 7) & 0x0f;
  const channels = (v >> 3) & 0x0f;
  let sampleRate = AAC_SAMPLE_RATES[index];
  if (index === 15) {
    if (asc.length < 5) return null;
    sampleRate = ((asc.readUInt32BE(1) >>> 7) & 0xffffff) >>> 0; // 24 bits after the 4-bit index
  }
  if (!objectType || !sampleRate || !channels) return null;
  return { asc, objectType, sampleRate, channels };
}

/** The 2-byte AudioSpecificConfig for an object type, sample rate and channel count. */
export function audioSpecificConfig(objectType: number, sampleRate: number, channels: number): Buffer {
  const index = AAC_SAMPLE_RATES.indexOf(sampleRate);
  if (index < 0) throw new RangeError(`no AAC sampling index for ${sampleRate} Hz`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE((objectType << 11) | (index << 7) | (channels << 3), 0);
  return b;
}

/** Splits an ADTS stream into raw AUs (headers and CRCs removed); a torn tail is left out. */
export function parseAdts(buf: Buffer): { config: AacConfig | null; frames: Buffer[] } {
  const frames: Buffer[] = [];
  let config: AacConfig | null = null;
  let off = 0;
  while (off + 7 <= buf.length) {
    if (buf[off] !== 0xff || (buf[off + 1]! & 0xf6) !== 0xf0) break;
    const protectionAbsent = buf[off + 1]! & 1;
    const profile = buf[off + 2]! >> 6;
    const index = (buf[off + 2]! >> 2) & 0x0f;
    const channels = ((buf[off + 2]! & 1) << 2) | (buf[off + 3]! >> 6);
    const length = ((buf[off + 3]! & 0x03) << 11) | (buf[off + 4]! << 3) | (buf[off + 5]! >> 5);
    const head = protectionAbsent ? 7 : 9;
    if (length < head || off + length > buf.length) break;
    if (!config && AAC_SAMPLE_RATES[index]) {
      const sampleRate = AAC_SAMPLE_RATES[index]!;
      config = { asc: audioSpecificConfig(profile + 1, sampleRate, channels), objectType: profile + 1, sampleRate, channels };
    }
    frames.push(buf.subarray(off + head, off + length));
    off += length;
  }
  return { config, frames };
}
