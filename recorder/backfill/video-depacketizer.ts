import type { OnvifReplayInfo, RtpHeader } from './onvif-replay-extension.ts';

/**
 * H.264 (RFC 6184, packetization modes 0 and 1) and H.265 (RFC 7798, without DONL) over RTP:
 * single NAL unit packets, aggregates (STAP-A / AP) and fragments (FU-A / FU) become access
 * units. The two formats differ only in their NAL header (one byte or two) and type numbers,
 * which a `NalSyntax` describes (h264-depacketizer.ts, h265-depacketizer.ts). An access unit
 * ends at the marker bit or when the RTP timestamp changes. A lost packet (sequence gap) or a
 * broken fragment makes the access unit unusable: it is dropped, and so is everything up to
 * the next keyframe, so no access unit is ever emitted that a decoder could not decode.
 * Parameter sets come from the SDP and are updated from in-band ones.
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

export type ParameterSetKind = 'vps' | 'sps' | 'pps';

/** What differs between the H.264 and H.265 payload formats. */
export interface NalSyntax {
  codec: 'h264' | 'h265';
  /** NAL header length: 1 (H.264) or 2 (H.265). */
  headerBytes: 1 | 2;
  type(nal: Buffer): number;
  /** Types sent as single NAL unit packets. */
  isSingle(type: number): boolean;
  aggregateType: number;
  fragmentType: number;
  /** The NAL header of a fragmented unit, from the FU packet's payload header and FU header. */
  fragmentedHeader(packet: Buffer): Buffer;
  /** A slice of a picture (a VCL NAL unit). */
  isPicture(type: number): boolean;
  /** A picture decodable without earlier ones (IDR; for H.265 any IRAP). */
  isKeyframe(type: number): boolean;
  parameterSet(type: number): ParameterSetKind | null;
  /** Parameter sets a keyframe needs before it can be decoded. */
  required: readonly ParameterSetKind[];
}

export class VideoDepacketizer {
  /** Latest parameter sets (from the SDP, then in-band). */
  readonly sets: Record<ParameterSetKind, Buffer | null> = { vps: null, sps: null, pps: null };
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

  constructor(
    readonly syntax: NalSyntax,
    parameterSets: Buffer[] = [],
  ) {
    for (const p of parameterSets) this.noteParameterSet(p);
  }

  get sps(): Buffer | null {
    return this.sets.sps;
  }

  get pps(): Buffer | null {
    return this.sets.pps;
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
    const x = this.syntax;
    const hb = x.headerBytes;
    if (p.length < hb) {
      this.broken = true;
      return;
    }
    const type = x.type(p);
    if (x.isSingle(type)) {
      if (this.fragment) this.brokenFragment();
      this.nals.push(p);
    } else if (type === x.aggregateType) {
      if (this.fragment) this.brokenFragment();
      let off = hb;
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
    } else if (type === x.fragmentType) {
      if (p.length < hb + 1) {
        this.broken = true;
        return;
      }
      const fu = p[hb]!;
      const start = (fu & 0x80) !== 0;
      const end = (fu & 0x40) !== 0;
      if (start) {
        if (this.fragment) this.brokenFragment();
        this.fragment = [x.fragmentedHeader(p), p.subarray(hb + 1)];
      } else if (!this.fragment) {
        this.broken = true; // a middle or end without its start
        return;
      } else {
        this.fragment.push(p.subarray(hb + 1));
      }
      if (end && this.fragment) {
        this.nals.push(Buffer.concat(this.fragment));
        this.fragment = null;
      }
    } else {
      this.broken = true; // STAP-B, MTAP, FU-B, PACI: not used by cameras
    }
  }

  private brokenFragment(): void {
    this.fragment = null;
    this.broken = true;
  }

  private noteParameterSet(nal: Buffer): void {
    if (nal.length < this.syntax.headerBytes) return;
    const kind = this.syntax.parameterSet(this.syntax.type(nal));
    if (kind) this.sets[kind] = Buffer.from(nal);
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
    const x = this.syntax;
    const all = [...this.carried, ...nals];
    if (!all.some((n) => x.isPicture(x.type(n)))) {
      this.carried = all;
      return;
    }
    this.carried = [];
    for (const n of all) this.noteParameterSet(n);
    const keyframe = all.some((n) => x.isKeyframe(x.type(n)));
    if (this.waitKeyframe && !(keyframe && x.required.every((k) => this.sets[k]))) {
      this.droppedAccessUnits++;
      this.discontinuity = true;
      return;
    }
    this.waitKeyframe = false;
    out.push({ nalUnits: all, rtpTimestamp: ts, keyframe, ntpMs, discontinuity: this.discontinuity });
    this.discontinuity = false;
  }
}
