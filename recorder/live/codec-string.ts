import { scanTopLevelBoxes } from '../../src/mp4-boxes.ts';
import { findChild, findPath, fullBoxHeader, requireChild } from '../../src/fmp4/box-tree.ts';
import { parseInit, videoTrack } from '../../src/fmp4/init-info.ts';

/**
 * The MIME type a browser's MediaSource needs for a live init segment, e.g.
 * `video/mp4; codecs="avc1.640028"` (RFC 6381 codec parameter; for H.265 the form of
 * ISO/IEC 14496-15 annex E, `hev1.1.6.L120.90`). Pure.
 */
export interface LiveTrackFacts {
  mime: string;
  codec: string;
  widthPx: number | null;
  heightPx: number | null;
  timescale: number;
  trackId: number;
}

const VISUAL_SAMPLE_ENTRY_BYTES = 78;

export function liveTrackFacts(init: Buffer): LiveTrackFacts {
  const info = parseInit(init);
  const video = videoTrack(info);
  if (!video) throw new Error('the live init segment has no video track');
  const codec = codecParameter(init, video.codec);
  return {
    mime: `video/mp4; codecs="${codec}"`,
    codec,
    widthPx: video.width ?? null,
    heightPx: video.height ?? null,
    timescale: video.timescale,
    trackId: video.trackId,
  };
}

function codecParameter(init: Buffer, fourcc: string): string {
  const moov = scanTopLevelBoxes(init).boxes.find((b) => b.type === 'moov');
  if (!moov) throw new Error('the live init segment has no moov');
  for (const trak of findAll(init, moov, 'trak')) {
    const stsd = findPath(init, trak, ['mdia', 'minf', 'stbl', 'stsd']);
    if (!stsd) continue;
    const entriesAt = fullBoxHeader(init, stsd).bodyOffset + 4;
    const first = scanTopLevelBoxes(init.subarray(entriesAt, stsd.offset + stsd.size)).boxes[0];
    if (!first || first.type !== fourcc) continue;
    const entry = { ...first, offset: first.offset + entriesAt };
    if (fourcc === 'avc1' || fourcc === 'avc3') {
      const avcC = requireChild(init, entry, 'avcC', VISUAL_SAMPLE_ENTRY_BYTES);
      return avcCodecString(fourcc, init.subarray(avcC.offset + avcC.headerSize, avcC.offset + avcC.size));
    }
    if (fourcc === 'hvc1' || fourcc === 'hev1') {
      const hvcC = findChild(init, entry, 'hvcC', VISUAL_SAMPLE_ENTRY_BYTES);
      if (hvcC) return hevcCodecString(fourcc, init.subarray(hvcC.offset + hvcC.headerSize, hvcC.offset + hvcC.size));
    }
    return fourcc;
  }
  return fourcc;
}

function findAll(buf: Buffer, parent: { offset: number; size: number; headerSize: 8 | 16; type: string; truncated: boolean }, type: string) {
  const start = parent.offset + parent.headerSize;
  return scanTopLevelBoxes(buf.subarray(start, parent.offset + parent.size)).boxes
    .filter((b) => b.type === type)
    .map((b) => ({ ...b, offset: b.offset + start }));
}

/** avc1.PPCCLL: profile_idc, constraint flags, level_idc of the AVCDecoderConfigurationRecord. */
export function avcCodecString(fourcc: string, avcC: Buffer): string {
  if (avcC.length < 4) throw new Error('avcC is too short');
  const hex = (b: number) => b.toString(16).padStart(2, '0');
  return `${fourcc}.${hex(avcC[1]!)}${hex(avcC[2]!)}${hex(avcC[3]!)}`;
}

/**
 * hev1.<space><profile>.<compatibility, bit-reversed hex>.<tier><level>.<constraint bytes>
 * from the HEVCDecoderConfigurationRecord (trailing zero constraint bytes left out).
 */
export function hevcCodecString(fourcc: string, hvcC: Buffer): string {
  if (hvcC.length < 13) throw new Error('hvcC is too short');
  const b1 = hvcC[1]!;
  const space = ['', 'A', 'B', 'C'][b1 >> 6]!;
  const tier = (b1 >> 5) & 1 ? 'H' : 'L';
  const profile = b1 & 0x1f;
  let compat = hvcC.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    reversed = (reversed << 1) | (compat & 1);
    compat >>>= 1;
  }
  const constraints = [...hvcC.subarray(6, 12)];
  while (constraints.length && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = hvcC[12]!;
  const parts = [fourcc, `${space}${profile}`, (reversed >>> 0).toString(16), `${tier}${level}`, ...constraints.map((c) => c.toString(16))];
  return parts.join('.');
}
