import { MAX_RTP_PAYLOAD, type RtpPayload } from './rtp-packet.ts';

/**
 * H.264 payload format (RFC 6184), packetization-mode 1: a NAL unit that fits goes alone in a
 * packet (single NAL unit packet); a larger one is cut into FU-A fragments. The marker bit is set
 * on the last packet of the access unit.
 */

const FU_A = 28;

export function packetizeH264(nalUnits: Buffer[], maxPayload = MAX_RTP_PAYLOAD): RtpPayload[] {
  const out: RtpPayload[] = [];
  const empty = Buffer.alloc(0);
  nalUnits.forEach((nal, n) => {
    const lastNal = n === nalUnits.length - 1;
    if (nal.length <= maxPayload) {
      out.push({ head: empty, body: nal, marker: lastNal });
      return;
    }
    const indicator = (nal[0]! & 0xe0) | FU_A; // F and NRI of the NAL, type 28
    const type = nal[0]! & 0x1f;
    const chunk = maxPayload - 2;
    for (let off = 1; off < nal.length; off += chunk) {
      const end = Math.min(off + chunk, nal.length);
      const start = off === 1;
      const last = end === nal.length;
      const head = Buffer.from([indicator, (start ? 0x80 : 0) | (last ? 0x40 : 0) | type]);
      out.push({ head, body: nal.subarray(off, end), marker: lastNal && last });
    }
  });
  return out;
}

/** profile_idc, constraint flags and level_idc of an SPS, as hex for SDP profile-level-id. */
export function h264ProfileLevelId(sps: Buffer): string {
  return sps.subarray(1, 4).toString('hex').toUpperCase();
}
