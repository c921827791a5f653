/**
 * The parts of an SDP session description (RFC 4566) an RTSP client needs: per media section
 * its type, payload type, codec and clock rate, fmtp parameters, control URL (resolved against
 * the base URL, RFC 2326 §C.1.1), frame rate and the ONVIF track reference. Pure.
 */
export interface SdpMedia {
  kind: string;
  payloadType: number;
  /** rtpmap encoding name, upper case (H264, H265, PCMA, MPEG4-GENERIC). */
  encoding: string;
  clockRate: number;
  channels: number | null;
  fmtp: Map<string, string>;
  /** Absolute control URL for SETUP. */
  controlUrl: string;
  frameRate: number | null;
  /** a=x-onvif-track:<TrackReference>, when the camera names it. */
  onvifTrack: string | null;
}

export interface SessionDescription {
  /** Aggregate control URL (for PLAY/TEARDOWN). */
  controlUrl: string;
  media: SdpMedia[];
}

function resolveControl(control: string | undefined, base: string): string {
  if (!control || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

export function parseFmtp(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/** Parses an SDP; `baseUrl` is the Content-Base (or Content-Location, or the DESCRIBE URL). */
export function parseSdp(text: string, baseUrl: string): SessionDescription {
  let sessionControl: string | undefined;
  const media: Array<Omit<SdpMedia, 'controlUrl'> & { control?: string }> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const type = line[0];
    const value = line.slice(2);
    const cur = media[media.length - 1];
    if (type === 'm') {
      const [kind = '', , , pt = '0'] = value.split(/\s+/);
      media.push({ kind, payloadType: Number(pt), encoding: '', clockRate: 0, channels: null, fmtp: new Map(), frameRate: null, onvifTrack: null });
      continue;
    }
    if (type !== 'a') continue;
    const colon = value.indexOf(':');
    const attr = colon < 0 ? value : value.slice(0, colon);
    const arg = colon < 0 ? '' : value.slice(colon + 1);
    if (attr === 'control') {
      if (cur) cur.control = arg.trim();
      else sessionControl = arg.trim();
    } else if (!cur) {
      continue;
    } else if (attr === 'rtpmap') {
      const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(arg);
      if (m && Number(m[1]) === cur.payloadType) {
        cur.encoding = m[2]!.toUpperCase();
        cur.clockRate = Number(m[3]);
        cur.channels = m[4] ? Number(m[4]) : null;
      }
    } else if (attr === 'fmtp') {
      const sp = arg.indexOf(' ');
      if (sp > 0 && Number(arg.slice(0, sp)) === cur.payloadType) cur.fmtp = parseFmtp(arg.slice(sp + 1));
    } else if (attr === 'framerate') {
      const f = Number(arg);
      if (f > 0) cur.frameRate = f;
    } else if (attr === 'x-onvif-track') {
      cur.onvifTrack = arg.trim();
    }
  }
  const controlUrl = resolveControl(sessionControl, baseUrl);
  return {
    controlUrl,
    media: media.map(({ control, ...m }) => ({ ...m, controlUrl: resolveControl(control, baseUrl) })),
  };
}
