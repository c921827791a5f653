/**
 * Camera administration as the API sees it: find cameras on the network, test a connection,
 * add a camera to the configuration. The API may not import the recorder (test/architecture),
 * so bin/ implements this with recorder/onboarding.ts, recorder/discover.ts and the same
 * configuration edit as `vigil camera add` (bin/camera-admin-service.ts), and passes it in
 * AppDeps. Nothing here ever carries a password back: results name cameras by address only.
 */
export type CameraConnection =
  | { kind: 'onvif'; host: string; port: number; username: string; password: string }
  | { kind: 'rtsp'; rtspUrl: string; username?: string | undefined; password?: string | undefined };

export interface DiscoveredCamera {
  /** host:port of its ONVIF device service. */
  address: string;
  host: string;
  port: number;
  /** Name, hardware (model) and location it announces in its WS-Discovery scopes. */
  name: string;
  model: string;
  location: string;
  /** ONVIF profiles it announces (e.g. "S", "G", "T"), from its scopes. */
  profiles: string[];
  /** The id of the configured camera at this address, if it is already added. */
  configuredAs: string | null;
}

export interface StreamSummary {
  codec: 'H264' | 'H265';
  width: number;
  height: number;
  audio: string | null;
}

export interface CameraTestResult {
  kind: 'onvif' | 'rtsp';
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  main: StreamSummary;
  sub: StreamSummary | null;
  /** Camera clock minus ours (null for a plain RTSP stream, which has no clock to ask). */
  clockOffsetMs: number | null;
  /** The camera clock is over a minute off: footage is timed by Vigil, but the picture's time differs. */
  clockWarning: boolean;
  /** Profile G (recording on the camera's card, for backfill) when onboarding reports it; null: not known. */
  profileG: boolean | null;
}

export interface CameraAddRequest {
  id: string;
  name?: string | undefined;
  site?: string | undefined;
  audio?: 'auto' | 'off' | undefined;
  connection: CameraConnection;
}

export interface CameraAddResult {
  id: string;
  /** The configuration file written. */
  configFile: string;
  test: CameraTestResult | null;
  /** 'started': the running recorder records it now; 'after_restart': from Vigil's next start. */
  recording: 'started' | 'after_restart';
  /** Why recording waits for a restart, in plain words (absent when started). */
  note?: string;
}

export interface CameraAdminService {
  discover(timeoutMs: number): Promise<DiscoveredCamera[]>;
  /** Throws VigilError camera_* with the plain reason when the camera is not usable. */
  test(connection: CameraConnection): Promise<CameraTestResult>;
  /** Throws invalid_request (bad values), conflict (id taken) or camera_* (camera problem). */
  add(request: CameraAddRequest): Promise<CameraAddResult>;
}
