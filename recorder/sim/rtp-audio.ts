import type { RtpPayload } from './rtp-packet.ts';

/**
 * Audio payload formats: PCMA (RFC 3551, static payload type 8, one 20 ms frame per packet) and
 * AAC as mpeg4-generic in AAC-hbr mode (RFC 3640: sizeLength 13, indexLength 3, one access unit
 * per packet, preceded by the AU-headers-length and one AU header).
 */

export const PCMA_PAYLOAD_TYPE = 8;

export function packetizePcma(frame: Buffer): RtpPayload[] {
  return [{ head: Buffer.alloc(0), body: frame, marker: true }];
}

/** Largest AU that the 13-bit AU-size field can describe. */
const MAX_AU_SIZE = (1 << 13) - 1;

export function packetizeAacHbr(accessUnit: Buffer): RtpPayload[] {
  if (accessUnit.length > MAX_AU_SIZE) throw new RangeError(`AAC access unit of ${accessUnit.length} bytes too large for AAC-hbr`);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(16, 0); // AU-headers-length in bits: one 16-bit AU header
  head.writeUInt16BE(accessUnit.length << 3, 2); // AU-size (13 bits), AU-Index 0 (3 bits)
  return [{ head, body: accessUnit, marker: true }];
}
