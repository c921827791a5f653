/**
 * RTP packets as an ONVIF replay session sends them (RFC 3550 header, ONVIF Streaming
 * Specification §6.3 replay header extension). Pure parsing; a malformed packet gives null.
 *
 *  RTP header: V=2 P X CC | M PT | sequence | timestamp | SSRC | CSRC × CC | [extension] | payload | [padding]
 *  Extension:  profile (16) | length in 32-bit words (16) | data
 *  ONVIF replay extension (profile 0xABAC, length 3):
 *    NTP timestamp (64: seconds since 1900 + 32-bit fraction) of the frame's capture
 *    C E D T mbz(4) | CSeq (8) | padding (16)
 *      C: clean point (the access unit starts a decodable picture: a keyframe)
 *      E: end of a contiguous section of recording (last packet before a gap)
 *      D: discontinuity (the packet follows a gap in the recording)
 *      T: terminal (last packet of the replayed range)
 *    CSeq: low 8 bits of the RTSP CSeq of the PLAY request the packet answers.
 */

export const ONVIF_REPLAY_PROFILE = 0xabac;
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension: { profile: number; data: Buffer } | null;
  payload: Buffer;
}

export interface OnvifReplayInfo {
  /** Frame capture time on the camera's clock, epoch ms (rounded). */
  ntpMs: number;
  cleanPoint: boolean;
  endOfSection: boolean;
  discontinuity: boolean;
  terminal: boolean;
  cseq: number;
}

export function parseRtpHeader(pkt: Buffer): RtpHeader | null {
  if (pkt.length < 12) return null;
  const b0 = pkt[0]!;
  if (b0 >> 6 !== 2) return null;
  const padding = (b0 & 0x20) !== 0;
  const hasExt = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  let off = 12 + cc * 4;
  if (pkt.length < off) return null;
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(pkt.readUInt32BE(12 + i * 4));
  let extension: RtpHeader['extension'] = null;
  if (hasExt) {
    if (pkt.length < off + 4) return null;
    const profile = pkt.readUInt16BE(off);
    const words = pkt.readUInt16BE(off + 2);
    const end = off + 4 + words * 4;
    if (pkt.length < end) return null;
    extension = { profile, data: pkt.subarray(off + 4, end) };
    off = end;
  }
  let payloadEnd = pkt.length;
  if (padding) {
    const pad = pkt[pkt.length - 1]!;
    if (pad === 0 || pkt.length - pad < off) return null;
    payloadEnd -= pad;
  }
  return {
    marker: (pkt[1]! & 0x80) !== 0,
    payloadType: pkt[1]! & 0x7f,
    sequence: pkt.readUInt16BE(2),
    timestamp: pkt.readUInt32BE(4),
    ssrc: pkt.readUInt32BE(8),
    csrcs,
    extension,
    payload: pkt.subarray(off, payloadEnd),
  };
}

/** Epoch ms of a 64-bit NTP timestamp (seconds since 1900, 32-bit fraction). */
export function ntpToEpochMs(seconds: number, fraction: number): number {
  return (seconds - NTP_UNIX_OFFSET_S) * 1000 + Math.round((fraction * 1000) / 0x1_0000_0000);
}

/** The ONVIF replay information of a packet's header extension, or null if it has none. */
export function parseOnvifReplayExtension(h: RtpHeader): OnvifReplayInfo | null {
  const ext = h.extension;
  if (!ext || ext.profile !== ONVIF_REPLAY_PROFILE || ext.data.length < 12) return null;
  const flags = ext.data[8]!;
  return {
    ntpMs: ntpToEpochMs(ext.data.readUInt32BE(0), ext.data.readUInt32BE(4)),
    cleanPoint: (flags & 0x80) !== 0,
    endOfSection: (flags & 0x40) !== 0,
    discontinuity: (flags & 0x20) !== 0,
    terminal: (flags & 0x10) !== 0,
    cseq: ext.data[9]!,
  };
}

/** Builds the extension block (profile, length, data) for a time and flags; for tests and tools. */
export function encodeOnvifReplayExtension(info: OnvifReplayInfo): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeUInt16BE(ONVIF_REPLAY_PROFILE, 0);
  buf.writeUInt16BE(3, 2);
  const totalMs = info.ntpMs + NTP_UNIX_OFFSET_S * 1000;
  const seconds = Math.floor(totalMs / 1000);
  const fraction = Math.round(((totalMs - seconds * 1000) / 1000) * 0x1_0000_0000);
  buf.writeUInt32BE(seconds >>> 0, 4);
  buf.writeUInt32BE(Math.min(fraction, 0xffff_ffff) >>> 0, 8);
  buf[12] = (info.cleanPoint ? 0x80 : 0) | (info.endOfSection ? 0x40 : 0) | (info.discontinuity ? 0x20 : 0) | (info.terminal ? 0x10 : 0);
  buf[13] = info.cseq & 0xff;
  return buf;
}
