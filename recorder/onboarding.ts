import onvif from 'onvif';
import type { Clock } from '../src/clock.ts';
import { VigilError } from '../src/errors.ts';
import { redactText } from '../src/redact.ts';
import { asOnboardingError } from './onboarding-error.ts';
import { measureClockOffset } from './clock-offset.ts';
import type { EdgeSupport } from './backfill/edge-fetch-types.ts';
import { probeEdgeSupport } from './backfill/onvif-edge-client.ts';

/**
 * ONVIF onboarding: connect with a bound on every call, read device information, pick the main
 * stream (largest H.264/H.265 profile) and a sub stream (smallest), get their RTSP URIs and
 * measure the camera's clock offset. Every failure is a VigilError naming what and how to fix.
 *
 * Known about the `onvif` package (checked against the simulator): with a wrong password its
 * connect reports success with an EMPTY profile list; a following getStreamUri without a token
 * throws instead of calling back. So calls are bounded, and "no profiles" is confirmed with an
 * authenticated call before it is called anything but an authentication problem.
 */
export interface OnvifTarget {
  host: string;
  port: number;
  username: string;
  password: string;
  timeoutMs?: number;
}

export interface StreamChoice {
  token: string;
  encoding: 'H264' | 'H265';
  width: number;
  height: number;
  /** Without credentials, as the camera gave it. */
  rtspUrl: string;
  /** ONVIF audio encoding of the profile (G711, AAC), or null. */
  audioEncoding: string | null;
}

export interface OnboardResult {
  device: { manufacturer: string; model: string; firmwareVersion: string; serialNumber: string; hardwareId: string };
  /** Camera clock minus ours, ms (positive: the camera is ahead). */
  clockOffsetMs: number;
  main: StreamChoice;
  sub: StreamChoice | null;
  /** Edge storage (ONVIF Profile G), probed after the streams unless an earlier result is reused (edgeResultToReuse); a failed probe is profileG false with the reason, never a failed onboarding. */
  edge: EdgeSupport;
}

export { MAX_AUTH_SKEW_MS } from './onboarding-error.ts';

/** A Profile G answer (yes or no) is reused for this long: SD cards and firmware rarely change. */
export const EDGE_RESULT_REUSE_MS = 24 * 3_600_000;
/** A probe that got no answer (timeout, refused) is tried again after this, not at every reconnect. */
export const EDGE_FAILED_REUSE_MS = 3_600_000;

/**
 * The earlier Profile G result to reuse instead of probing again (onboarding runs before every
 * recording run, and the probe, up to 4 calls of 5 s on a slow camera, would delay recording
 * after an outage), or null to probe. `known` is what was stored (cameras.details.edge), any shape. Pure.
 */
export function edgeResultToReuse(known: unknown, nowMs: number): EdgeSupport | null {
  if (!known || typeof known !== 'object') return null;
  const k = known as Record<string, unknown>;
  if (typeof k['profileG'] !== 'boolean' || typeof k['checkedMs'] !== 'number' || !Number.isFinite(k['checkedMs']) || typeof k['detail'] !== 'string') return null;
  const ageMs = nowMs - k['checkedMs'];
  if (ageMs < 0) return null; // checked "in the future": our clock stepped back, so ask again
  const failed = k['probeFailed'] === true;
  if (ageMs >= (failed ? EDGE_FAILED_REUSE_MS : EDGE_RESULT_REUSE_MS)) return null;
  return {
    profileG: k['profileG'],
    checkedMs: k['checkedMs'],
    detail: k['detail'],
    ...(typeof k['recordingToken'] === 'string' ? { recordingToken: k['recordingToken'] } : {}),
    ...(failed ? { probeFailed: true } : {}),
  };
}

type CamLike = Record<string, unknown> & {
  profiles?: Array<Record<string, any>>;
  getDeviceInformation(cb: (err: Error | null, info: any) => void): void;
  getSystemDateAndTime(cb: (err: Error | null, date: Date) => void): void;
  getStreamUri(opts: { protocol: string; profileToken: string }, cb: (err: Error | null, res: any) => void): void;
};

/** opts.knownEdge: an earlier Profile G result (e.g. cameras.details.edge); reused when edgeResultToReuse allows, so no probe is made. */
export async function onboardOnvif(t: OnvifTarget, clock: Clock, opts: { knownEdge?: unknown } = {}): Promise<OnboardResult> {
  const timeoutMs = t.timeoutMs ?? 8_000;
  const where = `${t.host}:${t.port}`;
  const cam = await bounded<CamLike>(`connect to ${where}`, timeoutMs, (done) => {
    const c = new onvif.Cam(
      { hostname: t.host, port: t.port, username: t.username, password: t.password, timeout: timeoutMs, preserveAddress: true },
      (err: Error | null) => done(err, c as unknown as CamLike),
    ) as unknown as CamLike;
    (c as unknown as { on(e: string, f: () => void): void }).on('warning', () => undefined);
  }).catch((e: unknown) => {
    throw asOnboardingError(e, where);
  });
  const { offsetMs: clockOffsetMs } = await measureClockOffset(() => bounded<Date>('GetSystemDateAndTime', timeoutMs, (done) => cam.getSystemDateAndTime(done)), clock);

  const info = await bounded<any>('GetDeviceInformation', timeoutMs, (done) => cam.getDeviceInformation(done)).catch((e: unknown) => {
    throw asOnboardingError(e, where, clockOffsetMs);
  });
  const profiles = (cam.profiles ?? []).map(describeProfile).filter((p): p is Omit<StreamChoice, 'rtspUrl'> => p !== null);
  if ((cam.profiles ?? []).length === 0) {
    throw new VigilError('camera_no_video_profile', `Camera at ${where} reports no media profiles. Create a profile with an H.264 or H.265 stream in the camera's web page.`);
  }
  if (profiles.length === 0) {
    throw new VigilError('camera_no_video_profile', `Camera at ${where} has no H.264 or H.265 profile (Vigil records without re-encoding). Set the camera's video encoding to H.264 or H.265.`);
  }
  profiles.sort((a, b) => b.width * b.height - a.width * a.height);
  const uriOf = async (p: Omit<StreamChoice, 'rtspUrl'>): Promise<StreamChoice> => {
    const res = await bounded<any>(`GetStreamUri(${p.token})`, timeoutMs, (done) => cam.getStreamUri({ protocol: 'RTSP', profileToken: p.token }, done));
    const uri = String(res?.uri ?? res?.Uri ?? '');
    if (!/^rtsps?:\/\//i.test(uri)) throw new VigilError('camera_no_video_profile', `Camera at ${where} gave no RTSP address for profile ${p.token}.`);
    return { ...p, rtspUrl: uri };
  };
  const main = await uriOf(profiles[0]!);
  const sub = profiles.length > 1 ? await uriOf(profiles[profiles.length - 1]!) : null;
  const edge = edgeResultToReuse(opts.knownEdge, clock.nowMs()) ?? await probeEdgeSupport({ host: t.host, port: t.port, username: t.username, password: t.password }, clock, Math.min(timeoutMs, 5_000), clockOffsetMs).catch(
    (e: unknown): EdgeSupport => ({ profileG: false, checkedMs: clock.nowMs(), detail: `Edge storage could not be checked: ${redactText(String((e as Error)?.message ?? e)).slice(0, 160)}`, probeFailed: true }),
  );
  return {
    device: {
      manufacturer: String(info?.manufacturer ?? ''),
      model: String(info?.model ?? ''),
      firmwareVersion: String(info?.firmwareVersion ?? ''),
      serialNumber: String(info?.serialNumber ?? ''),
      hardwareId: String(info?.hardwareId ?? ''),
    },
    clockOffsetMs,
    main,
    sub,
    edge,
  };
}

/** The RTSP URL with the camera's credentials put in (for ffmpeg only; never log it). */
export function withCredentials(rtspUrl: string, username: string, password: string): string {
  const u = new URL(rtspUrl);
  if (username) {
    u.username = encodeURIComponent(username);
    u.password = encodeURIComponent(password);
  }
  return u.toString();
}

function describeProfile(p: Record<string, any>): Omit<StreamChoice, 'rtspUrl'> | null {
  const vec = p.videoEncoderConfiguration;
  const encoding = String(vec?.encoding ?? '').toUpperCase().replace('.', '');
  if (encoding !== 'H264' && encoding !== 'H265' && encoding !== 'HEVC') return null;
  return {
    token: String(p.$?.token ?? p.token ?? ''),
    encoding: encoding === 'H264' ? 'H264' : 'H265',
    width: Number(vec?.resolution?.width ?? 0),
    height: Number(vec?.resolution?.height ?? 0),
    audioEncoding: p.audioEncoderConfiguration?.encoding ? String(p.audioEncoderConfiguration.encoding) : null,
  };
}

/** Runs a callback-style call with a deadline; a call that never calls back becomes an error. */
export function bounded<T>(what: string, timeoutMs: number, start: (done: (err: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    try {
      start((err, v) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(v);
      });
    } catch (e) {
      clearTimeout(timer);
      reject(e);
    }
  });
}
