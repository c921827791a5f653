import { BitReader, unescapeRbsp } from './h264-sps.ts';

/**
 * The facts of an H.265 sequence parameter set (ITU-T H.265 §7.3.2.2) an MP4 sample entry
 * needs: the general profile, tier and level bytes as they stand (hvcC copies them), the
 * cropped picture size, chroma format, bit depths and temporal layers. Pure; throws
 * RangeError on an SPS that ends early.
 */
export interface H265SpsInfo {
  /** The 12 bytes of general_profile_space … general_level_idc (profile_tier_level, byte-aligned in every SPS). */
  generalProfileTierLevel: Buffer;
  maxSubLayers: number;
  temporalIdNested: boolean;
  chromaFormatIdc: number;
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
}

export function parseH265Sps(nal: Buffer): H265SpsInfo {
  const rbsp = unescapeRbsp(nal);
  // NAL header (2 bytes), then vps id (4 bits), max_sub_layers_minus1 (3), temporal_id_nesting (1).
  if (rbsp.length < 15) throw new RangeError('parameter set ends early');
  const maxSubLayers = ((rbsp[2]! >> 1) & 0x07) + 1;
  const temporalIdNested = (rbsp[2]! & 1) === 1;
  const generalProfileTierLevel = Buffer.from(rbsp.subarray(3, 15));
  const r = new BitReader(rbsp, 15);
  const subProfile: number[] = [];
  const subLevel: number[] = [];
  for (let i = 0; i < maxSubLayers - 1; i++) {
    subProfile.push(r.u(1));
    subLevel.push(r.u(1));
  }
  if (maxSubLayers > 1) for (let i = maxSubLayers - 1; i < 8; i++) r.skip(2);
  for (let i = 0; i < maxSubLayers - 1; i++) {
    if (subProfile[i]) r.skip(88);
    if (subLevel[i]) r.skip(8);
  }
  r.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.ue();
  const separateColourPlane = chromaFormatIdc === 3 ? r.u(1) : 0;
  let width = r.ue();
  let height = r.ue();
  if (r.u(1)) {
    // conformance_window offsets, in chroma sample units.
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subW = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subH = chromaArrayType === 1 ? 2 : 1;
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    width -= subW * (left + right);
    height -= subH * (top + bottom);
  }
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;
  return { generalProfileTierLevel, maxSubLayers, temporalIdNested, chromaFormatIdc, width, height, bitDepthLuma, bitDepthChroma };
}
