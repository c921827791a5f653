import type { OnvifReplayInfo, RtpHeader } from './onvif-replay-extension.ts';

/**
 * H.264 over RTP (RFC 6184, packetization modes 0 and 1): single NAL unit packets, STAP-A
 * aggregates and FU-A fragments become access units. An access unit ends at the marker bit or
 * when the RTP timestamp changes. A lost packet (sequence gap) or a broken fragment makes the
 * access unit unusable: it is dropped, and so is everything up to the next keyframe (IDR), so
 * no access unit is ever emitted that a decoder could not decode. Parameter sets come from the
 * SDP (sprop-parameter-sets) and are updated from in-band SPS/PPS.
 */

export interface AccessUnit {
  /** NAL units without start codes or length prefixes, in decoding order. */
  nalUnits: Buffer[];
  /** RTP timestamp (90 kHz) of the access unit. */
  rtpTimestamp: number;
  keyframe: boolean;
  /** Capture time on the camera's clock from the ONVIF replay extension, or null. */
  ntpMs: number | null;
  /** Frames before this one are missing (lost packets, or the camera's D flag): do not join it to what came before. */
  discontinuity: boolean;
}

const STAP_A = 24;
const FU_A = 28;
const IDR = 5;
const SPS = 7;
const PPS = 8;

export function h264NalType(nal: Buffer): number {
  return nal[0]! & 0x1f;
}

/** The SPS and PPS of an SDP fmtp `sprop-parameter-sets=<b64>,<b64>` value. */
export function parseSpropParameterSets(value: string): Buffer[] {
  return value
    .split(',')
    .map((s) => Buffer.from(s.trim(), 'base64'))
    .filter((b) => b.length > 0);
}

export class H264Depacketizer {
  sps: Buffer | null = null;
  pps: Buffer | null = null;
  /** Access units dropped because a packet was lost or they could not be decoded. */
  droppedAccessUnits = 0;
  lostPackets = 0;

  private expectedSeq: number | null = null;
  private nals: Buffer[] = [];
  private fragment: Buffer[] | null = null;
  private ts: number | null = null;
  private ntpMs: number | null = null;
  private broken = false;
  private discontinuity = false;
  private waitKeyframe = true;
  /** Parameter-set-only access units (sent with their own timestamp by some cameras) wait for the next picture. */
  private carried: Buffer[] = [];

  constructor(parameterSets: Buffer[] = []) {
    for (const p of parameterSets) this.noteParameterSet(p);
  }

  /** Feeds one RTP packet; returns the access units it completed (usually zero or one). */
  push(h: RtpHeader, replay: OnvifReplayInfo | null = null): AccessUnit[] {
    const out: AccessUnit[] = [];
    if (this.expectedSeq !== null && h.sequence !== this.expectedSeq) {
      const lost = (h.sequence - this.expectedSeq + 0x10000) & 0xffff;
      if (lost < 0x8000) {
        this.lostPackets += lost;
        this.broken = true;
        if (this.ts !== null && this.ts !== h.timestamp) this.finish(out);
        this.broken = true; // the packet(s) lost may have begun this access unit too
      } else {
        return out; // late duplicate or reordered packet: ignore
      }
    }
    this.expectedSeq = (h.sequence + 1) & 0xffff;
    if (this.ts !== null && h.timestamp !== this.ts) this.finish(out);
    if (this.ts === null) {
      this.ts = h.timestamp;
      this.ntpMs = replay?.ntpMs ?? null;
    }
    if (replay?.discontinuity) this.discontinuity = true;
    this.payload(h.payload);
    if (h.marker) this.finish(out);
    return out;
  }

  /** Marks a break in the stream (a new PLAY, a reconnect): what is pending is dropped. */
  reset(): void {
    this.nals = [];
    this.fragment = null;
    this.ts = null;
    this.ntpMs = null;
    this.broken = false;
    this.expectedSeq = null;
    this.waitKeyframe = true;
    this.discontinuity = true;
  }

  private payload(p: Buffer): void {
    if (p.length < 1) {
      this.broken = true;
      return;
    }
    const type = h264NalType(p);
    if (type >= 1 && type <= 23) {
      if (this.fragment) this.brokenFragment();
      this.nals.push(p);
    } else if (type === STAP_A) {
      if (this.fragment) this.brokenFragment();
      let off = 1;
      while (off + 2 <= p.length) {
        const size = p.readUInt16BE(off);
        off += 2;
        if (size === 0 || off + size > p.length) {
          this.broken = true;
          return;
        }
        this.nals.push(p.subarray(off, off + size));
        off += size;
      }
    } else if (type === FU_A) {
      if (p.length < 2) {
        this.broken = true;
        return;
      }
      const start = (p[1]! & 0x80) !== 0;
      const end = (p[1]! & 0x40) !== 0;
      if (start) {
        if (this.fragment) this.brokenFragment();
        this.fragment = [Buffer.from([(p[0]! & 0xe0) | (p[1]! & 0x1f)]), p.subarray(2)];
      } else if (!this.fragment) {
        this.broken = true; // a middle or end without its start
        return;
      } else {
        this.fragment.push(p.subarray(2));
      }
      if (end && this.fragment) {
        this.nals.push(Buffer.concat(this.fragment));
        this.fragment = null;
      }
    } else {
      this.broken = true; // STAP-B, MTAP, FU-B: not used by cameras in mode 1
    }
  }

  private brokenFragment(): void {
    this.fragment = null;
    this.broken = true;
  }

  private noteParameterSet(nal: Buffer): void {
    const t = h264NalType(nal);
    if (t === SPS) this.sps = Buffer.from(nal);
    else if (t === PPS) this.pps = Buffer.from(nal);
  }

  private finish(out: AccessUnit[]): void {
    if (this.fragment) this.brokenFragment();
    const nals = this.nals;
    const ts = this.ts;
    const ntpMs = this.ntpMs;
    const broken = this.broken;
    this.nals = [];
    this.ts = null;
    this.ntpMs = null;
    this.broken = false;
    if (ts === null) return;
    if (broken) {
      this.droppedAccessUnits++;
      this.waitKeyframe = true;
      this.discontinuity = true;
      this.carried = [];
      return;
    }
    const all = [...this.carried, ...nals];
    const hasPicture = all.some((n) => {
      const t = h264NalType(n);
      return t >= 1 && t <= 5;
    });
    if (!hasPicture) {
      this.carried = all;
      return;
    }
    this.carried = [];
    for (const n of all) this.noteParameterSet(n);
    const keyframe = all.some((n) => h264NalType(n) === IDR);
    if (this.waitKeyframe && !(keyframe && this.sps && this.pps)) {
      this.droppedAccessUnits++;
      this.discontinuity = true;
      return;
    }
    this.waitKeyframe = false;
    out.push({ nalUnits: all, rtpTimestamp: ts, keyframe, ntpMs, discontinuity: this.discontinuity });
    this.discontinuity = false;
  }
}
