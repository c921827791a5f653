import { execFile } from 'node:child_process';
import type { Clock } from '../src/clock.ts';
import type { CameraConfig } from '../src/config/schema.ts';
import { audioPlanFor, type AudioPlan } from './ffmpeg-args.ts';
import { onboardOnvif, withCredentials, type OnboardResult, type StreamChoice } from './onboarding.ts';
import { stripUrlCredentials } from '../src/redact.ts';
import type { CameraSource } from './camera-recorder.ts';
import { SR_AGREEMENT_MS } from './rtcp-offset.ts';

/**
 * How a configured camera is reached: ONVIF cameras are onboarded (stream URI, audio codec from
 * the profile); plain RTSP cameras are probed once with ffprobe for their audio codec.
 * The returned URL carries credentials and only ever goes to ffmpeg.
 */
export function sourceFor(
  cam: CameraConfig,
  clock: Clock,
  opts: {
    ffprobePath?: string;
    timeoutMs?: number;
    onOnboarded?: (details: Record<string, unknown>) => Promise<void>;
    /** The camera's stored cameras.details (an earlier Profile G result and clock reading are reused from it). */
    storedDetails?: () => Promise<Record<string, unknown> | null>;
  } = {},
): () => Promise<CameraSource> {
  let rtspAudio: AudioPlan | null = null;
  let lastEdge: unknown = null;
  const stored = () => (opts.storedDetails?.() ?? Promise.resolve(null)).catch(() => null);
  return async () => {
    if (cam.onvif) {
      // Onboarding runs before every run (every reconnect): a recent Profile G result, from this
      // process or stored, is reused so the probe does not delay recording after an outage.
      const knownEdge = lastEdge ?? (await stored())?.['edge'];
      const r = await onboardOnvif({ host: cam.onvif.host, port: cam.onvif.port, username: cam.onvif.username, password: cam.onvif.password, timeoutMs: opts.timeoutMs ?? 8_000 }, clock, { knownEdge });
      lastEdge = r.edge;
      // What onboarding learnt is kept with the camera (evidence manifests quote the clock
      // offset); stream URLs without credentials, and a failure to store it is not fatal.
      if (opts.onOnboarded) await opts.onOnboarded(onboardingDetails(r, clock.nowMs(), await stored())).catch(() => undefined);
      const codec = r.main.audioEncoding === null ? null : /g711|pcm/i.test(r.main.audioEncoding) ? 'pcm_alaw' : r.main.audioEncoding.toLowerCase();
      return { url: withCredentials(r.main.rtspUrl, cam.onvif.username, cam.onvif.password), audio: audioPlanFor(codec, cam.audio) };
    }
    const url = cam.username ? withCredentials(cam.rtspUrl!, cam.username, cam.password ?? '') : cam.rtspUrl!;
    if (cam.audio === 'off') return { url, audio: 'none' };
    const audio = rtspAudio ?? audioPlanFor(await probeAudio(url, opts.ffprobePath ?? 'ffprobe', opts.timeoutMs ?? 8_000), cam.audio);
    rtspAudio = audio;
    return { url, audio };
  };
}

/**
 * Onboarding facts for cameras.details: device, streams (no credentials), clock offset and when
 * measured. Onboarding's offset is ONVIF's whole-second one; a precise RTCP one the clock watch
 * stored (`previous`) is kept while it agrees with it within SR_AGREEMENT_MS (a camera whose
 * clock was stepped gets the new ONVIF one until the next clock check). Pure.
 */
export function onboardingDetails(r: OnboardResult, atMs: number, previous: Record<string, unknown> | null = null): Record<string, unknown> {
  const stream = (st: StreamChoice | null) => (st ? { encoding: st.encoding, width: st.width, height: st.height, audioEncoding: st.audioEncoding, rtspUrl: stripUrlCredentials(st.rtspUrl) } : null);
  const prevOffset = previous?.['clockOffsetMs'];
  const prevMeasured = previous?.['clockOffsetMeasuredMs'];
  const keep = previous?.['clockOffsetSource'] === 'rtcp' && typeof prevOffset === 'number' && typeof prevMeasured === 'number' && Math.abs(prevOffset - r.clockOffsetMs) <= SR_AGREEMENT_MS;
  const clock = keep
    ? { clockOffsetMs: prevOffset, clockOffsetMeasuredMs: prevMeasured, clockOffsetSource: 'rtcp' }
    : { clockOffsetMs: r.clockOffsetMs, clockOffsetMeasuredMs: atMs, clockOffsetSource: 'onvif' };
  return { device: r.device, main: stream(r.main), sub: stream(r.sub), ...clock, edge: r.edge };
}

/** The first audio stream's codec name, or null; a failed probe is not fatal (audio copy is tried). */
function probeAudio(url: string, ffprobe: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      ffprobe,
      ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000), '-select_streams', 'a:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url],
      { timeout: timeoutMs + 2_000 },
      (err, stdout) => resolve(err ? 'aac' : stdout.trim().split('\n')[0] || null),
    );
  });
}
