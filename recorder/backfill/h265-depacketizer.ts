import { VideoDepacketizer, type NalSyntax } from './video-depacketizer.ts';

/**
 * H.265 over RTP (RFC 7798) with sprop-max-don-diff 0 (no DONL fields, what cameras send):
 * two-byte NAL header, AP 48, FU 49 (PACI 50 is refused as broken). Keyframes are IRAP
 * pictures (types 16–23: BLA, IDR, CRA); VPS 32, SPS 33 and PPS 34 are all needed before one.
 */
export function h265NalType(nal: Buffer): number {
  return (nal[0]! >> 1) & 0x3f;
}

/** Parameter set NAL unit types. */
export const H265_NAL = { VPS: 32, SPS: 33, PPS: 34 } as const;

export const H265_SYNTAX: NalSyntax = {
  codec: 'h265',
  headerBytes: 2,
  type: h265NalType,
  isSingle: (t) => t <= 47,
  aggregateType: 48,
  fragmentType: 49,
  // The payload header with its type replaced by the FU header's (F bit, LayerId and TID kept).
  fragmentedHeader: (p) => Buffer.from([(p[0]! & 0x81) | ((p[2]! & 0x3f) << 1), p[1]!]),
  isPicture: (t) => t <= 31,
  isKeyframe: (t) => t >= 16 && t <= 23,
  parameterSet: (t) => (t === H265_NAL.VPS ? 'vps' : t === H265_NAL.SPS ? 'sps' : t === H265_NAL.PPS ? 'pps' : null),
  required: ['vps', 'sps', 'pps'],
};

export class H265Depacketizer extends VideoDepacketizer {
  constructor(parameterSets: Buffer[] = []) {
    super(H265_SYNTAX, parameterSets);
  }

  get vps(): Buffer | null {
    return this.sets.vps;
  }
}

/** VPS, SPS and PPS of an SDP fmtp (`sprop-vps`, `sprop-sps`, `sprop-pps`, each base64, maybe comma-separated). */
export function parseH265Sprops(fmtp: ReadonlyMap<string, string>): Buffer[] {
  return ['sprop-vps', 'sprop-sps', 'sprop-pps'].flatMap((k) =>
    (fmtp.get(k) ?? '')
      .split(',')
      .map((s) => Buffer.from(s.trim(), 'base64'))
      .filter((b) => b.length >= 2),
  );
}
