import { connect, type Socket } from 'node:net';
import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import { stripUrlCredentials } from '../../src/redact.ts';
import { RtspAuthenticator } from './rtsp-auth-client.ts';
import { parseSdp, type SessionDescription } from './sdp-parse.ts';

/**
 * A small RTSP/1.0 client (RFC 2326) for pulling a stream over one TCP connection with RTP/RTCP
 * interleaved ($-framed): OPTIONS, DESCRIBE, SETUP, PLAY (with any extra headers, e.g. ONVIF
 * replay's Require / Range: clock= / Rate-Control), TEARDOWN. Every request has a deadline.
 * Digest/Basic on 401. Reading can be bounded in bytes per second: the socket is paused while
 * the token bucket is empty, so the kernel's receive window fills and TCP slows the camera.
 * The session ends on RTCP BYE, on socket close or on abort. Errors name host:port and the
 * RTSP status, never credentials.
 */
export interface RtspClientOptions {
  /** rtsp://host:port/path, without credentials (any in it are ignored). */
  url: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
  clock: Clock;
  maxBytesPerSec?: number | null;
  signal?: AbortSignal;
}

export interface RtspResponse {
  status: number;
  reason: string;
  headers: Map<string, string[]>;
  body: Buffer;
}

export type RtspEnd = { reason: 'bye' | 'closed' | 'aborted' } | { reason: 'error'; error: Error };

export function header(r: RtspResponse, name: string): string | undefined {
  return r.headers.get(name.toLowerCase())?.[0];
}

interface Pending {
  cseq: number;
  method: string;
  resolve: (r: RtspResponse) => void;
  reject: (e: Error) => void;
  cancelTimer: () => void;
}

export class RtspClient {
  /** Bytes read from the socket so far (RTSP + interleaved RTP/RTCP). */
  bytesRead = 0;
  /** Called for every interleaved frame: channel and the RTP or RTCP packet. */
  onPacket: (channel: number, packet: Buffer) => void = () => undefined;
  readonly ended: Promise<RtspEnd>;
  /** Low 8 bits of the CSeq of the last PLAY (ONVIF replay packets carry it). */
  lastPlayCseq = 0;

  private readonly url: URL;
  private readonly where: string;
  private readonly auth: RtspAuthenticator;
  private socket: Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private pending: Pending | null = null;
  private session: string | null = null;
  private sessionTimeoutS = 60;
  private endResolve!: (e: RtspEnd) => void;
  private finished = false;
  private tokens = 0;
  private lastRefillMs = 0;
  private cancelResume: (() => void) | null = null;
  private cancelKeepAlive: (() => void) | null = null;
  private readonly onAbort = () => this.finish({ reason: 'aborted' });

  constructor(private readonly opts: RtspClientOptions) {
    this.url = new URL(stripUrlCredentials(opts.url));
    this.url.username = '';
    this.url.password = '';
    this.where = `${this.url.hostname}:${this.url.port || 554}`;
    this.auth = new RtspAuthenticator(opts.username, opts.password);
    this.ended = new Promise((resolve) => (this.endResolve = resolve));
    this.tokens = opts.maxBytesPerSec ?? 0;
    this.lastRefillMs = opts.clock.nowMs();
  }

  get address(): string {
    return this.where;
  }

  /** Opens the TCP connection (bounded by the request timeout). */
  async connect(): Promise<void> {
    if (this.opts.signal?.aborted) throw this.abortedError();
    const socket = connect({ host: this.url.hostname, port: Number(this.url.port || 554) });
    this.socket = socket;
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const cancel = this.opts.clock.setTimer(this.opts.requestTimeoutMs, () => {
        socket.destroy();
        reject(new VigilError('camera_unreachable', `Camera at ${this.where} did not accept an RTSP connection within ${this.opts.requestTimeoutMs} ms.`));
      });
      socket.once('connect', () => {
        cancel();
        resolve();
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        cancel();
        reject(new VigilError('camera_unreachable', `Camera at ${this.where} does not answer RTSP (${e.code ?? e.message}). Check the address, port and network.`));
      });
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.finish({ reason: 'error', error: e }));
    socket.on('close', () => this.finish({ reason: 'closed' }));
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  options(): Promise<RtspResponse> {
    return this.request('OPTIONS', this.url.toString());
  }

  async describe(extra: Record<string, string> = {}): Promise<{ response: RtspResponse; sdp: SessionDescription }> {
    const response = await this.request('DESCRIBE', this.url.toString(), { Accept: 'application/sdp', ...extra });
    const base = header(response, 'content-base') ?? header(response, 'content-location') ?? this.url.toString();
    return { response, sdp: parseSdp(response.body.toString('utf8'), base) };
  }

  /** SETUP of one track over TCP, RTP on `channel`, RTCP on channel + 1. */
  async setup(controlUrl: string, channel: number, extra: Record<string, string> = {}): Promise<RtspResponse> {
    const r = await this.request('SETUP', controlUrl, { Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`, ...extra });
    const s = header(r, 'session');
    if (s) {
      const [id, ...params] = s.split(';');
      this.session = id!.trim();
      const t = params.map((p) => /timeout\s*=\s*(\d+)/i.exec(p)).find((m) => m);
      if (t) this.sessionTimeoutS = Math.max(5, Number(t[1]));
    }
    return r;
  }

  async play(controlUrl: string, extra: Record<string, string> = {}): Promise<RtspResponse> {
    const r = await this.request('PLAY', controlUrl, extra);
    this.lastPlayCseq = this.cseq & 0xff;
    this.scheduleKeepAlive();
    return r;
  }

  /** TEARDOWN (bounded; its failure does not matter) and close. */
  async close(controlUrl?: string): Promise<void> {
    if (!this.finished && this.session) {
      await this.request('TEARDOWN', controlUrl ?? this.url.toString()).catch(() => undefined);
    }
    this.finish({ reason: 'closed' });
  }

  private scheduleKeepAlive(): void {
    this.cancelKeepAlive?.();
    const everyMs = Math.max(2_000, (this.sessionTimeoutS * 1000) / 2);
    this.cancelKeepAlive = this.opts.clock.setTimer(everyMs, () => {
      if (this.finished) return;
      if (!this.pending) void this.request('OPTIONS', this.url.toString()).catch(() => undefined);
      this.scheduleKeepAlive();
    });
  }

  async request(method: string, uri: string, extra: Record<string, string> = {}, retried = false): Promise<RtspResponse> {
    const r = await this.send(method, uri, extra);
    if (r.status === 401 && !retried) {
      if (this.auth.accept(r.headers.get('www-authenticate') ?? [])) return this.request(method, uri, extra, true);
    }
    if (r.status === 401) {
      throw new VigilError('camera_auth_failed', `Camera at ${this.where} rejected the user name or password for RTSP ${method} (401 Unauthorized). Check the camera's credentials.`);
    }
    if (r.status < 200 || r.status >= 300) {
      throw new VigilError('camera_replay_failed', `Camera at ${this.where} answered RTSP ${method} with ${r.status} ${r.reason}.`, { status: r.status });
    }
    return r;
  }

  private send(method: string, uri: string, extra: Record<string, string>): Promise<RtspResponse> {
    if (this.finished || !this.socket) return Promise.reject(new VigilError('camera_unreachable', `The RTSP connection to ${this.where} is closed; ${method} was not sent.`));
    if (this.pending) return Promise.reject(new VigilError('internal', `RTSP ${method} sent while ${this.pending.method} is unanswered`));
    const cseq = ++this.cseq;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${cseq}`, 'User-Agent: Vigil'];
    const authz = this.auth.authorization(method, uri);
    if (authz) lines.push(`Authorization: ${authz}`);
    if (this.session) lines.push(`Session: ${this.session}`);
    for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
    return new Promise<RtspResponse>((resolve, reject) => {
      const cancelTimer = this.opts.clock.setTimer(this.opts.requestTimeoutMs, () => {
        this.pending = null;
        reject(new VigilError('camera_unreachable', `Camera at ${this.where} did not answer RTSP ${method} within ${this.opts.requestTimeoutMs} ms.`));
      });
      this.pending = { cseq, method, resolve, reject, cancelTimer };
      this.socket!.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  private onData(chunk: Buffer): void {
    this.bytesRead += chunk.length;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.parse();
    this.throttle(chunk.length);
  }

  /** Token bucket over bytes read: when it runs dry the socket pauses until it has refilled. */
  private throttle(n: number): void {
    const rate = this.opts.maxBytesPerSec;
    if (!rate || this.finished) return;
    const now = this.opts.clock.nowMs();
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefillMs) * rate) / 1000) - n;
    this.lastRefillMs = now;
    if (this.tokens >= 0 || this.cancelResume) return;
    this.socket?.pause();
    this.cancelResume = this.opts.clock.setTimer(Math.ceil((-this.tokens * 1000) / rate), () => {
      this.cancelResume = null;
      if (!this.finished) this.socket?.resume();
    });
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.buf[0] === 0x24) {
        if (this.buf.length < 4) return;
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        const channel = this.buf[1]!;
        const packet = this.buf.subarray(4, 4 + len);
        this.buf = this.buf.subarray(4 + len);
        if (channel % 2 === 1 && isRtcpBye(packet)) {
          this.onPacket(channel, packet);
          this.finish({ reason: 'bye' });
          return;
        }
        this.onPacket(channel, packet);
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 64 * 1024) this.finish({ reason: 'error', error: new VigilError('camera_replay_failed', `Camera at ${this.where} sent an RTSP message head over 64 KiB.`) });
        return;
      }
      const head = this.buf.toString('latin1', 0, end).split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of head.slice(1)) {
        const c = line.indexOf(':');
        if (c <= 0) continue;
        const k = line.slice(0, c).trim().toLowerCase();
        headers.set(k, [...(headers.get(k) ?? []), line.slice(c + 1).trim()]);
      }
      const bodyLen = Number(headers.get('content-length')?.[0] ?? 0);
      if (this.buf.length < end + 4 + bodyLen) return;
      const body = Buffer.from(this.buf.subarray(end + 4, end + 4 + bodyLen));
      this.buf = this.buf.subarray(end + 4 + bodyLen);
      const m = /^RTSP\/\d\.\d\s+(\d{3})\s*(.*)$/.exec(head[0]!);
      if (!m) continue; // a request from the server (ANNOUNCE, GET_PARAMETER): not needed here
      const p = this.pending;
      const cseq = Number(headers.get('cseq')?.[0] ?? -1);
      if (!p || cseq !== p.cseq) continue; // a late answer to a timed-out request
      this.pending = null;
      p.cancelTimer();
      p.resolve({ status: Number(m[1]), reason: m[2]!.trim(), headers, body });
    }
  }

  private abortedError(): VigilError {
    return new VigilError('camera_replay_failed', `The RTSP session with ${this.where} was stopped (aborted).`);
  }

  private finish(e: RtspEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.cancelResume?.();
    this.cancelKeepAlive?.();
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    const p = this.pending;
    this.pending = null;
    if (p) {
      p.cancelTimer();
      p.reject(e.reason === 'aborted' ? this.abortedError() : new VigilError('camera_unreachable', `Camera at ${this.where} closed the RTSP connection before answering ${p.method}.`));
    }
    this.socket?.destroy();
    this.endResolve(e);
  }
}

/** True when an RTCP compound packet (RFC 3550 §6.1) holds a BYE (PT 203). */
export function isRtcpBye(packet: Buffer): boolean {
  let off = 0;
  while (off + 4 <= packet.length) {
    if (packet[off + 1] === 203) return true;
    off += (packet.readUInt16BE(off + 2) + 1) * 4;
  }
  return false;
}
