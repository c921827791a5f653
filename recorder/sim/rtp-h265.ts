import { MAX_RTP_PAYLOAD, type RtpPayload } from './rtp-packet.ts';

/**
 * H.265 payload format (RFC 7798): single NAL unit packets, and Fragmentation Units (type 49) for
 * NAL units larger than the payload limit. The marker bit is set on the last packet of the
 * access unit. Aggregation packets are not used (cameras rarely do).
 */

const FU = 49;

export function packetizeH265(nalUnits: Buffer[], maxPayload = MAX_RTP_PAYLOAD): RtpPayload[] {
  const out: RtpPayload[] = [];
  const empty = Buffer.alloc(0);
  nalUnits.forEach((nal, n) => {
    const lastNal = n === nalUnits.length - 1;
    if (nal.length <= maxPayload) {
      out.push({ head: empty, body: nal, marker: lastNal });
      return;
    }
    // PayloadHdr: the NAL header with its type replaced by 49 (F bit, LayerId and TID kept).
    const hdr0 = (nal[0]! & 0x81) | (FU << 1);
    const hdr1 = nal[1]!;
    const type = (nal[0]! >> 1) & 0x3f;
    const chunk = maxPayload - 3;
    for (let off = 2; off < nal.length; off += chunk) {
      const end = Math.min(off + chunk, nal.length);
      const start = off === 2;
      const last = end === nal.length;
      const head = Buffer.from([hdr0, hdr1, (start ? 0x80 : 0) | (last ? 0x40 : 0) | type]);
      out.push({ head, body: nal.subarray(off, end), marker: lastNal && last });
    }
  });
  return out;
}
