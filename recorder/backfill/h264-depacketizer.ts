import { VideoDepacketizer, type NalSyntax } from './video-depacketizer.ts';

export type { AccessUnit } from './video-depacketizer.ts';

/** H.264 over RTP (RFC 6184): one-byte NAL header, STAP-A 24, FU-A 28, IDR 5, SPS 7, PPS 8. */
export function h264NalType(nal: Buffer): number {
  return nal[0]! & 0x1f;
}

export const H264_SYNTAX: NalSyntax = {
  codec: 'h264',
  headerBytes: 1,
  type: h264NalType,
  isSingle: (t) => t >= 1 && t <= 23,
  aggregateType: 24,
  fragmentType: 28,
  fragmentedHeader: (p) => Buffer.from([(p[0]! & 0xe0) | (p[1]! & 0x1f)]),
  isPicture: (t) => t >= 1 && t <= 5,
  isKeyframe: (t) => t === 5,
  parameterSet: (t) => (t === 7 ? 'sps' : t === 8 ? 'pps' : null),
  required: ['sps', 'pps'],
};

export class H264Depacketizer extends VideoDepacketizer {
  constructor(parameterSets: Buffer[] = []) {
    super(H264_SYNTAX, parameterSets);
  }
}

/** The SPS and PPS of an SDP fmtp `sprop-parameter-sets=<b64>,<b64>` value. */
export function parseSpropParameterSets(value: string): Buffer[] {
  return value
    .split(',')
    .map((s) => Buffer.from(s.trim(), 'base64'))
    .filter((b) => b.length > 0);
}
