import type { OnvifReplayInfo, RtpHeader } from './onvif-replay-extension.ts';

/**
 * Replayed audio over RTP: G.711 (RFC 3551 PCMA/PCMU: the payload is the 8-bit samples, one
 * per clock tick) and AAC as mpeg4-generic (RFC 3640 AAC-hbr/lbr: AU-headers-length, then one
 * AU header per access unit of sizeLength + indexLength (first) / indexDeltaLength bits, then
 * the access units; an AU larger than a packet comes in fragments up to the marker bit). Each
 * frame carries its RTP timestamp and the ONVIF NTP time of its packet. A lost packet drops the
 * AU it breaks (never a corrupt frame) and marks the next frame as a discontinuity. Pure.
 */

export interface AudioFrame {
  /** G.711: the samples; AAC: one raw access unit. */
  data: Buffer;
  rtpTimestamp: number;
  /** Camera-clock capture time from the ONVIF replay extension, or null. */
  ntpMs: number | null;
  discontinuity: boolean;
}

export interface AacRtpParams {
  sizeLength: number;
  indexLength: number;
  indexDeltaLength: number;
}

/** The AU-header layout from the SDP fmtp (defaults: AAC-hbr, 13/3/3). */
export function aacRtpParams(fmtp: ReadonlyMap<string, string>): AacRtpParams {
  const n = (k: string, d: number) => {
    const v = Number(fmtp.get(k));
    return Number.isInteger(v) && v >= 0 && v <= 32 ? v : d;
  };
  return { sizeLength: n('sizelength', 13), indexLength: n('indexlength', 3), indexDeltaLength: n('indexdeltalength', 3) };
}

abstract class SequencedDepacketizer {
  lostPackets = 0;
  droppedFrames = 0;
  protected expectedSeq: number | null = null;
  protected discontinuity = false;

  /** Feeds one RTP packet of the audio track; returns the frames it completed. */
  push(h: RtpHeader, info: OnvifReplayInfo | null = null): AudioFrame[] {
    if (this.expectedSeq !== null && h.sequence !== this.expectedSeq) {
      this.lostPackets += (h.sequence - this.expectedSeq + 0x10000) % 0x10000;
      this.discontinuity = true;
      this.onLoss();
    }
    this.expectedSeq = (h.sequence + 1) & 0xffff;
    if (info?.discontinuity) this.discontinuity = true;
    return this.payload(h, info?.ntpMs ?? null);
  }

  protected frame(data: Buffer, rtpTimestamp: number, ntpMs: number | null): AudioFrame {
    const f = { data, rtpTimestamp, ntpMs, discontinuity: this.discontinuity };
    this.discontinuity = false;
    return f;
  }

  protected onLoss(): void {
    // G.711 has no state to drop
  }
  protected abstract payload(h: RtpHeader, ntpMs: number | null): AudioFrame[];
}

export class G711Depacketizer extends SequencedDepacketizer {
  protected payload(h: RtpHeader, ntpMs: number | null): AudioFrame[] {
    return h.payload.length === 0 ? [] : [this.frame(Buffer.from(h.payload), h.timestamp, ntpMs)];
  }
}

/** Reads `bits` bits (≤ 32) at bit offset `at` of `b`, big-endian. */
function bitsAt(b: Buffer, at: number, bits: number): number {
  let v = 0;
  for (let i = 0; i < bits; i++) {
    const bit = at + i;
    v = v * 2 + ((b[bit >> 3]! >> (7 - (bit & 7))) & 1);
  }
  return v;
}

export class AacDepacketizer extends SequencedDepacketizer {
  private fragment: { ts: number; ntpMs: number | null; size: number; parts: Buffer[] } | null = null;

  /** `clockRate`: the RTP clock (the sample rate), for the NTP times of later AUs in one packet. */
  constructor(private readonly p: AacRtpParams, private readonly clockRate: number, private readonly samplesPerFrame = 1024) {
    super();
  }

  protected override onLoss(): void {
    if (this.fragment) this.droppedFrames++;
    this.fragment = null;
  }

  protected payload(h: RtpHeader, ntpMs: number | null): AudioFrame[] {
    const pl = h.payload;
    if (this.fragment && this.fragment.ts !== h.timestamp) this.onLoss();
    if (pl.length < 2) return [];
    const headerBits = pl.readUInt16BE(0);
    const headerBytes = Math.ceil(headerBits / 8);
    if (2 + headerBytes > pl.length) {
      this.droppedFrames++;
      return [];
    }
    const heads = pl.subarray(2, 2 + headerBytes);
    const sizes: number[] = [];
    for (let at = 0, i = 0; at + this.p.sizeLength <= headerBits; i++) {
      sizes.push(bitsAt(heads, at, this.p.sizeLength));
      at += this.p.sizeLength + (i === 0 ? this.p.indexLength : this.p.indexDeltaLength);
    }
    let off = 2 + headerBytes;
    if (this.fragment) {
      this.fragment.parts.push(pl.subarray(off));
      const got = this.fragment.parts.reduce((n, b) => n + b.length, 0);
      if (!h.marker) return [];
      const f = this.fragment;
      this.fragment = null;
      if (got !== f.size) {
        this.droppedFrames++;
        return [];
      }
      return [this.frame(Buffer.concat(f.parts), f.ts, f.ntpMs)];
    }
    const out: AudioFrame[] = [];
    for (const [i, size] of sizes.entries()) {
      const ts = (h.timestamp + i * this.samplesPerFrame) >>> 0;
      if (off + size > pl.length) {
        if (sizes.length === 1 && !h.marker) this.fragment = { ts, ntpMs, size, parts: [Buffer.from(pl.subarray(off))] };
        else this.droppedFrames++;
        break;
      }
      out.push(this.frame(Buffer.from(pl.subarray(off, off + size)), ts, ntpMs === null ? null : ntpMs + (i * this.samplesPerFrame * 1000) / this.clockRate));
      off += size;
    }
    return out;
  }
}
