import type { Clock } from '../src/clock.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import type { ConfigProblem } from '../src/config/explain.ts';
import { cameraSchema, type CameraConfig } from '../src/config/schema.ts';
import { isVigilError, VigilError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import { discoverCameras, type DiscoveredDevice } from '../recorder/discover.ts';
import { onboardOnvif, withCredentials, type OnboardResult, type OnvifTarget, type StreamChoice } from '../recorder/onboarding.ts';
import type { CameraAddRequest, CameraAddResult, CameraAdminService, CameraConnection, CameraTestResult, DiscoveredCamera, StreamSummary } from '../api/camera-admin.ts';
import { cameraAdditionFrom } from './camera-add-args.ts';
import { configTarget, planCameraAddition, writeCameraAddition } from './camera-add.ts';
import { probeRtspStream } from './rtsp-stream-probe.ts';

/**
 * The web UI's camera administration (api/camera-admin.ts), built from the recorder's
 * onboarding and WS-Discovery and the configuration edit of `vigil camera add` (same entry,
 * same checks, same atomic 0600 write keeping comments). After writing, the camera joins this
 * process's configuration (so the API lists it and retention plans it) and, when a recorder
 * runs in this process and can take it, is recorded at once. Passwords go to the camera and
 * the file only; every message names the camera by id and address.
 */
export interface CameraAdminDeps {
  /** This process's configuration; the added camera is appended to its cameras. */
  config: ResolvedConfig;
  env: Record<string, string | undefined>;
  cwd: string;
  clock: Clock;
  log: Logger;
  /** The recorder of this process (all-in-one `vigil`), if any. */
  recorder?: { addCamera(cam: CameraConfig): Promise<'started' | 'restart_needed'> } | null;
  discover?: (timeoutMs: number) => Promise<DiscoveredDevice[]>;
  onboard?: (t: OnvifTarget, clock: Clock) => Promise<OnboardResult>;
  ffprobePath?: string;
}

/** A camera clock further off than this gets a warning (as `vigil camera add` prints). */
const CLOCK_WARNING_MS = 60_000;
const PROFILE_SCOPE = 'onvif://www.onvif.org/profile/';

export function createCameraAdminService(d: CameraAdminDeps): CameraAdminService {
  const onboard = d.onboard ?? onboardOnvif;
  const discover = d.discover ?? discoverCameras;

  const test = async (c: CameraConnection): Promise<CameraTestResult> => {
    if (c.kind === 'onvif') return testResultFromOnboarding(await onboard({ host: c.host, port: c.port, username: c.username, password: c.password, timeoutMs: 8_000 }, d.clock));
    const url = c.username ? withCredentials(c.rtspUrl, c.username, c.password ?? '') : c.rtspUrl;
    const facts = await probeRtspStream(url, { ffprobePath: d.ffprobePath ?? 'ffprobe' });
    return { kind: 'rtsp', manufacturer: '', model: '', firmwareVersion: '', main: { ...facts.video, audio: facts.audio }, sub: null, clockOffsetMs: null, clockWarning: false, profileG: null };
  };

  return {
    async discover(timeoutMs) {
      let found: DiscoveredDevice[];
      try {
        found = await discover(timeoutMs);
      } catch (e) {
        throw new VigilError('camera_unreachable', `Searching the network for cameras failed (${(e as Error).message.slice(0, 120)}). Add the camera by its address instead.`);
      }
      return discoveredCameras(found, d.config.cameras);
    },

    test,

    async add(req: CameraAddRequest): Promise<CameraAddResult> {
      if (d.config.cameras.some((c) => c.id === req.id)) {
        throw new VigilError('conflict', `A camera with the id "${req.id}" already exists. Choose another id.`);
      }
      const c = req.connection;
      const addition = cameraAdditionFrom({
        id: req.id,
        name: req.name,
        site: req.site,
        audio: req.audio,
        ...(c.kind === 'onvif'
          ? { onvif: c.host.includes(':') ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`, user: c.username, password: c.password }
          : { rtsp: c.rtspUrl, user: c.username, password: c.password }),
      });
      const file = configTarget(d.config.configFile ?? undefined, d.env, d.cwd);
      const ctx = { env: d.env, cwd: d.cwd };
      asRequestError(() => planCameraAddition(file, addition.entry, ctx, req.id), req.id);
      const tested = await test(c); // a camera problem stops here: nothing is written
      await asRequestErrorAsync(() => writeCameraAddition(file, addition.entry, ctx, req.id), req.id);
      const camera = cameraSchema.parse(addition.entry);
      d.config.cameras.push(camera);
      d.log.info({ cameraId: req.id, file }, 'camera added to the configuration from the web UI');
      const outcome = d.recorder ? await d.recorder.addCamera(camera) : 'restart_needed';
      return outcome === 'started'
        ? { id: req.id, configFile: file, test: tested, recording: 'started' }
        : {
            id: req.id,
            configFile: file,
            test: tested,
            recording: 'after_restart',
            note: d.recorder
              ? 'This Vigil shares its cameras among several recorders; the camera is recorded after the recorders restart.'
              : 'No recorder runs in this process; the camera is recorded after the recorder (vigil recorder) restarts.',
          };
    },
  };
}

/** Pure: WS-Discovery answers → what the page lists (no secrets: discovery carries none). */
export function discoveredCameras(found: readonly DiscoveredDevice[], configured: readonly Pick<CameraConfig, 'id' | 'onvif'>[]): DiscoveredCamera[] {
  const out: DiscoveredCamera[] = [];
  for (const dev of found) {
    const xaddr = dev.xaddrs.find((x) => /^https?:\/\//i.test(x));
    if (!xaddr) continue;
    let u: URL;
    try {
      u = new URL(xaddr);
    } catch {
      continue;
    }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    const profiles = [...new Set(dev.scopes.filter((s) => s.toLowerCase().startsWith(PROFILE_SCOPE)).map((s) => profileLetter(s.slice(PROFILE_SCOPE.length))))].sort();
    const same = configured.find((c) => c.onvif && c.onvif.host === host && c.onvif.port === port);
    out.push({ address: `${u.hostname}:${port}`, host, port, name: dev.name, model: dev.hardware, location: dev.location, profiles, configuredAs: same?.id ?? null });
  }
  return out;
}

function profileLetter(name: string): string {
  return name.toLowerCase() === 'streaming' ? 'S' : name.toUpperCase();
}

/** Pure: onboarding → the test result (stream URLs left out: they are not needed on the page). */
export function testResultFromOnboarding(r: OnboardResult): CameraTestResult {
  const stream = (s: StreamChoice): StreamSummary => ({ codec: s.encoding, width: s.width, height: s.height, audio: s.audioEncoding });
  // Profile G (recording on the camera, for backfill): onboarding's edge probe, when it ran.
  const profileG = (r as { edge?: { profileG?: unknown } }).edge?.profileG;
  return {
    kind: 'onvif',
    manufacturer: r.device.manufacturer,
    model: r.device.model,
    firmwareVersion: r.device.firmwareVersion,
    main: stream(r.main),
    sub: r.sub ? stream(r.sub) : null,
    clockOffsetMs: r.clockOffsetMs,
    clockWarning: Math.abs(r.clockOffsetMs) > CLOCK_WARNING_MS,
    profileG: typeof profileG === 'boolean' ? profileG : null,
  };
}

/** The file check's config_invalid is the caller's mistake here (400), a repeated id a 409. */
function asRequestError<T>(f: () => T, id: string): T {
  try {
    return f();
  } catch (e) {
    throw requestError(e, id);
  }
}

async function asRequestErrorAsync<T>(f: () => Promise<T>, id: string): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw requestError(e, id);
  }
}

function requestError(e: unknown, id: string): unknown {
  if (!isVigilError(e, 'config_invalid')) return e;
  const problems = (Array.isArray(e.details.problems) ? e.details.problems : []) as ConfigProblem[];
  if (problems.some((p) => /repeats camera id/.test(p.message))) return new VigilError('conflict', `A camera with the id "${id}" already exists in the configuration file. Choose another id.`);
  const invalidParams = problems.map((p) => ({ name: p.key.replace(/^cameras\.\d+\./, ''), in: 'body' as const, reason: p.message }));
  return new VigilError('invalid_request', `Camera "${id}" was not added: ${problems.map((p) => `${p.key}: ${p.message}`).join('; ') || e.message}. Nothing was written.`, { invalidParams });
}
