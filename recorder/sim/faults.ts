import { EventEmitter } from 'node:events';
import type { Clock } from '../../src/clock.ts';

/** 1900-01-01 (NTP epoch) is this long before 1970-01-01. */
const NTP_EPOCH_BEFORE_UNIX_MS = 2_208_988_800_000;

/**
 * The faults a simulated camera can be told to show. Both the RTSP side and the ONVIF side
 * read the same state, as one real camera would.
 */
export interface FaultSettings {
  /** New TCP connections (RTSP and ONVIF) are refused: the listening sockets are closed. */
  refuse: boolean;
  /** RTSP sessions stay open and answer requests, but no RTP/RTCP media is sent. */
  stall: boolean;
  /** Media bytes per second per RTSP session; null = unlimited. Excess is dropped like a congested link. */
  throttleBytesPerSec: number | null;
  /** The camera's password was changed: the configured credentials are rejected (ONVIF and RTSP). */
  wrongCredentials: boolean;
  /** The camera's clock minus the true time, ms (ONVIF GetSystemDateAndTime, WS-Security checks, RTCP). */
  clockSkewMs: number;
  /** The main stream is switched to its alternate resolution (takes effect at the next keyframe). */
  altResolution: boolean;
  /**
   * The network to the camera is down: new TCP connections (RTSP live and replay, ONVIF) are
   * refused and every open connection is cut. The camera itself keeps running (edge recording).
   */
  networkCut: boolean;
  /** The SD card records (cameras with edge storage); false = not recording, a hole on the card. */
  edgeRecording: boolean;
  /** Live RTCP sender reports carry an unset clock (time since the NTP epoch 1900, like uptime), as many real cameras' do; ONVIF keeps the real one. */
  srClockUnset: boolean;
}

export type FaultPatch = Partial<FaultSettings>;

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  refuse: false,
  stall: false,
  throttleBytesPerSec: null,
  wrongCredentials: false,
  clockSkewMs: 0,
  altResolution: false,
  networkCut: false,
  edgeRecording: true,
  srClockUnset: false,
});

/**
 * Per-camera fault state. Emits 'change' (FaultSettings) after every update and 'drop' when
 * live sessions must be cut. A patch with forMs is undone after that long on the given clock.
 */
export class CameraFaults extends EventEmitter {
  private settings: FaultSettings = { ...NO_FAULTS };
  private cancelTimers: Array<() => void> = [];

  constructor(private readonly clock: Clock) {
    super();
  }

  get(): FaultSettings {
    return { ...this.settings };
  }

  /** Applies a patch; with forMs, each patched key goes back to its previous value after forMs. */
  set(patch: FaultPatch, forMs?: number): void {
    const before = { ...this.settings };
    this.settings = { ...this.settings, ...patch };
    this.emit('change', this.get());
    if (forMs !== undefined) {
      const undo: FaultPatch = {};
      for (const key of Object.keys(patch) as Array<keyof FaultSettings>) {
        (undo as Record<string, unknown>)[key] = before[key];
      }
      const cancel = this.clock.setTimer(forMs, () => {
        this.cancelTimers = this.cancelTimers.filter((c) => c !== cancel);
        this.set(undo);
      });
      this.cancelTimers.push(cancel);
    }
  }

  /** Cuts every live session now (the camera rebooted or the link dropped). */
  dropSessions(): void {
    this.emit('drop');
  }

  /** Back to a healthy camera. */
  clear(): void {
    for (const cancel of this.cancelTimers) cancel();
    this.cancelTimers = [];
    this.settings = { ...NO_FAULTS };
    this.emit('change', this.get());
  }

  /** The camera's own idea of now (or of the instant atMs of our clock). */
  cameraNowMs(atMs: number = this.clock.nowMs()): number {
    return atMs + this.settings.clockSkewMs;
  }

  /**
   * The clock live RTCP sender reports carry (epoch ms): the camera's, or with srClockUnset a
   * day-long count from the NTP epoch. atMs: the instant of our clock the report's RTP
   * timestamp was taken at; the two fields must name one instant, or ffmpeg (which times a
   * two-track stream from each report) shifts the footage by the difference.
   */
  senderReportNowMs(atMs: number = this.clock.nowMs()): number {
    return this.settings.srClockUnset ? (atMs % 86_400_000) - NTP_EPOCH_BEFORE_UNIX_MS : this.cameraNowMs(atMs);
  }
}
