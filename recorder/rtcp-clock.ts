import type { Clock } from '../src/clock.ts';
import { redactText } from '../src/redact.ts';
import { RtspClient } from './backfill/rtsp-client.ts';
import { bestReportOffset, senderReportNtpMs, type SrOutcome } from './rtcp-offset.ts';

/**
 * Reads a camera's clock from its live stream: a short RTSP session on the main stream (with
 * the camera's credentials, given apart from the URL, which never carries them), waits for the
 * first RTCP sender report (bounded), keeps the session up to `sampleMs` more for up to
 * `reports` reports in all, and takes the best SR NTP time − arrival on the injected clock
 * (bestReportOffset: the least delayed report), then tears the session down. Never throws: a
 * camera that gives no SR is a failure in plain words (no URL, no credentials in it). The choice between this and the ONVIF offset is
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
  /** After the first report, how long more reports are collected (default 2.5 s: cameras send one every 1–5 s). */
  sampleMs?: number;
  /** Reports enough to stop collecting early (default 3). */
  reports?: number;
}

export async function readSenderReportOffset(t: SrTarget, clock: Clock): Promise<SrOutcome> {
  const waitMs = t.waitMs ?? 8_000;
  const sampleMs = t.sampleMs ?? 2_500;
  const wanted = Math.max(1, t.reports ?? 3);
  const rtsp = new RtspClient({ url: t.url, username: t.username, password: t.password, requestTimeoutMs: t.requestTimeoutMs, clock });
  let cancelWait = () => undefined as void;
  let cancelSample = () => undefined as void;
  try {
    await rtsp.connect();
    const { sdp } = await rtsp.describe();
    const video = sdp.media.find((m) => m.kind === 'video') ?? sdp.media[0];
    if (!video) return { failure: `its live stream at ${rtsp.address} describes no media` };
    const reports: Array<{ ntpMs: number; arrivalMs: number }> = [];
    const first = new Promise<SrOutcome>((resolve) => {
      const settle = () => resolve(bestReportOffset(reports)!);
      rtsp.onPacket = (channel, packet) => {
        if (channel !== 1) return;
        const arrivalMs = clock.nowMs();
        const ntpMs = senderReportNtpMs(packet);
        if (ntpMs === null) return;
        reports.push({ ntpMs, arrivalMs });
        if (reports.length === 1) {
          cancelWait();
          cancelSample = clock.setTimer(sampleMs, settle);
        }
        if (reports.length >= wanted) settle();
      };
      cancelWait = clock.setTimer(waitMs, () => resolve({ failure: `its live stream at ${rtsp.address} sent no RTCP sender report within ${waitMs} ms` }));
      void rtsp.ended.then((end) => (reports.length ? settle() : resolve({ failure: `its live stream at ${rtsp.address} ended before an RTCP sender report (${end.reason})` })));
    });
    await rtsp.setup(video.controlUrl, 0);
    await rtsp.play(sdp.controlUrl);
    return await first;
  } catch (e) {
    return { failure: `its live stream could not be read: ${redactText(String((e as Error)?.message ?? e)).slice(0, 200)}` };
  } finally {
    cancelWait();
    cancelSample();
    rtsp.onPacket = () => undefined;
    await rtsp.close().catch(() => undefined);
  }
}
