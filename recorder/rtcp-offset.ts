import { ntpToEpochMs } from './backfill/onvif-replay-extension.ts';

/**
 * The precise camera clock offset from an RTCP sender report (RFC 3550 §6.4.1), pure.
 *
 * An SR carries the camera's clock as a 64-bit NTP time; its arrival time on the recorder's
 * clock includes the network latency exactly as the arrival-based times of live segments do,
 * so offset = SR NTP time − arrival places backfilled frames where live frames would have been
 * (ms, not the whole seconds of ONVIF GetSystemDateAndTime). Many real cameras fill the SR from
 * an unset clock, zero or their uptime, so an SR offset is used only when it agrees with the
 * ONVIF whole-second offset (whose error is < 1 s plus half the round trip).
 */

/** An SR offset is believed when it is within this of the ONVIF one (1 s resolution + round trip + slack). */
export const SR_AGREEMENT_MS = 1_500;

/** The NTP time of the first sender report in an RTCP compound packet, epoch ms on the camera clock; null if it holds none. */
export function senderReportNtpMs(packet: Buffer): number | null {
  let off = 0;
  while (off + 4 <= packet.length) {
    if (packet[off]! >> 6 !== 2) return null;
    const len = (packet.readUInt16BE(off + 2) + 1) * 4;
    if (packet[off + 1] === 200) {
      if (len < 28 || off + 20 > packet.length) return null;
      return ntpToEpochMs(packet.readUInt32BE(off + 8), packet.readUInt32BE(off + 12));
    }
    off += len;
  }
  return null;
}

/** Camera clock minus ours from one SR: its NTP time minus its arrival (both epoch ms). */
export function rtcpOffsetFrom(srNtpMs: number, arrivalMs: number): number {
  return srNtpMs - arrivalMs;
}

/**
 * The best offset of several sender reports of one session: the largest NTP − arrival, i.e.
 * the report that waited least on the way (network queues, a recorder busy with other work
 * only ever delay an arrival, which makes the offset look smaller). Null for none.
 */
export function bestReportOffset(reports: ReadonlyArray<{ ntpMs: number; arrivalMs: number }>): { offsetMs: number; measuredMs: number } | null {
  let best: { offsetMs: number; measuredMs: number } | null = null;
  for (const r of reports) {
    const offsetMs = rtcpOffsetFrom(r.ntpMs, r.arrivalMs);
    if (!best || offsetMs > best.offsetMs) best = { offsetMs, measuredMs: r.arrivalMs };
  }
  return best;
}

export type OffsetSource = 'rtcp' | 'onvif';

/** What the SR side gave: an offset, or why there is none (plain words). */
export type SrOutcome = { offsetMs: number; measuredMs: number } | { failure: string };

export interface OffsetChoice {
  offsetMs: number;
  measuredMs: number;
  source: OffsetSource;
  /** Why the SR offset was not used (null when it was, or when none was tried). */
  reason: string | null;
  /** The kind of that reason, for logging it once per kind (the words carry changing numbers). */
  reasonKind: 'no_report' | 'disagrees' | null;
}

/**
 * Which offset to keep: the SR one when it exists and agrees with the ONVIF one within
 * SR_AGREEMENT_MS, else the ONVIF one with the reason.
 */
export function chooseClockOffset(onvif: { offsetMs: number; measuredMs: number }, sr: SrOutcome | null): OffsetChoice {
  const fallback = (reason: string | null, reasonKind: OffsetChoice['reasonKind']): OffsetChoice => ({ offsetMs: onvif.offsetMs, measuredMs: onvif.measuredMs, source: 'onvif', reason, reasonKind });
  if (sr === null) return fallback(null, null);
  if ('failure' in sr) return fallback(sr.failure, 'no_report');
  if (!Number.isSafeInteger(sr.offsetMs)) return fallback('its RTCP sender report time is not a number', 'disagrees');
  const diffMs = sr.offsetMs - onvif.offsetMs;
  if (Math.abs(diffMs) > SR_AGREEMENT_MS) {
    return fallback(`its RTCP sender reports carry a clock ${formatSeconds(diffMs)} away from its ONVIF time (unset, zero or uptime clock)`, 'disagrees');
  }
  return { offsetMs: sr.offsetMs, measuredMs: sr.measuredMs, source: 'rtcp', reason: null, reasonKind: null };
}

function formatSeconds(ms: number): string {
  const s = Math.abs(ms) / 1000;
  return s >= 86_400 ? `${Math.round(s / 86_400)} days` : `${s.toFixed(1)} s`;
}
