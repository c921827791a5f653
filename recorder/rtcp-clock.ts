import type { Clock } from '../src/clock.ts';
import { redactText } from '../src/redact.ts';
import { RtspClient } from './backfill/rtsp-client.ts';
import { rtcpOffsetFrom, senderReportNtpMs, type SrOutcome } from './rtcp-offset.ts';

/**
 * Reads a camera's clock from its live stream: a short RTSP session on the main stream (with
 * the camera's credentials, given apart from the URL, which never carries them), waits for the
 * first RTCP sender report (bounded) and takes SR NTP time − its arrival on the injected clock,
 * then tears the session down. Never throws: a camera that gives no SR is a failure in plain
 * words (no URL, no credentials in it). The choice between this and the ONVIF offset is
 * chooseClockOffset (rtcp-offset.ts).
 */
export interface SrTarget {
  /** rtsp://host:port/path of the live main stream, without credentials. */
  url: string;
  username: string;
  password: string;
  /** Bound of each RTSP request. */
  requestTimeoutMs: number;
  /** Bound of the wait for the first sender report after PLAY (default 8 s). */
  waitMs?: number;
}

export async function readSenderReportOffset(t: SrTarget, clock: Clock): Promise<SrOutcome> {
  const waitMs = t.waitMs ?? 8_000;
  const rtsp = new RtspClient({ url: t.url, username: t.username, password: t.password, requestTimeoutMs: t.requestTimeoutMs, clock });
  let cancelWait = () => undefined as void;
  try {
    await rtsp.connect();
    const { sdp } = await rtsp.describe();
    const video = sdp.media.find((m) => m.kind === 'video') ?? sdp.media[0];
    if (!video) return { failure: `its live stream at ${rtsp.address} describes no media` };
    const first = new Promise<SrOutcome>((resolve) => {
      rtsp.onPacket = (channel, packet) => {
        if (channel !== 1) return;
        const arrivalMs = clock.nowMs();
        const ntpMs = senderReportNtpMs(packet);
        if (ntpMs !== null) resolve({ offsetMs: rtcpOffsetFrom(ntpMs, arrivalMs), measuredMs: arrivalMs });
      };
      cancelWait = clock.setTimer(waitMs, () => resolve({ failure: `its live stream at ${rtsp.address} sent no RTCP sender report within ${waitMs} ms` }));
      void rtsp.ended.then((end) => resolve({ failure: `its live stream at ${rtsp.address} ended before an RTCP sender report (${end.reason})` }));
    });
    await rtsp.setup(video.controlUrl, 0);
    await rtsp.play(sdp.controlUrl);
    return await first;
  } catch (e) {
    return { failure: `its live stream could not be read: ${redactText(String((e as Error)?.message ?? e)).slice(0, 200)}` };
  } finally {
    cancelWait();
    rtsp.onPacket = () => undefined;
    await rtsp.close().catch(() => undefined);
  }
}
