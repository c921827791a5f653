import { systemClock, type Clock } from '../../src/clock.ts';
import { CameraFaults } from './faults.ts';
import { defaultSpec, type SimCameraSpec, type StreamName } from './camera-spec.ts';
import { prepareCameraMedia, RtspCameraServer, type SimLogger } from './rtsp-server.ts';
import { OnvifDeviceServer } from './onvif-service.ts';
import { WsDiscoveryResponder } from './ws-discovery.ts';
import { simSnapshotJpeg } from './snapshot.ts';
import type { MediaPrepOptions } from './media-prep.ts';
import { EdgeRecorder } from './edge-recorder.ts';
import { RECORDING_TOKEN } from './onvif-recording.ts';

/**
 * N simulated cameras on loopback: each an RTSP server and an ONVIF device service sharing one
 * fault state, plus one WS-Discovery responder for all of them. The library form is what tests
 * and benchmarks use; cli.ts wraps it with a control API.
 */
export interface SimCamera {
  spec: SimCameraSpec;
  faults: CameraFaults;
  rtsp: RtspCameraServer;
  onvif: OnvifDeviceServer;
  /** The SD card, when spec.edge is set (Profile G). */
  edge: EdgeRecorder | undefined;
  /** rtsp://host:port/main (or with the camera's credentials inline). */
  rtspUrl(stream: StreamName, withCredentials?: boolean): string;
}

export interface SimulatorOptions {
  /** A count (default specs: cam-1…, cycling H.264 / H.264+B / H.265 and PCMA / AAC / none) or explicit specs. */
  cameras: number | SimCameraSpec[];
  clock?: Clock;
  host?: string;
  media?: MediaPrepOptions;
  /** WS-Discovery port (3702 by default); null = no discovery responder. */
  discoveryPort?: number | null;
  logger?: SimLogger;
}

export class CameraSimulator {
  private constructor(
    readonly cameras: SimCamera[],
    private readonly discovery: WsDiscoveryResponder | null,
  ) {}

  static async start(opts: SimulatorOptions): Promise<CameraSimulator> {
    const clock = opts.clock ?? systemClock;
    const host = opts.host ?? '127.0.0.1';
    const specs = typeof opts.cameras === 'number' ? Array.from({ length: opts.cameras }, (_, i) => defaultSpec(i)) : opts.cameras;
    const ids = new Set<string>();
    for (const s of specs) {
      if (ids.has(s.id)) throw new Error(`simulator: camera id "${s.id}" is used twice`);
      ids.add(s.id);
    }
    const cameras: SimCamera[] = [];
    try {
      for (const spec of specs) {
        const faults = new CameraFaults(clock);
        const media = await prepareCameraMedia(spec, opts.media ?? {});
        // The card records from the moment the camera's streams begin.
        const originMs = clock.nowMs();
        const edge = spec.edge ? new EdgeRecorder(clock, faults, originMs, spec.edge.retentionMs) : undefined;
        const rtsp = new RtspCameraServer({
          spec,
          faults,
          clock,
          media,
          host,
          originMs,
          ...(edge ? { edge: { recorder: edge, recordingToken: RECORDING_TOKEN } } : {}),
          ...(opts.logger ? { logger: opts.logger } : {}),
        });
        await rtsp.start();
        const onvif = new OnvifDeviceServer({
          spec,
          faults,
          clock,
          host,
          streamUri: (stream) => rtsp.url(stream),
          snapshotJpeg: () => simSnapshotJpeg(opts.media ?? {}),
          ...(edge ? { edge: { recorder: edge, replayUri: (token: string) => rtsp.replayUrl(token) } } : {}),
        });
        await onvif.start();
        cameras.push({ spec, faults, rtsp, onvif, edge, rtspUrl: (stream, withCredentials = false) => rtsp.url(stream, { withCredentials }) });
      }
    } catch (e) {
      await Promise.allSettled(cameras.flatMap((c) => [c.rtsp.stop(), c.onvif.stop()]));
      throw e;
    }
    let discovery: WsDiscoveryResponder | null = null;
    if (opts.discoveryPort !== null) {
      discovery = new WsDiscoveryResponder(() => cameras.map((c) => c.onvif.discoveryTarget()), { port: opts.discoveryPort ?? 3702 });
      try {
        await discovery.start();
      } catch (e) {
        opts.logger?.warn({ err: (e as Error).message }, 'WS-Discovery responder could not start; cameras are still reachable directly');
        discovery = null;
      }
    }
    return new CameraSimulator(cameras, discovery);
  }

  camera(id: string): SimCamera {
    const cam = this.cameras.find((c) => c.spec.id === id);
    if (!cam) throw new Error(`simulator: no camera "${id}"`);
    return cam;
  }

  /** Total RTSP sessions open across all cameras. */
  activeRtspSessions(): number {
    return this.cameras.reduce((n, c) => n + c.rtsp.activeSessions(), 0);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([
      ...(this.discovery ? [this.discovery.stop()] : []),
      ...this.cameras.flatMap((c) => [c.rtsp.stop(), c.onvif.stop()]),
    ]);
    for (const c of this.cameras) c.edge?.stop();
  }
}
