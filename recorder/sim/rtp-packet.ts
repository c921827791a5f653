import { randomBytes } from 'node:crypto';

/**
 * RTP packets (RFC 3550) framed for RTSP interleaved transport (RFC 2326 §10.12: '$', channel,
 * 16-bit length). Codec packetizers produce RtpPayloads once per frame of a loop; a track of a
 * session turns each into a packet with its own SSRC, sequence number and timestamp base.
 */

/** One RTP payload: a small codec-specific head (FU or AU headers, possibly empty) and a body. */
export interface RtpPayload {
  head: Buffer;
  body: Buffer;
  /** Marker bit: last packet of a video access unit; set on every audio packet. */
  marker: boolean;
}

export const RTP_HEADER_BYTES = 12;
export const INTERLEAVED_HEADER_BYTES = 4;
/** Largest payload put in one packet; keeps packets within an Ethernet MTU as cameras do. */
export const MAX_RTP_PAYLOAD = 1400;

export function randomUint32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** ONVIF replay extension flags (Streaming Specification, RTP header extension for replay). */
export const ReplayFlag = {
  /** C: the access unit is a clean point (a keyframe). */
  cleanPoint: 0x80,
  /** E: last packet of the last access unit before a discontinuity. */
  end: 0x40,
  /** D: first packet of the first access unit after a discontinuity. */
  discontinuity: 0x20,
  /** T: last packet of the last access unit of the stream. */
  terminal: 0x10,
} as const;

export const ONVIF_REPLAY_EXTENSION_PROFILE = 0xabac;
export const ONVIF_REPLAY_EXTENSION_BYTES = 16;

/**
 * The ONVIF replay RTP header extension: profile 0xABAC, length 3 words, the 64-bit NTP time
 * of the frame (seconds, fraction), a flags byte (ReplayFlag), the low 8 bits of the PLAY
 * request's CSeq, and two bytes of padding.
 */
export function onvifReplayExtension(ntp: { seconds: number; fraction: number }, flags: number, cseq: number): Buffer {
  const ext = Buffer.alloc(ONVIF_REPLAY_EXTENSION_BYTES);
  ext.writeUInt16BE(ONVIF_REPLAY_EXTENSION_PROFILE, 0);
  ext.writeUInt16BE(3, 2);
  ext.writeUInt32BE(ntp.seconds >>> 0, 4);
  ext.writeUInt32BE(ntp.fraction >>> 0, 8);
  ext[12] = flags & 0xf0;
  ext[13] = cseq & 0xff;
  return ext;
}

/** Per-session state of one RTP stream (one media track of one session). */
export class RtpTrack {
  readonly ssrc = randomUint32();
  /** Added to the timeline's ticks: a random initial timestamp, as RFC 3550 asks. */
  readonly timestampBase = randomUint32();
  private seq = randomUint32() & 0xffff;
  packetCount = 0;
  octetCount = 0;

  constructor(
    readonly payloadType: number,
    readonly clockRate: number,
    /** Interleaved channel for RTP; RTCP uses channel + 1. */
    readonly channel: number,
  ) {}

  get nextSeq(): number {
    return this.seq;
  }

  timestampOf(ticks: number): number {
    return (this.timestampBase + ticks) % 0x1_0000_0000;
  }

  /**
   * Builds one interleaved RTP packet and advances the sequence number and counters. With
   * extension (a complete RTP header extension, e.g. onvifReplayExtension()), the X bit is set
   * and it goes between the fixed header and the payload.
   */
  packet(payload: RtpPayload, ticks: number, extension?: Buffer): Buffer {
    const payloadLength = payload.head.length + payload.body.length;
    const extLength = extension?.length ?? 0;
    const rtpLength = RTP_HEADER_BYTES + extLength + payloadLength;
    const buf = Buffer.allocUnsafe(INTERLEAVED_HEADER_BYTES + rtpLength);
    buf[0] = 0x24; // '$'
    buf[1] = this.channel;
    buf.writeUInt16BE(rtpLength, 2);
    buf[4] = extension ? 0x90 : 0x80; // version 2, no padding, extension bit, no CSRC
    buf[5] = (payload.marker ? 0x80 : 0) | this.payloadType;
    buf.writeUInt16BE(this.seq, 6);
    buf.writeUInt32BE(this.timestampOf(ticks), 8);
    buf.writeUInt32BE(this.ssrc, 12);
    const at = 16 + extLength;
    extension?.copy(buf, 16);
    payload.head.copy(buf, at);
    payload.body.copy(buf, at + payload.head.length);
    this.seq = (this.seq + 1) & 0xffff;
    this.packetCount++;
    this.octetCount += payloadLength;
    return buf;
  }
}
