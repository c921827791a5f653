import onvif from 'onvif';
import type { Clock } from '../src/clock.ts';
import type { Logger } from '../src/logger.ts';
import type { CameraDetails, CamerasRepo } from '../src/db/cameras-repo.ts';
import { redactText } from '../src/redact.ts';
import { measureClockOffset, type ClockReading } from './clock-offset.ts';
import { bounded, MAX_AUTH_SKEW_MS, type OnvifTarget } from './onboarding.ts';
import type { ClockMetrics } from './clock-metrics.ts';
import { chooseClockOffset, type OffsetSource, type SrOutcome } from './rtcp-offset.ts';
import { readSenderReportOffset, type SrTarget } from './rtcp-clock.ts';

/**
 * Camera clock health: every ONVIF camera being recorded is asked its time regularly
 * (GetSystemDateAndTime, bounded), the offset measured as onboarding does (clock-offset.ts)
 * is kept with the camera (cameras.details `clockOffsetMs` + `clockOffsetMeasuredMs`, which
 * evidence manifests quote and the backfill engine uses to place edge footage), and exported as
 * `vigil_camera_clock_offset_seconds`. When the camera's live RTSP URL is known (cameras.details
 * main.rtspUrl, stored without credentials), each check also reads an RTCP sender report
 * (rtcp-clock.ts); its ms-precise offset is kept when it agrees with the ONVIF one
 * (chooseClockOffset), with `clockOffsetSource: 'rtcp' | 'onvif'`. The decisions (health class, when to ask next, the
 * details patch) are pure functions below; the class is the thin timer and I/O around them.
 */

/** Beyond this the camera's burnt-in time and Vigil's evidence times visibly disagree. */
export const CLOCK_OVERLAY_TOLERANCE_MS = 5_000;
/** After a failed reading, ask again sooner than the interval (but never in a hot loop). */
export const CLOCK_RETRY_AFTER_FAILURE_MS = 60_000;

export type ClockHealth = 'ok' | 'overlay_mismatch' | 'auth_risk';

/** How far off a camera is, in words the alert rules use too. */
export function clockHealth(offsetMs: number): ClockHealth {
  const off = Math.abs(offsetMs);
  if (off > MAX_AUTH_SKEW_MS) return 'auth_risk';
  if (off > CLOCK_OVERLAY_TOLERANCE_MS) return 'overlay_mismatch';
  return 'ok';
}

/** Delay until the next reading: the interval, or sooner after a failure. */
export function nextCheckDelayMs(intervalMs: number, lastFailed: boolean): number {
  return lastFailed ? Math.min(intervalMs, CLOCK_RETRY_AFTER_FAILURE_MS) : intervalMs;
}

/** One check's outcome: the chosen offset (offsetMs/measuredMs) and both measurements. */
export interface ChosenClockReading extends ClockReading {
  source: OffsetSource;
  /** The ONVIF GetSystemDateAndTime offset of this check (whole-second camera time). */
  onvifOffsetMs: number;
  /** The RTCP sender report offset of this check, or null when none was read. */
  rtcpOffsetMs: number | null;
  /** Why the RTCP offset was not used, or null. */
  rtcpRejected: string | null;
}

/** The camera's details with the latest reading in the names evidence and backfill read. */
export function withClockReading(details: CameraDetails, r: ClockReading & { source?: OffsetSource }): CameraDetails {
  return { ...details, clockOffsetMs: r.offsetMs, clockOffsetMeasuredMs: r.measuredMs, clockOffsetSource: r.source ?? 'onvif' };
}

/** The live main stream URL onboarding stored with the camera (no credentials), or null. */
export function liveUrlIn(cams: Pick<CamerasRepo, 'get'>) {
  return async (cameraId: string): Promise<string | null> => {
    const main = (await cams.get(cameraId))?.details['main'];
    const url = main && typeof main === 'object' ? (main as Record<string, unknown>)['rtspUrl'] : undefined;
    return typeof url === 'string' && /^rtsps?:\/\//i.test(url) ? url : null;
  };
}

/** One ONVIF GetSystemDateAndTime on a fresh, unconnected `Cam` (no GetServices/GetProfiles). */
export function readOnvifClock(t: OnvifTarget): Promise<Date> {
  const timeoutMs = t.timeoutMs ?? 8_000;
  const cam = new onvif.Cam({ hostname: t.host, port: t.port, username: t.username, password: t.password, timeout: timeoutMs, preserveAddress: true, autoconnect: false }) as unknown as {
    getSystemDateAndTime(cb: (err: Error | null, d: Date | null) => void): void;
    on(e: string, f: () => void): void;
  };
  cam.on('warning', () => undefined);
  return bounded<Date | null>('GetSystemDateAndTime', timeoutMs, (done) => cam.getSystemDateAndTime(done)).then((d) => {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new Error('GetSystemDateAndTime gave no usable time');
    return d;
  });
}

/** Stores a reading into cameras.details, keeping what onboarding wrote there. */
export function storeReadingIn(cams: Pick<CamerasRepo, 'get' | 'upsert'>) {
  return async (cameraId: string, r: ClockReading & { source?: OffsetSource }): Promise<void> => {
    const c = await cams.get(cameraId);
    if (!c) return;
    await cams.upsert({ id: c.id, name: c.name, siteId: c.siteId, source: c.source, details: withClockReading(c.details, r) });
  };
}

export interface ClockWatchDeps {
  clock: Clock;
  log: Logger;
  metrics: ClockMetrics;
  /** recorder.clockCheckMs. */
  intervalMs: number;
  /** Bound of one reading (default 8 s). */
  timeoutMs?: number;
  /** Keeps the latest reading with the camera (storeReadingIn). */
  store: (cameraId: string, r: ChosenClockReading) => Promise<void>;
  /** Reads a camera's clock; default ONVIF GetSystemDateAndTime (readOnvifClock). */
  read?: (t: OnvifTarget) => Promise<Date>;
  /** The camera's live RTSP URL without credentials (liveUrlIn); without it only ONVIF is read. */
  liveUrlOf?: (cameraId: string) => Promise<string | null>;
  /** Reads an RTCP sender report offset; default readSenderReportOffset on `clock`. */
  readSr?: (t: SrTarget) => Promise<SrOutcome>;
}

interface Watched {
  target: OnvifTarget;
  cancel: () => void;
  health: ClockHealth | null;
  failing: boolean;
  /** The kind of the last reason the RTCP offset was not used (logged once per kind and streak). */
  rtcpRejected: string | null;
}

export class ClockWatch {
  private readonly watched = new Map<string, Watched>();
  private stopped = false;

  constructor(private readonly d: ClockWatchDeps) {}

  /** Starts measuring a camera now and every interval after (again: restarts it). */
  watch(cameraId: string, target: OnvifTarget): void {
    if (this.stopped) return;
    this.unwatch(cameraId);
    const w: Watched = { target: { ...target, timeoutMs: target.timeoutMs ?? this.d.timeoutMs ?? 8_000 }, cancel: () => undefined, health: null, failing: false, rtcpRejected: null };
    this.watched.set(cameraId, w);
    this.d.metrics.failures.inc({ camera: cameraId }, 0);
    this.schedule(cameraId, w, 0);
  }

  /** Stops measuring a camera (stopped, or its lease moved): its series go with it. */
  unwatch(cameraId: string): void {
    const w = this.watched.get(cameraId);
    if (!w) return;
    w.cancel();
    this.watched.delete(cameraId);
    this.d.metrics.offset.remove({ camera: cameraId });
    this.d.metrics.measured.remove({ camera: cameraId });
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }

  /** Reads one camera's clock now (also what the timer runs); null when it failed or is not watched. */
  async checkNow(cameraId: string): Promise<ChosenClockReading | null> {
    const w = this.watched.get(cameraId);
    if (!w) return null;
    const read = this.d.read ?? readOnvifClock;
    let onvif: ClockReading;
    try {
      onvif = await measureClockOffset(() => read(w.target), this.d.clock);
    } catch (e) {
      if (this.watched.get(cameraId) !== w) return null;
      this.d.metrics.failures.inc({ camera: cameraId });
      if (!w.failing) this.d.log.warn({ cameraId, err: redactText(String((e as Error)?.message ?? e)).slice(0, 200) }, 'camera clock could not be read; the last measured offset stays in use');
      w.failing = true;
      return null;
    }
    if (this.watched.get(cameraId) !== w) return null;
    w.failing = false;
    const sr = await this.readSr(cameraId, w.target);
    if (this.watched.get(cameraId) !== w) return null;
    const choice = chooseClockOffset(onvif, sr);
    const r: ChosenClockReading = {
      offsetMs: choice.offsetMs, measuredMs: choice.measuredMs, roundTripMs: onvif.roundTripMs, source: choice.source,
      onvifOffsetMs: onvif.offsetMs, rtcpOffsetMs: sr && 'offsetMs' in sr ? sr.offsetMs : null, rtcpRejected: choice.reason,
    };
    if (choice.reasonKind !== w.rtcpRejected && choice.reasonKind !== null) {
      this.d.log.info({ cameraId, clockOffsetMs: r.offsetMs, rtcpOffsetMs: r.rtcpOffsetMs }, `camera clock offset kept from ONVIF (whole seconds), since ${choice.reason}`);
    }
    w.rtcpRejected = choice.reasonKind;
    this.d.metrics.offset.set({ camera: cameraId }, r.offsetMs / 1000);
    this.d.metrics.measured.set({ camera: cameraId }, r.measuredMs / 1000);
    const health = clockHealth(r.offsetMs);
    if (health !== w.health) {
      const fields = { cameraId, clockOffsetMs: r.offsetMs, clockOffsetSource: r.source, roundTripMs: r.roundTripMs, health };
      if (health === 'ok') this.d.log.info(fields, 'camera clock agrees with the recorder');
      else this.d.log.warn(fields, health === 'auth_risk' ? 'camera clock is over 5 minutes off: logins to the camera will fail; set its time (NTP)' : 'camera clock is over 5 seconds off: its burnt-in time disagrees with the evidence times; set its time (NTP)');
      w.health = health;
    }
    await this.d.store(cameraId, r).catch((e: unknown) => this.d.log.warn({ cameraId, err: String((e as Error)?.message ?? e) }, 'camera clock offset could not be stored'));
    return r;
  }

  /** The SR offset when the camera's live URL is known, else null (ONVIF only). Never throws. */
  private async readSr(cameraId: string, t: OnvifTarget): Promise<SrOutcome | null> {
    const url = this.d.liveUrlOf ? await this.d.liveUrlOf(cameraId).catch(() => null) : null;
    if (!url) return null;
    const readSr = this.d.readSr ?? ((st: SrTarget) => readSenderReportOffset(st, this.d.clock));
    return readSr({ url, username: t.username, password: t.password, requestTimeoutMs: t.timeoutMs ?? 8_000 }).catch((e: unknown) => ({ failure: redactText(String((e as Error)?.message ?? e)).slice(0, 200) }));
  }

  private schedule(cameraId: string, w: Watched, delayMs: number): void {
    w.cancel = this.d.clock.setTimer(delayMs, () => {
      void this.checkNow(cameraId).then((r) => {
        if (this.watched.get(cameraId) === w) this.schedule(cameraId, w, nextCheckDelayMs(this.d.intervalMs, r === null));
      });
    });
  }
}
