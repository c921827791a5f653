import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';

/**
 * A minimal RTSP client for tests: RTP over the RTSP connection (interleaved), OPTIONS,
 * DESCRIBE, SETUP, PLAY, TEARDOWN, Digest or Basic authentication on a 401. It keeps every
 * RTP packet's header fields and every RTCP sender report with its arrival time, so tests can
 * assert on what arrived when. Events: 'rtp' (RtpPacketInfo), 'sr' (SenderReportInfo), 'close'.
 */

export interface RtpPacketInfo {
  channel: number;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  /** The RTP payload (a view; small). */
  payload: Buffer;
  /** Bytes on the wire, interleaved header included. */
  wireBytes: number;
  arrivalMs: number;
  /** The RTP header extension, when the X bit is set. */
  extension?: { profile: number; data: Buffer };
  /** The ONVIF replay extension (profile 0xABAC), decoded. */
  onvif?: OnvifReplayExtension;
}

export interface OnvifReplayExtension {
  ntpSeconds: number;
  ntpFraction: number;
  /** The NTP time as epoch ms (fractional). */
  ntpMs: number;
  /** Flags byte: C 0x80, E 0x40, D 0x20, T 0x10. */
  flags: number;
  /** Low 8 bits of the PLAY CSeq. */
  cseq: number;
}

export interface SenderReportInfo {
  channel: number;
  ssrc: number;
  /** NTP time of the report as epoch ms. */
  ntpMs: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  arrivalMs: number;
}

export interface RtspResponse {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: string;
  header(name: string): string | undefined;
}

export interface SdpTrack {
  media: string;
  payloadType: number;
  /** e.g. 'H264/90000'. */
  rtpmap: string;
  control: string;
}

const NTP_UNIX_OFFSET = 2_208_988_800;

function md5(s: string): string {
  return createHash('md5').update(s).digest('hex');
}

function makeResponse(status: number, reason: string, headers: Array<[string, string]>, body: string): RtspResponse {
  return {
    status,
    reason,
    headers,
    body,
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
  };
}

export function parseSdpTracks(sdp: string): SdpTrack[] {
  const tracks: SdpTrack[] = [];
  let current: SdpTrack | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      const [media, , , pt] = line.slice(2).split(' ');
      current = { media: media!, payloadType: Number(pt), rtpmap: '', control: '' };
      tracks.push(current);
    } else if (current && line.startsWith('a=rtpmap:')) {
      current.rtpmap = line.slice(line.indexOf(' ') + 1);
    } else if (current && line.startsWith('a=control:')) {
      current.control = line.slice('a=control:'.length);
    }
  }
  return tracks;
}

export class TestRtspClient extends EventEmitter {
  readonly rtp: RtpPacketInfo[] = [];
  readonly senderReports: SenderReportInfo[] = [];
  /** SSRCs of RTCP BYE packets received, with their channel. */
  readonly byes: Array<{ channel: number; ssrc: number; arrivalMs: number }> = [];
  interleavedBytes = 0;
  closed = false;
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private session: string | undefined;
  private authHeader: ((method: string, uri: string) => string) | undefined;
  private pending: Array<(r: RtspResponse) => void> = [];
  /** The URL without credentials. */
  readonly url: string;
  private readonly username: string;
  private readonly password: string;

  private constructor(
    private readonly socket: Socket,
    url: URL,
  ) {
    super();
    this.username = decodeURIComponent(url.username);
    this.password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.url = url.toString();
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.emit('close');
    });
    socket.on('error', () => undefined);
  }

  /** Connects; rejects with the socket error (e.g. code ECONNREFUSED). */
  static connect(url: string, timeoutMs = 5000): Promise<TestRtspClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 554) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${u.host} timed out`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new TestRtspClient(socket, u));
      });
    });
  }

  /** Sends a request; on 401 answers the challenge once (Digest preferred, else Basic). */
  async request(method: string, uri = this.url, headers: Array<[string, string]> = []): Promise<RtspResponse> {
    let res = await this.send(method, uri, headers);
    if (res.status === 401 && this.username) {
      const challenges = res.headers.filter(([n]) => n.toLowerCase() === 'www-authenticate').map(([, v]) => v);
      const digest = challenges.find((c) => /^digest /i.test(c));
      if (digest) {
        const realm = /realm="([^"]*)"/i.exec(digest)?.[1] ?? '';
        const nonce = /nonce="([^"]*)"/i.exec(digest)?.[1] ?? '';
        const ha1 = md5(`${this.username}:${realm}:${this.password}`);
        this.authHeader = (m, u) =>
          `Digest username="${this.username}", realm="${realm}", nonce="${nonce}", uri="${u}", ` +
          `response="${md5(`${ha1}:${nonce}:${md5(`${m}:${u}`)}`)}"`;
      } else if (challenges.some((c) => /^basic/i.test(c))) {
        const token = Buffer.from(`${this.username}:${this.password}`).toString('base64');
        this.authHeader = () => `Basic ${token}`;
      }
      if (this.authHeader) res = await this.send(method, uri, headers);
    }
    return res;
  }

  /**
   * DESCRIBE, SETUP of every track (channels 0-1, 2-3, ...), PLAY. Throws on any non-200.
   * playHeaders replace the PLAY request's default `Range: npt=0.000-` (e.g. ONVIF replay's
   * Require, Range: clock=…, Rate-Control).
   */
  async play(opts: { playHeaders?: Array<[string, string]> } = {}): Promise<{ sdp: string; tracks: SdpTrack[]; playResponse: RtspResponse }> {
    const { sdp, tracks } = await this.setupAll();
    const playResponse = await this.expectOk('PLAY', this.url, opts.playHeaders ?? [['Range', 'npt=0.000-']]);
    return { sdp, tracks, playResponse };
  }

  /** DESCRIBE and SETUP of every track, without PLAY. Throws on any non-200. */
  async setupAll(): Promise<{ sdp: string; tracks: SdpTrack[] }> {
    const describe = await this.expectOk('DESCRIBE', this.url, [['Accept', 'application/sdp']]);
    const base = describe.header('Content-Base') ?? `${this.url}/`;
    const tracks = parseSdpTracks(describe.body);
    for (const [i, track] of tracks.entries()) {
      const uri = /^rtsp:/i.test(track.control) ? track.control : base + track.control;
      await this.expectOk('SETUP', uri, [['Transport', `RTP/AVP/TCP;unicast;interleaved=${2 * i}-${2 * i + 1}`]]);
    }
    return { sdp: describe.body, tracks };
  }

  /** The CSeq of the last request sent. */
  get lastCseq(): number {
    return this.cseq;
  }

  async teardown(): Promise<void> {
    await this.expectOk('TEARDOWN', this.url);
  }

  close(): void {
    this.socket.destroy();
  }

  /** Stops reading from the socket (a stuck or slow client); the server's send buffer fills. */
  pauseReading(): void {
    this.socket.pause();
  }

  /**
   * Resolves with check()'s first defined result, re-checking after every packet, report and
   * on close; rejects after timeoutMs with `what` in the message.
   */
  until<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const events = ['rtp', 'sr', 'bye', 'close'] as const;
      const cleanup = () => {
        clearTimeout(timer);
        for (const e of events) this.off(e, test);
      };
      const test = () => {
        const v = check();
        if (v !== undefined && v !== false) {
          cleanup();
          resolve(v);
        } else if (this.closed) {
          cleanup();
          reject(new Error(`connection closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      for (const e of events) this.on(e, test);
      test();
    });
  }

  private async expectOk(method: string, uri: string, headers: Array<[string, string]> = []): Promise<RtspResponse> {
    const res = await this.request(method, uri, headers);
    if (res.status !== 200) throw new Error(`${method} ${uri} answered ${res.status} ${res.reason}`);
    return res;
  }

  private send(method: string, uri: string, headers: Array<[string, string]>): Promise<RtspResponse> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${++this.cseq}`, 'User-Agent: vigil-test-client'];
    if (this.session) lines.push(`Session: ${this.session}`);
    if (this.authHeader) lines.push(`Authorization: ${this.authHeader(method, uri)}`);
    for (const [n, v] of headers) lines.push(`${n}: ${v}`);
    return new Promise((resolve, reject) => {
      const onClose = () => reject(new Error(`connection closed awaiting ${method} response`));
      this.once('close', onClose);
      this.pending.push((res) => {
        this.off('close', onClose);
        const session = res.header('Session');
        if (session) this.session = session.split(';')[0]!.trim();
        resolve(res);
      });
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const buf = this.buffer;
      if (buf.length === 0) return;
      if (buf[0] === 0x24) {
        if (buf.length < 4) return;
        const len = buf.readUInt16BE(2);
        if (buf.length < 4 + len) return;
        this.onInterleaved(buf[1]!, buf.subarray(4, 4 + len), Date.now());
        this.buffer = buf.subarray(4 + len);
        continue;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('utf8').split('\r\n');
      const headers = lines.slice(1).map((l): [string, string] => {
        const c = l.indexOf(':');
        return [l.slice(0, c).trim(), l.slice(c + 1).trim()];
      });
      const length = Number(headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      const body = buf.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = buf.subarray(end + 4 + length);
      const m = /^RTSP\/1\.0 (\d{3}) ?(.*)$/.exec(lines[0]!);
      if (!m) throw new Error(`not an RTSP response: ${lines[0]}`);
      this.pending.shift()?.(makeResponse(Number(m[1]), m[2]!, headers, body));
    }
  }

  private onInterleaved(channel: number, data: Buffer, arrivalMs: number): void {
    this.interleavedBytes += 4 + data.length;
    if (channel % 2 === 0) {
      if (data.length < 12) return;
      let payloadAt = 12 + 4 * (data[0]! & 0x0f);
      let extension: RtpPacketInfo['extension'];
      let onvif: OnvifReplayExtension | undefined;
      if ((data[0]! & 0x10) !== 0 && data.length >= payloadAt + 4) {
        const profile = data.readUInt16BE(payloadAt);
        const words = data.readUInt16BE(payloadAt + 2);
        const ext = data.subarray(payloadAt + 4, payloadAt + 4 + 4 * words);
        extension = { profile, data: ext };
        if (profile === 0xabac && words === 3 && ext.length === 12) {
          const ntpSeconds = ext.readUInt32BE(0);
          const ntpFraction = ext.readUInt32BE(4);
          onvif = {
            ntpSeconds,
            ntpFraction,
            ntpMs: (ntpSeconds - NTP_UNIX_OFFSET) * 1000 + (ntpFraction / 2 ** 32) * 1000,
            flags: ext[8]!,
            cseq: ext[9]!,
          };
        }
        payloadAt += 4 + 4 * words;
      }
      const info: RtpPacketInfo = {
        channel,
        payloadType: data[1]! & 0x7f,
        marker: (data[1]! & 0x80) !== 0,
        seq: data.readUInt16BE(2),
        timestamp: data.readUInt32BE(4),
        ssrc: data.readUInt32BE(8),
        payload: data.subarray(payloadAt),
        wireBytes: 4 + data.length,
        arrivalMs,
        ...(extension ? { extension } : {}),
        ...(onvif ? { onvif } : {}),
      };
      this.rtp.push(info);
      this.emit('rtp', info);
      return;
    }
    // RTCP compound packet: pick out the sender reports.
    for (let off = 0; off + 4 <= data.length; ) {
      const pt = data[off + 1]!;
      const len = (data.readUInt16BE(off + 2) + 1) * 4;
      if (pt === 200 && off + 28 <= data.length) {
        const sr: SenderReportInfo = {
          channel,
          ssrc: data.readUInt32BE(off + 4),
          ntpMs: (data.readUInt32BE(off + 8) - NTP_UNIX_OFFSET) * 1000 + (data.readUInt32BE(off + 12) / 2 ** 32) * 1000,
          rtpTimestamp: data.readUInt32BE(off + 16),
          packetCount: data.readUInt32BE(off + 20),
          octetCount: data.readUInt32BE(off + 24),
          arrivalMs,
        };
        this.senderReports.push(sr);
        this.emit('sr', sr);
      } else if (pt === 203 && off + 8 <= data.length) {
        const bye = { channel, ssrc: data.readUInt32BE(off + 4), arrivalMs };
        this.byes.push(bye);
        this.emit('bye', bye);
      }
      off += len;
    }
  }
}
