/**
 * The simulated camera's web server: ONVIF SOAP at /onvif/device_service and
 * /onvif/media_service (and, with edge storage, the Profile G services at
 * /onvif/recording_service, /onvif/search_service, /onvif/replay_service: onvif-recording.ts),
 * and a JPEG snapshot at /onvif/snapshot.jpg.
 *
 * Authentication is onvif-auth.ts: operations outside ONVIF's pre-auth class need a valid
 * WS-Security UsernameToken or HTTP Digest. A bad UsernameToken gets HTTP 400 with the SOAP fault
 * env:Sender / ter:NotAuthorized, reason "Sender not Authorized" (SOAP 1.2 HTTP binding; what
 * gSOAP-based cameras send); no credentials or bad HTTP credentials get HTTP 401 with a Digest
 * challenge (and the same fault in the body for SOAP). The snapshot needs Digest (or Basic).
 *
 * Faults: `refuse` and `networkCut` close the listener (clients get ECONNREFUSED; open
 * connections are cut) and reopen it on the same port when cleared; `wrongCredentials` refuses every credential; `clockSkewMs` shifts the
 * reported time and the UsernameToken freshness window; `altResolution` changes the main
 * profile's resolution.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../src/clock.ts';
import type { SimCameraSpec, StreamName } from './camera-spec.ts';
import type { CameraFaults, FaultSettings } from './faults.ts';
import { CameraAuthenticator, type AuthFailureReason, type AuthOutcome } from './onvif-auth.ts';
import { cameraUuid, type OnvifAction, type OnvifContext, type OnvifServiceTable } from './onvif-context.ts';
import { deviceScopes, deviceService } from './onvif-device.ts';
import { mediaService } from './onvif-media.ts';
import { PROFILE_G_SERVICES, RECORDING_PATH, RECORDING_TOKEN, REPLAY_PATH, SEARCH_PATH } from './onvif-recording.ts';
import type { EdgeRecorder } from './edge-recorder.ts';
import type { OnvifEdge } from './onvif-context.ts';
import { Faults, SoapFault, faultEnvelope, parseSoapRequest, soapEnvelope, type SoapRequest } from './soap.ts';
import type { DiscoveryTarget } from './ws-discovery.ts';

export const DEVICE_PATH = '/onvif/device_service';
export const MEDIA_PATH = '/onvif/media_service';
export const SNAPSHOT_PATH = '/onvif/snapshot.jpg';
const MAX_BODY_BYTES = 256 * 1024;
/**
 * Every service path is answered on every camera; dispatch is by the operation's namespace.
 * A camera without edge storage thus answers Profile G requests with ActionNotSupported.
 */
const SOAP_PATHS = new Set([DEVICE_PATH, MEDIA_PATH, RECORDING_PATH, SEARCH_PATH, REPLAY_PATH]);
const SOAP_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export interface OnvifDeviceOptions {
  spec: SimCameraSpec;
  faults: CameraFaults;
  clock: Clock;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; default 0 (ephemeral, then kept for reopening after `refuse`). */
  port?: number;
  /** Host written into XAddrs and URIs; default host (127.0.0.1 when host is a wildcard). */
  advertisedHost?: string;
  /** Location scope; default 'vigil-sim'. */
  location?: string;
  streamUri: (stream: StreamName) => string;
  snapshotJpeg: () => Promise<Buffer>;
  /** UsernameToken Created must be within ± this of the camera clock; default 5 min. */
  createdWindowMs?: number;
  /** Edge storage: adds the Profile G services (recording, search, replay). */
  edge?: { recorder: EdgeRecorder; replayUri: (recordingToken: string) => string };
}

export type { AuthFailureReason } from './onvif-auth.ts';

export interface OnvifRequestEvent {
  /** Operation local name, e.g. 'GetProfiles' (or the path for snapshots). */
  action: string;
  /** HTTP status sent. */
  status: number;
}

export interface AuthFailureEvent {
  action: string;
  reason: AuthFailureReason;
}

/**
 * One simulated camera's ONVIF endpoint. Events: 'request' (OnvifRequestEvent),
 * 'authFailure' (AuthFailureEvent), 'listening' (port), 'refusing', 'listen-failed' (Error).
 */
export class OnvifDeviceServer extends EventEmitter {
  readonly uuid: string;
  private server: http.Server | undefined;
  private boundPort: number;
  private readonly host: string;
  private readonly advertisedHost: string;
  private readonly services: OnvifServiceTable[] = [deviceService, mediaService];
  private readonly edgeSearches: OnvifEdge['searches'] = new Map();
  private readonly auth: CameraAuthenticator;
  private readonly onFaultChange = (settings: FaultSettings): void => {
    this.enqueue(() => (settings.refuse || settings.networkCut ? this.close() : this.open()));
  };
  private queue: Promise<void> = Promise.resolve();
  private started = false;

  constructor(private readonly opts: OnvifDeviceOptions) {
    super();
    this.uuid = cameraUuid(opts.spec.id);
    this.host = opts.host ?? '127.0.0.1';
    this.boundPort = opts.port ?? 0;
    const wildcard = this.host === '0.0.0.0' || this.host === '::';
    this.advertisedHost = opts.advertisedHost ?? (wildcard ? '127.0.0.1' : this.host);
    this.auth = new CameraAuthenticator(opts);
    if (opts.edge) this.services.push(...PROFILE_G_SERVICES);
  }

  get port(): number {
    return this.boundPort;
  }

  /** Device service URL (the XAddr a client connects to). */
  get xaddr(): string {
    return this.url(DEVICE_PATH);
  }

  get mediaXaddr(): string {
    return this.url(MEDIA_PATH);
  }

  get snapshotUri(): string {
    return this.url(SNAPSHOT_PATH);
  }

  /** True while the listener accepts connections. */
  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Binds the port (learning it when ephemeral), then follows faults.refuse. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.enqueue(() => this.open());
    } catch (err) {
      this.started = false;
      throw err;
    }
    this.opts.faults.on('change', this.onFaultChange);
    const f = this.opts.faults.get();
    if (f.refuse || f.networkCut) await this.enqueue(() => this.close());
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.opts.faults.off('change', this.onFaultChange);
    await this.enqueue(() => this.close());
  }

  /** Resolves once every open/close triggered so far (by faults or start/stop) has happened. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** What WS-Discovery announces for this camera. */
  discoveryTarget(): DiscoveryTarget {
    return {
      endpointReference: `urn:uuid:${this.uuid}`,
      xaddrs: [this.xaddr],
      scopes: deviceScopes(this.context()).map((s) => s.uri),
      metadataVersion: 1,
      available: this.started && this.listening && !this.opts.faults.get().refuse && !this.opts.faults.get().networkCut,
    };
  }

  private url(path: string): string {
    const host = this.advertisedHost.includes(':') ? `[${this.advertisedHost}]` : this.advertisedHost;
    return `http://${host}:${this.boundPort}${path}`;
  }

  private context(): OnvifContext {
    return {
      spec: this.opts.spec,
      faults: this.opts.faults,
      uuid: `urn:uuid:${this.uuid}`,
      deviceXaddr: this.xaddr,
      mediaXaddr: this.mediaXaddr,
      snapshotUri: this.snapshotUri,
      location: this.opts.location ?? 'vigil-sim',
      streamUri: this.opts.streamUri,
      ...(this.opts.edge ? { edge: this.edgeContext(this.opts.edge) } : {}),
    };
  }

  private edgeContext(edge: NonNullable<OnvifDeviceOptions['edge']>): OnvifEdge {
    return {
      recordingToken: RECORDING_TOKEN,
      retentionMs: edge.recorder.retentionMs,
      held: () => edge.recorder.held(),
      recording: () => edge.recorder.recording,
      replayUri: () => edge.replayUri(RECORDING_TOKEN),
      recordingXaddr: this.url(RECORDING_PATH),
      searchXaddr: this.url(SEARCH_PATH),
      replayXaddr: this.url(REPLAY_PATH),
      searches: this.edgeSearches,
    };
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch((err: unknown) => {
      this.emit('listen-failed', err);
    });
    return run;
  }

  private async open(): Promise<void> {
    if (this.server || !this.started) return;
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.emit('listening', this.boundPort);
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.emit('refusing');
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://camera').pathname;
    if (path === SNAPSHOT_PATH) return this.handleSnapshot(req, res);
    if (!SOAP_PATHS.has(path)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('Method Not Allowed');
      return;
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end('Payload Too Large');
      return;
    }
    let soap: SoapRequest;
    try {
      soap = parseSoapRequest(body);
    } catch (err) {
      this.sendFault(res, '(unparsed)', err instanceof SoapFault ? err : Faults.wellFormed());
      return;
    }
    const name = soap.action.local;
    const action = this.lookup(soap);
    if (!action) return this.sendFault(res, name, Faults.actionNotSupported());
    if (action.access !== 'pre-auth') {
      const auth = this.auth.soap(req, soap.usernameToken);
      if (!auth.ok) {
        this.reportAuthFailure(name, auth);
        const challenge: Record<string, string> = auth.challenge ? { 'www-authenticate': auth.challenge } : {};
        return this.sendFault(res, name, Faults.notAuthorized(), auth.challenge ? 401 : undefined, challenge);
      }
    }
    let responseBody: string;
    try {
      responseBody = action.handle(this.context(), soap.params);
    } catch (err) {
      return this.sendFault(res, name, err instanceof SoapFault ? err : Faults.internal());
    }
    this.send(res, name, 200, soapEnvelope(responseBody));
  }

  private lookup(soap: SoapRequest): OnvifAction | undefined {
    const service = this.services.find((s) => s.namespace === soap.action.ns);
    return service && Object.hasOwn(service.actions, soap.action.local) ? service.actions[soap.action.local] : undefined;
  }

  /** Emits 'authFailure', except for the challenge a Digest client expects on its first try. */
  private reportAuthFailure(action: string, auth: Extract<AuthOutcome, { ok: false }>): void {
    if (auth.reason !== 'no-credentials') this.emit('authFailure', { action, reason: auth.reason } satisfies AuthFailureEvent);
  }

  private async handleSnapshot(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed');
      return;
    }
    const auth = this.auth.httpRequest(req);
    if (!auth.ok) {
      this.reportAuthFailure(SNAPSHOT_PATH, auth);
      res.writeHead(401, { 'www-authenticate': auth.challenge ?? '', 'content-type': 'text/plain' }).end('Unauthorized');
      this.emit('request', { action: SNAPSHOT_PATH, status: 401 } satisfies OnvifRequestEvent);
      return;
    }
    let jpeg: Buffer;
    try {
      jpeg = await this.opts.snapshotJpeg();
    } catch {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('Snapshot unavailable');
      this.emit('request', { action: SNAPSHOT_PATH, status: 503 } satisfies OnvifRequestEvent);
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : jpeg);
    this.emit('request', { action: SNAPSHOT_PATH, status: 200 } satisfies OnvifRequestEvent);
  }

  private sendFault(
    res: http.ServerResponse,
    action: string,
    fault: SoapFault,
    status = fault.httpStatus,
    headers: Record<string, string> = {},
  ): void {
    this.send(res, action, status, faultEnvelope(fault), headers);
  }

  private send(res: http.ServerResponse, action: string, status: number, xml: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': SOAP_CONTENT_TYPE, 'content-length': Buffer.byteLength(xml), ...headers });
    res.end(xml);
    this.emit('request', { action, status } satisfies OnvifRequestEvent);
  }
}

/** Reads a request body as UTF-8, or undefined when it exceeds limit bytes. */
function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
