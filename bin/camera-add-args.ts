import { VigilError } from '../src/errors.ts';

/**
 * The options of `vigil camera add` turned into the camera entry written to the configuration
 * (and, for ONVIF, the address to onboard). Only the shape of the options is checked here; the
 * values themselves (id slug, known site, unique id) are checked by the configuration schema,
 * so the command reports them exactly as start-up would.
 */
export interface CameraAddOptions {
  id?: string | undefined;
  name?: string | undefined;
  site?: string | undefined;
  onvif?: string | undefined;
  rtsp?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  audio?: string | undefined;
}

export interface OnvifAddress {
  host: string;
  port: number;
}

export interface CameraAddition {
  /** What goes into `cameras:`; holds the password. */
  entry: Record<string, unknown>;
  /** Set for an ONVIF camera. */
  onvif: (OnvifAddress & { username: string; password: string }) | null;
}

const ONVIF_DEFAULT_PORT = 80;

export function cameraAdditionFrom(o: CameraAddOptions): CameraAddition {
  if (o.id === undefined || o.id === '') {
    throw usage('vigil camera add needs --id, the id the camera gets in Vigil (lowercase letters, digits and dashes, e.g. "ward-3-counter-1")');
  }
  if ((o.onvif === undefined) === (o.rtsp === undefined)) {
    throw usage('vigil camera add needs exactly one of --onvif HOST[:PORT] (an ONVIF camera) or --rtsp URL (a plain RTSP stream)');
  }
  if (o.audio !== undefined && o.audio !== 'auto' && o.audio !== 'off') {
    throw usage(`--audio must be "auto" or "off" (got "${o.audio}")`);
  }
  const common = {
    id: o.id,
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.site !== undefined ? { site: o.site } : {}),
  };
  const audio = o.audio !== undefined ? { audio: o.audio } : {};

  if (o.onvif !== undefined) {
    if (o.user === undefined || o.password === undefined) {
      throw usage('--onvif needs --user and --password: the login of the camera\'s ONVIF user');
    }
    const address = parseOnvifAddress(o.onvif);
    const onvif = { ...address, username: o.user, password: o.password };
    return { entry: { ...common, onvif, ...audio }, onvif };
  }

  const rtsp = o.rtsp!;
  if ((o.user === undefined) !== (o.password === undefined)) {
    throw usage('with --rtsp, give both --user and --password, or neither (when the camera needs no login)');
  }
  if (o.user !== undefined && hasUserInfo(rtsp)) {
    throw usage('the RTSP URL already carries a user name; give the login either in the URL or with --user and --password, not both');
  }
  const login = o.user !== undefined ? { username: o.user, password: o.password } : {};
  return { entry: { ...common, rtspUrl: rtsp, ...login, ...audio }, onvif: null };
}

/** "host", "host:port", "[v6]:port" or a bare IPv6 address. */
export function parseOnvifAddress(text: string): OnvifAddress {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (text.split(':').length === 2) {
    [host, portText] = text.split(':') as [string, string];
  } else {
    host = text; // no colon, or a bare IPv6 address
  }
  if (text.includes('@')) {
    throw usage('--onvif takes the camera\'s address only (HOST or HOST:PORT); give the login with --user and --password');
  }
  if (host === '' || /[\s/]/.test(host)) {
    throw usage(`--onvif must be the camera's address as HOST or HOST:PORT, e.g. 192.168.1.64 or 192.168.1.64:8000 (got "${text}")`);
  }
  if (portText === undefined) return { host, port: ONVIF_DEFAULT_PORT };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw usage(`the port in --onvif must be a number from 1 to 65535 (got "${portText}")`);
  }
  return { host, port };
}

function hasUserInfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*@/i.test(url);
}

function usage(message: string): VigilError {
  return new VigilError('config_invalid', message, { hint: 'Run "vigil --help" for the usage of every command.' });
}
