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

  /** Builds one interleaved RTP packet and advances the sequence number and counters. */
  packet(payload: RtpPayload, ticks: number): Buffer {
    const payloadLength = payload.head.length + payload.body.length;
    const rtpLength = RTP_HEADER_BYTES + payloadLength;
    const buf = Buffer.allocUnsafe(INTERLEAVED_HEADER_BYTES + rtpLength);
    buf[0] = 0x24; // '$'
    buf[1] = this.channel;
    buf.writeUInt16BE(rtpLength, 2);
    buf[4] = 0x80; // version 2, no padding, no extension, no CSRC
    buf[5] = (payload.marker ? 0x80 : 0) | this.payloadType;
    buf.writeUInt16BE(this.seq, 6);
    buf.writeUInt32BE(this.timestampOf(ticks), 8);
    buf.writeUInt32BE(this.ssrc, 12);
    payload.head.copy(buf, 16);
    payload.body.copy(buf, 16 + payload.head.length);
    this.seq = (this.seq + 1) & 0xffff;
    this.packetCount++;
    this.octetCount += payloadLength;
    return buf;
  }
}
