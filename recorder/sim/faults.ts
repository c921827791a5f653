import { EventEmitter } from 'node:events';
import type { Clock } from '../../src/clock.ts';

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
}

export type FaultPatch = Partial<FaultSettings>;

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  refuse: false,
  stall: false,
  throttleBytesPerSec: null,
  wrongCredentials: false,
  clockSkewMs: 0,
  altResolution: false,
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

  /** The camera's own idea of now. */
  cameraNowMs(): number {
    return this.clock.nowMs() + this.settings.clockSkewMs;
  }
}
