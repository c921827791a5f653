import { createHash, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import { redactText } from '../../src/redact.ts';
import type { EdgeCameraAccess, EdgeSupport } from './edge-fetch-types.ts';

/**
 * The ONVIF calls of Profile G that Vigil needs (SOAP 1.2 over HTTP, every call bounded):
 * device GetServices (where the search and replay services are), search FindRecordings +
 * GetRecordingSearchResults (what each recording holds: EarliestRecording/LatestRecording per
 * recording, its tracks) or GetRecordingSummary, and replay GetReplayUri. Authentication is
 * WS-Security UsernameToken with PasswordDigest = Base64(SHA-1(nonce + Created + password)),
 * Created on the CAMERA's clock (recorder time + clockOffsetMs), since cameras check it against
 * their own clock within a few minutes.
 */

const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  tse: 'http://www.onvif.org/ver10/search/wsdl',
  trp: 'http://www.onvif.org/ver10/replay/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
};
const DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const NONCE_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export interface EdgeRecording {
  token: string;
  /** Camera clock, epoch ms; null when the camera holds nothing in it. */
  earliestMs: number | null;
  latestMs: number | null;
  hasVideo: boolean;
}

export interface EdgeServices {
  searchXaddr: string | null;
  replayXaddr: string | null;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false, isArray: (name) => ['Service', 'RecordingInformation', 'Track'].includes(name) });

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** xs:dateTime → epoch ms, or null. */
function dateMs(v: unknown): number | null {
  if (typeof v !== 'string' || v.trim() === '') return null;
  const t = Date.parse(v.trim());
  return Number.isFinite(t) ? t : null;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object' && '#text' in v) return String((v as Record<string, unknown>)['#text']).trim();
  return '';
}

export class OnvifEdgeClient {
  private readonly where: string;

  constructor(
    private readonly access: EdgeCameraAccess,
    private readonly clock: Clock,
    private readonly opts: { timeoutMs: number; clockOffsetMs: number; signal?: AbortSignal },
  ) {
    this.where = `${access.host}:${access.port}`;
  }

  /** Keeps the path of an address the camera gave but uses the host and port Vigil reaches it at (cameras behind NAT give inner addresses). */
  private reachable(xaddr: string): string {
    try {
      const u = new URL(xaddr);
      return `http://${this.access.host.includes(':') ? `[${this.access.host}]` : this.access.host}:${this.access.port}${u.pathname}${u.search}`;
    } catch {
      return xaddr;
    }
  }

  private security(): string {
    const nonce = randomBytes(16);
    const created = new Date(this.clock.nowMs() + this.opts.clockOffsetMs).toISOString();
    const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(this.access.password, 'utf8')])).digest('base64');
    return (
      `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" env:mustUnderstand="true"><wsse:UsernameToken>` +
      `<wsse:Username>${esc(this.access.username)}</wsse:Username><wsse:Password Type="${DIGEST_TYPE}">${digest}</wsse:Password>` +
      `<wsse:Nonce EncodingType="${NONCE_TYPE}">${nonce.toString('base64')}</wsse:Nonce><wsu:Created>${created}</wsu:Created>` +
      `</wsse:UsernameToken></wsse:Security>`
    );
  }

  /** One SOAP call; the parsed Body's first child. */
  async call(xaddr: string, ns: string, action: string, inner: string, auth = true): Promise<Record<string, any>> {
    const envelope =
      `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${NS.env}" xmlns:tt="${NS.tt}" xmlns:m="${ns}">` +
      `<env:Header>${auth ? this.security() : ''}</env:Header><env:Body><m:${action}>${inner}</m:${action}></env:Body></env:Envelope>`;
    const signals = [AbortSignal.timeout(this.opts.timeoutMs), ...(this.opts.signal ? [this.opts.signal] : [])];
    let res: Response;
    let body: string;
    try {
      res = await fetch(xaddr, {
        method: 'POST',
        headers: { 'Content-Type': `application/soap+xml; charset=utf-8; action="${ns}/${action}"` },
        body: envelope,
        signal: AbortSignal.any(signals),
      });
      body = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : err.name === 'AbortError' ? 'stopped' : (err.cause?.code ?? redactText(err.message).slice(0, 80));
      throw new VigilError('camera_unreachable', `Camera at ${this.where} did not answer ONVIF ${action} (${why}).`);
    }
    let doc: Record<string, any>;
    try {
      doc = parser.parse(body) as Record<string, any>;
    } catch {
      throw new VigilError('camera_replay_failed', `Camera at ${this.where} answered ONVIF ${action} with something that is not XML (HTTP ${res.status}).`);
    }
    const envBody = doc?.Envelope?.Body ?? {};
    if (envBody.Fault || !res.ok) {
      const f = envBody.Fault ?? {};
      const codes = JSON.stringify(f.Code ?? f.faultcode ?? '');
      const reason = text(f.Reason?.Text ?? f.faultstring ?? '').slice(0, 160);
      if (/NotAuthorized/i.test(codes) || res.status === 401) {
        throw new VigilError('camera_auth_failed', `Camera at ${this.where} rejected the user name or password for ONVIF ${action}. Check the credentials and the camera's clock.`);
      }
      const unsupported = /ActionNotSupported|NotSupported/i.test(codes) || /not supported/i.test(reason);
      throw new VigilError('camera_replay_failed', `Camera at ${this.where} refused ONVIF ${action}${unsupported ? ' (it does not support it)' : ''}: ${reason || `HTTP ${res.status}`}.`, { unsupported });
    }
    return (envBody[`${action}Response`] ?? {}) as Record<string, any>;
  }

  get deviceXaddr(): string {
    return `http://${this.access.host.includes(':') ? `[${this.access.host}]` : this.access.host}:${this.access.port}/onvif/device_service`;
  }

  async getServices(): Promise<EdgeServices> {
    const r = await this.call(this.deviceXaddr, NS.tds, 'GetServices', '<m:IncludeCapability>false</m:IncludeCapability>', false);
    const services = (r.Service ?? []) as Array<Record<string, unknown>>;
    const find = (ns: string) => {
      const s = services.find((x) => text(x.Namespace) === ns);
      return s ? this.reachable(text(s.XAddr)) : null;
    };
    return { searchXaddr: find(NS.tse), replayXaddr: find(NS.trp) };
  }

  /** Every recording with its span, via FindRecordings → GetRecordingSearchResults → EndSearch. */
  async findRecordings(searchXaddr: string): Promise<EdgeRecording[]> {
    const found = await this.call(searchXaddr, NS.tse, 'FindRecordings', '<m:Scope></m:Scope><m:KeepAliveTime>PT10S</m:KeepAliveTime>');
    const token = text(found.SearchToken);
    if (!token) throw new VigilError('camera_replay_failed', `Camera at ${this.where} started a recording search without a search token.`);
    const out: EdgeRecording[] = [];
    try {
      for (let round = 0; round < 20; round++) {
        const r = await this.call(searchXaddr, NS.tse, 'GetRecordingSearchResults', `<m:SearchToken>${esc(token)}</m:SearchToken><m:MaxResults>100</m:MaxResults><m:WaitTime>PT2S</m:WaitTime>`);
        const list = r.ResultList ?? {};
        for (const info of (list.RecordingInformation ?? []) as Array<Record<string, any>>) {
          const tracks = (info.Track ?? []) as Array<Record<string, unknown>>;
          out.push({
            token: text(info.RecordingToken),
            earliestMs: dateMs(text(info.EarliestRecording)),
            latestMs: dateMs(text(info.LatestRecording)),
            hasVideo: tracks.some((t) => text(t.TrackType) === 'Video'),
          });
        }
        if (text(list.SearchState) === 'Completed') break;
      }
    } finally {
      await this.call(searchXaddr, NS.tse, 'EndSearch', `<m:SearchToken>${esc(token)}</m:SearchToken>`).catch(() => undefined);
    }
    return out;
  }

  async getReplayUri(replayXaddr: string, recordingToken: string): Promise<string> {
    const r = await this.call(
      replayXaddr,
      NS.trp,
      'GetReplayUri',
      `<m:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></m:StreamSetup><m:RecordingToken>${esc(recordingToken)}</m:RecordingToken>`,
    );
    const uri = text(r.Uri);
    if (!/^rtsps?:\/\//i.test(uri)) throw new VigilError('camera_replay_failed', `Camera at ${this.where} gave no RTSP address to replay recording ${recordingToken}.`);
    return uri;
  }
}

/**
 * Whether a camera offers Profile G (search + replay, a recording with video), for onboarding.
 * Never throws: a camera that cannot be asked is "no" with the reason.
 */
export async function probeEdgeSupport(access: EdgeCameraAccess, clock: Clock, timeoutMs: number, clockOffsetMs = 0): Promise<EdgeSupport> {
  const checkedMs = clock.nowMs();
  const client = new OnvifEdgeClient(access, clock, { timeoutMs, clockOffsetMs });
  try {
    const services = await client.getServices();
    if (!services.searchXaddr || !services.replayXaddr) {
      return { profileG: false, checkedMs, detail: 'The camera offers no ONVIF recording search and replay (no Profile G), so footage lost in outages cannot be fetched from it.' };
    }
    const recordings = await client.findRecordings(services.searchXaddr);
    const rec = recordings.find((r) => r.hasVideo && r.token);
    if (!rec) return { profileG: false, checkedMs, detail: 'The camera answers ONVIF search and replay but holds no recording with video (is its SD card in and recording on?).' };
    const held = rec.earliestMs !== null && rec.latestMs !== null ? ` holding ${new Date(rec.earliestMs).toISOString()} to ${new Date(rec.latestMs).toISOString()} (camera clock)` : ' (empty now)';
    return { profileG: true, recordingToken: rec.token, checkedMs, detail: `Edge recording ${rec.token}${held}.` };
  } catch (e) {
    const msg = e instanceof VigilError ? e.message : redactText(String((e as Error)?.message ?? e)).slice(0, 200);
    return { profileG: false, checkedMs, detail: `Edge storage could not be checked: ${msg}`, probeFailed: true };
  }
}
