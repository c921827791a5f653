import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Cam, type CamOptions } from 'onvif';
import { systemClock } from '../../src/clock.ts';
import { defaultSpec, type SimCameraSpec, type StreamName } from '../../recorder/sim/camera-spec.ts';
import { CameraFaults } from '../../recorder/sim/faults.ts';
import { OnvifDeviceServer, type AuthFailureEvent, type OnvifRequestEvent } from '../../recorder/sim/onvif-service.ts';
import { passwordDigest } from '../../recorder/sim/wsse.ts';

/**
 * What the simulator's ONVIF tests share (sim-onvif*.test.ts, sim-ws-discovery.test.ts): cameras
 * started per test, the real `onvif` npm client (v0.8.3) bounded in time, hand-built SOAP.
 *
 * Observed behaviour of the onvif package, pinned here so a change shows up:
 * - connect() = GetSystemDateAndTime (unauthenticated) → GetServices → GetProfiles and
 *   GetVideoSources in parallel; GetCapabilities only if GetServices fails.
 * - With a wrong password connect() still calls back WITHOUT an error: GetServices is pre-auth,
 *   the NotAuthorized faults of GetProfiles/GetVideoSources only become a 'warning' event and an
 *   empty profile list. A following getStreamUri() without a profileToken then throws a
 *   TypeError synchronously (no activeSource) and never calls back; with a token it calls back
 *   with "ONVIF SOAP Fault: Sender not Authorized".
 * - Clock skew is compensated: the client stamps Created with the camera's time (timeShift from
 *   GetSystemDateAndTime), but only once per Cam; if the camera clock jumps after connect, every
 *   later call fails NotAuthorized until a new Cam connects.
 */
export const RTSP = (spec: SimCameraSpec, stream: StreamName) => `rtsp://127.0.0.1:8554/${spec.id}/${stream}`;

export interface SimCamera {
  spec: SimCameraSpec;
  faults: CameraFaults;
  server: OnvifDeviceServer;
  requests: OnvifRequestEvent[];
  authFailures: AuthFailureEvent[];
}

export interface OnvifCameras {
  /** Starts a simulated camera's ONVIF side (stopped after each test). */
  startCamera(index?: number, overrides?: Partial<SimCameraSpec>): Promise<SimCamera>;
  /** The snapshot every camera serves (a real JPEG made by ffmpeg). */
  jpeg(): Buffer;
  /** Stops a camera made by hand after the test, like the started ones. */
  track(cam: SimCamera): void;
}

/** Registers the file's hooks (snapshot made once, cameras stopped after each test). */
export function useOnvifCameras(): OnvifCameras {
  let jpeg: Buffer;
  let tmp: string;
  const running: SimCamera[] = [];
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'vigil-sim-onvif-'));
    const file = join(tmp, 'snap.jpg');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=s=320x180', '-frames:v', '1', '-y', file]);
    jpeg = readFileSync(file);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.server.stop()));
  });
  return {
    jpeg: () => jpeg,
    track: (cam) => void running.push(cam),
    async startCamera(index = 0, overrides = {}) {
      const spec = defaultSpec(index, overrides);
      const faults = new CameraFaults(systemClock);
      const server = new OnvifDeviceServer({
        spec,
        faults,
        clock: systemClock,
        streamUri: (stream) => RTSP(spec, stream),
        snapshotJpeg: async () => jpeg,
      });
      const cam: SimCamera = { spec, faults, server, requests: [], authFailures: [] };
      server.on('request', (e: OnvifRequestEvent) => cam.requests.push(e));
      server.on('authFailure', (e: AuthFailureEvent) => cam.authFailures.push(e));
      await server.start();
      running.push(cam);
      return cam;
    },
  };
}

export interface Connected {
  cam: Cam;
  err: Error | null;
  warnings: string[];
}

/** new Cam(...) with its connect callback bounded in time. */
export function connect(sim: SimCamera, options: Partial<CamOptions> = {}, boundMs = 8000): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const warnings: string[] = [];
    const timer = setTimeout(() => reject(new Error(`connect did not call back within ${boundMs} ms`)), boundMs);
    const cam: Cam = new Cam(
      {
        hostname: '127.0.0.1',
        port: sim.server.port,
        username: sim.spec.username,
        password: sim.spec.password,
        timeout: 5000,
        ...options,
      },
      (err) => {
        clearTimeout(timer);
        resolve({ cam, err: err ?? null, warnings });
      },
    );
    cam.on('warning', (w: unknown) => warnings.push(String(w)));
  });
}

/** Calls a callback-style onvif method; resolves with (err, value), rejects if it never calls back. */
export function call<T = unknown>(what: string, fn: (cb: (err: Error | null, value?: T) => void) => void, boundMs = 6000) {
  return new Promise<{ err: Error | null; value: T | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not call back within ${boundMs} ms`)), boundMs);
    fn((err, value) => {
      clearTimeout(timer);
      resolve({ err: err ?? null, value });
    });
  });
}

/** A hand-built SOAP request, as the onvif package would send it, with a chosen Created. */
export async function rawSoap(
  sim: SimCamera,
  bodyXml: string,
  token?: { created: string; nonce?: Buffer; password?: string },
): Promise<{ status: number; text: string; headers: Headers }> {
  let security = '';
  if (token) {
    const nonce = token.nonce ?? Buffer.from(`${Math.random()}`.padEnd(16, '0').slice(0, 16));
    const digest = passwordDigest(nonce, token.created, token.password ?? sim.spec.password);
    security =
      `<Security s:mustUnderstand="1" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
      `<UsernameToken><Username>${sim.spec.username}</Username>` +
      `<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</Password>` +
      `<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</Nonce>` +
      `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${token.created}</Created>` +
      `</UsernameToken></Security>`;
  }
  const envelope =
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${security}</s:Header>` +
    `<s:Body>${bodyXml}</s:Body></s:Envelope>`;
  const res = await fetch(sim.server.mediaXaddr, {
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    body: envelope,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export const GET_PROFILES = '<GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/>';

export interface ProfileView {
  token: string;
  encoding: string;
  width: number;
  height: number;
  audio: string | undefined;
}

export function profileView(cam: Cam): ProfileView[] {
  return (cam.profiles ?? []).map((p: any) => ({
    token: p.$.token,
    encoding: p.videoEncoderConfiguration.encoding,
    width: p.videoEncoderConfiguration.resolution.width,
    height: p.videoEncoderConfiguration.resolution.height,
    audio: p.audioEncoderConfiguration?.encoding,
  }));
}
