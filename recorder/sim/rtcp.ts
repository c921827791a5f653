import { INTERLEAVED_HEADER_BYTES, type RtpTrack } from './rtp-packet.ts';

/**
 * RTCP sender reports (RFC 3550 §6.4.1) with an SDES CNAME, as one compound packet framed for
 * the interleaved RTCP channel. The NTP time is the camera's own clock, so a camera whose clock
 * is off shows it here, as a real one would.
 */

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** Splits epoch milliseconds into the 64-bit NTP timestamp (seconds, 2^-32 fractions). */
export function msToNtp(epochMs: number): { seconds: number; fraction: number } {
  const wholeSeconds = Math.floor(epochMs / 1000);
  const fraction = Math.floor(((epochMs - wholeSeconds * 1000) / 1000) * 0x1_0000_0000);
  return { seconds: (wholeSeconds + NTP_UNIX_OFFSET_SECONDS) % 0x1_0000_0000, fraction };
}

/** The inverse of msToNtp (for tests and clients), ignoring NTP era wrap. */
export function ntpToMs(seconds: number, fraction: number): number {
  return (seconds - NTP_UNIX_OFFSET_SECONDS) * 1000 + (fraction / 0x1_0000_0000) * 1000;
}

/**
 * A compound SR + SDES packet for one track. rtpTicks is the track's media clock (without its
 * random base) at the instant cameraNowMs.
 */
export function senderReport(track: RtpTrack, cameraNowMs: number, rtpTicks: number, cname: string): Buffer {
  const ntp = msToNtp(cameraNowMs);
  const sr = Buffer.alloc(28);
  sr[0] = 0x80; // V=2, P=0, RC=0
  sr[1] = 200; // SR
  sr.writeUInt16BE(sr.length / 4 - 1, 2);
  sr.writeUInt32BE(track.ssrc, 4);
  sr.writeUInt32BE(ntp.seconds, 8);
  sr.writeUInt32BE(ntp.fraction, 12);
  sr.writeUInt32BE(track.timestampOf(Math.round(rtpTicks)), 16);
  sr.writeUInt32BE(track.packetCount % 0x1_0000_0000, 20);
  sr.writeUInt32BE(track.octetCount % 0x1_0000_0000, 24);

  const name = Buffer.from(cname, 'utf8').subarray(0, 255);
  // SDES: header, SSRC, item (type 1, length, text), then zero padding to a 32-bit boundary (at least one 0).
  const itemsLength = 2 + name.length + 1;
  const chunkLength = 4 + Math.ceil(itemsLength / 4) * 4;
  const sdes = Buffer.alloc(4 + chunkLength);
  sdes[0] = 0x81; // V=2, SC=1
  sdes[1] = 202; // SDES
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(track.ssrc, 4);
  sdes[8] = 1; // CNAME
  sdes[9] = name.length;
  name.copy(sdes, 10);

  return frameRtcp(track, Buffer.concat([sr, sdes]));
}

/** A compound SR + SDES + BYE for one track: the stream ends here (RFC 3550 §6.6). */
export function senderReportWithBye(track: RtpTrack, cameraNowMs: number, rtpTicks: number, cname: string): Buffer {
  const srSdes = senderReport(track, cameraNowMs, rtpTicks, cname).subarray(INTERLEAVED_HEADER_BYTES);
  const bye = Buffer.alloc(8);
  bye[0] = 0x81; // V=2, SC=1
  bye[1] = 203; // BYE
  bye.writeUInt16BE(1, 2);
  bye.writeUInt32BE(track.ssrc, 4);
  return frameRtcp(track, Buffer.concat([srSdes, bye]));
}

function frameRtcp(track: RtpTrack, rtcp: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(INTERLEAVED_HEADER_BYTES + rtcp.length);
  framed[0] = 0x24;
  framed[1] = track.channel + 1;
  framed.writeUInt16BE(rtcp.length, 2);
  rtcp.copy(framed, INTERLEAVED_HEADER_BYTES);
  return framed;
}
