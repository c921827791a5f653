import { box } from './mp4-box.ts';
import { parseH265Sps } from './h265-sps.ts';
import { H265_NAL } from './h265-depacketizer.ts';

/**
 * The HEVCDecoderConfigurationRecord box (ISO/IEC 14496-15 §8.3.3.1) of a `hev1` sample
 * entry, as ffmpeg writes it for live segments: the SPS's general profile, tier and level,
 * chroma format and bit depths, 4-byte NAL lengths, and one array each of VPS, SPS and PPS
 * marked incomplete (hev1: parameter sets may also come in-band, and the stream carries them
 * at every keyframe). Pure.
 */
export interface H265Config {
  codec: 'h265';
  vps: Buffer;
  sps: Buffer;
  pps: Buffer;
}

export function hvcC(c: H265Config): Buffer {
  const info = parseH265Sps(c.sps);
  const head = Buffer.concat([
    Buffer.from([1]), // configurationVersion
    info.generalProfileTierLevel, // profile space, tier, profile, compatibility, constraints, level
    Buffer.from([
      0xf0, 0x00, // reserved + min_spatial_segmentation_idc 0
      0xfc, // reserved + parallelismType 0 (unknown)
      0xfc | (info.chromaFormatIdc & 3),
      0xf8 | ((info.bitDepthLuma - 8) & 7),
      0xf8 | ((info.bitDepthChroma - 8) & 7),
      0x00, 0x00, // avgFrameRate unknown
      ((info.maxSubLayers & 7) << 3) | (info.temporalIdNested ? 4 : 0) | 3, // constantFrameRate 0, lengthSizeMinusOne 3
      3, // numOfArrays
    ]),
  ]);
  const array = (type: number, nal: Buffer) => {
    const h = Buffer.alloc(5);
    h[0] = type & 0x3f; // array_completeness 0
    h.writeUInt16BE(1, 1);
    h.writeUInt16BE(nal.length, 3);
    return Buffer.concat([h, nal]);
  };
  return box('hvcC', head, array(H265_NAL.VPS, c.vps), array(H265_NAL.SPS, c.sps), array(H265_NAL.PPS, c.pps));
}
