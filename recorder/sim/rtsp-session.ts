import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Clock } from '../../src/clock.ts';
import type { SimCameraSpec, StreamName } from './camera-spec.ts';
import type { CameraFaults } from './faults.ts';
import { MediaSender, type MediaStats } from './media-sender.ts';
import type { RtspAuthenticator } from './rtsp-auth.ts';
import { formatResponse, type HeaderList, type RtspRequest, RtspRequestParser } from './rtsp-message.ts';
import { RtpTrack } from './rtp-packet.ts';
import { AUDIO_TRACK, buildSdp, trackControl, VIDEO_PAYLOAD_TYPE, VIDEO_TRACK } from './sdp.ts';
import type { StreamTimeline } from './stream-timeline.ts';
import type { Interval } from './edge-storage.ts';
import { replayRuns } from './edge-storage.ts';
import { formatClockTime, frameGridOf, parseReplayPlay, ReplaySender, type ReplayMedia } from './rtsp-replay.ts';

/**
 * One client connection to a simulated camera and the RTSP session it sets up on it (RTP over
 * the same TCP connection, interleaved). Handles OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE,
 * GET_PARAMETER/SET_PARAMETER (keepalive) and TEARDOWN; UDP transport is answered with 461.
 * /replay/<token> replays the edge recording (ONVIF replay; PLAY in rtsp-replay.ts).
 */

export interface RtspSessionContext {
  spec: SimCameraSpec;
  clock: Clock;
  faults: CameraFaults;
  auth: RtspAuthenticator;
  timelines: Record<StreamName, StreamTimeline>;
  stats: MediaStats;
  maxBufferedBytes: number;
  /** Called once when SETUP creates the session, and when PLAY starts media. */
  onSessionOpened(): void;
  onPlay(stream: StreamName): void;
  onSessionClosed(): void;
  /** The edge recording, when the camera has edge storage: replayed at /replay/<token>. */
  replay?: ReplaySource;
}

export interface ReplaySource {
  token: string;
  media: ReplayMedia;
  /** What the card holds now, true clock. */
  held(): Interval[];
}

const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, GET_PARAMETER, SET_PARAMETER, TEARDOWN';
const SESSION_TIMEOUT_S = 60;

interface Target {
  /** 'replay' = the edge recording named by the URI. */
  stream: StreamName | 'replay';
  /** The recording token of a replay URI. */
  recording?: string;
  track: number | undefined;
  /** The URL with the track part removed, as the client spelled scheme, host and port. */
  base: string;
}

/** Resolves /main, /sub, /main/trackID=1 (absolute or path-only URIs); undefined if unknown. */
function parseTarget(uri: string): Target | undefined {
  let url: URL;
  try {
    url = new URL(uri, 'rtsp://localhost/');
  } catch {
    return undefined;
  }
  const parts = url.pathname.split('/').filter((p) => p.length > 0);
  if (parts[0] === 'replay') {
    const recording = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
    if (recording === undefined || parts.length > 3) return undefined;
    let track: number | undefined;
    if (parts[2] !== undefined) {
      const m = /^trackID=(\d+)$/.exec(parts[2]);
      if (!m) return undefined;
      track = Number(m[1]);
    }
    return { stream: 'replay', recording, track, base: `rtsp://${url.host}/replay/${parts[1]}/` };
  }
  const stream = parts[0];
  if ((stream !== 'main' && stream !== 'sub') || parts.length > 2) return undefined;
  let track: number | undefined;
  if (parts[1] !== undefined) {
    const m = /^trackID=(\d+)$/.exec(parts[1]);
    if (!m) return undefined;
    track = Number(m[1]);
  }
  return { stream, track, base: `rtsp://${url.host}/${stream}/` };
}

export class RtspSession {
  private readonly parser: RtspRequestParser;
  private sessionId: string | undefined;
  private stream: StreamName | 'replay' | undefined;
  private videoTrack: RtpTrack | undefined;
  private audioTrack: RtpTrack | undefined;
  private sender: MediaSender | ReplaySender | undefined;
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly ctx: RtspSessionContext,
  ) {
    this.parser = new RtspRequestParser({
      request: (req) => this.handle(req),
      interleaved: () => {
        // RTCP receiver reports from the client: a camera has nothing to do with them.
      },
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.push(chunk);
      } catch {
        socket.destroy(); // not RTSP: hang up as a camera would
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.close());
  }

  /** Whether SETUP has created a session that is not yet torn down. */
  get hasSession(): boolean {
    return this.sessionId !== undefined;
  }

  destroy(): void {
    this.socket.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.endSession();
  }

  private endSession(): void {
    this.sender?.stop();
    this.sender = undefined;
    if (this.sessionId !== undefined) {
      this.sessionId = undefined;
      this.stream = undefined;
      this.videoTrack = undefined;
      this.audioTrack = undefined;
      this.ctx.onSessionClosed();
    }
  }

  private reply(cseq: string | undefined, status: number, headers: HeaderList = [], body = ''): void {
    if (this.socket.destroyed) return;
    const date: HeaderList = [['Date', new Date(this.ctx.faults.cameraNowMs()).toUTCString()]];
    this.socket.write(formatResponse(status, cseq, [...date, ...headers], body));
  }

  private handle(req: RtspRequest): void {
    const cseq = req.headers.get('cseq');
    if (req.method === 'OPTIONS') {
      this.reply(cseq, 200, [['Public', PUBLIC_METHODS]]);
      return;
    }
    if (!this.ctx.auth.check(req.method, req.headers.get('authorization'))) {
      this.reply(cseq, 401, this.ctx.auth.challenge());
      return;
    }
    const sessionHeader = req.headers.get('session')?.split(';')[0]?.trim();
    if (sessionHeader !== undefined && sessionHeader !== this.sessionId) {
      this.reply(cseq, 454);
      return;
    }
    switch (req.method) {
      case 'DESCRIBE':
        return this.describe(req, cseq);
      case 'SETUP':
        return this.setup(req, cseq);
      case 'PLAY':
        return this.play(req, cseq);
      case 'PAUSE':
        if (!this.sessionId) return this.reply(cseq, 454);
        this.sender?.stop();
        return this.reply(cseq, 200, this.sessionHeaders());
      case 'TEARDOWN': {
        const headers = this.sessionHeaders();
        this.endSession();
        return this.reply(cseq, 200, headers);
      }
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.reply(cseq, 200, this.sessionHeaders());
      default:
        return this.reply(cseq, 501);
    }
  }

  private sessionHeaders(): HeaderList {
    return this.sessionId ? [['Session', `${this.sessionId};timeout=${SESSION_TIMEOUT_S}`]] : [];
  }

  private describe(req: RtspRequest, cseq: string | undefined): void {
    const target = parseTarget(req.uri);
    if (!target || target.track !== undefined) return this.reply(cseq, 404);
    let video;
    let audio;
    if (target.stream === 'replay') {
      const source = this.replaySource(target);
      if (!source) return this.reply(cseq, 404);
      video = source.media.video;
      audio = source.media.audio;
    } else {
      const timeline = this.ctx.timelines[target.stream];
      video = timeline.currentVideo();
      audio = timeline.audioSource;
    }
    const sdp = buildSdp({
      sessionId: String(this.ctx.clock.nowMs()),
      address: this.socket.localAddress ?? '127.0.0.1',
      sessionName: `Vigil simulated camera ${this.ctx.spec.id} ${target.stream}`,
      video,
      ...(audio ? { audio } : {}),
    });
    this.reply(cseq, 200, [['Content-Base', target.base], ['Content-Type', 'application/sdp']], sdp);
  }

  private setup(req: RtspRequest, cseq: string | undefined): void {
    const target = parseTarget(req.uri);
    if (!target) return this.reply(cseq, 404);
    let audioSource;
    if (target.stream === 'replay') {
      const source = this.replaySource(target);
      if (!source) return this.reply(cseq, 404);
      audioSource = source.media.audio;
    } else {
      audioSource = this.ctx.timelines[target.stream].audioSource;
    }
    const hasAudio = audioSource !== undefined;
    // An aggregate URL names the only track of a video-only stream.
    const track = target.track ?? (hasAudio ? undefined : VIDEO_TRACK);
    if (track === undefined) return this.reply(cseq, 459);
    if (track !== VIDEO_TRACK && !(track === AUDIO_TRACK && hasAudio)) return this.reply(cseq, 404);
    if (this.sender?.playing) return this.reply(cseq, 455);
    if (this.stream !== undefined && this.stream !== target.stream) return this.reply(cseq, 459);

    const transport = req.headers.get('transport') ?? '';
    const tcp = transport.split(',').map((t) => t.trim()).find((t) => /^RTP\/AVP\/TCP\b/i.test(t));
    if (!tcp) return this.reply(cseq, 461);
    const m = /interleaved=(\d+)(?:-(\d+))?/i.exec(tcp);
    const channel = m ? Number(m[1]) : track * 2;
    if (channel > 254) return this.reply(cseq, 400);

    if (!this.sessionId) {
      this.sessionId = randomBytes(8).toString('hex').toUpperCase();
      this.ctx.onSessionOpened();
    }
    this.stream = target.stream;
    let rtpTrack: RtpTrack;
    if (track === VIDEO_TRACK) {
      rtpTrack = this.videoTrack = new RtpTrack(VIDEO_PAYLOAD_TYPE, 90_000, channel);
    } else {
      const audio = audioSource!;
      rtpTrack = this.audioTrack = new RtpTrack(audio.payloadType, audio.loop.sampleRate, channel);
    }
    const ssrc = rtpTrack.ssrc.toString(16).toUpperCase().padStart(8, '0');
    this.reply(cseq, 200, [
      ['Transport', `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1};ssrc=${ssrc};mode="PLAY"`],
      ...this.sessionHeaders(),
    ]);
  }

  private play(req: RtspRequest, cseq: string | undefined): void {
    const target = parseTarget(req.uri);
    if (!target) return this.reply(cseq, 404);
    if (!this.sessionId || !this.stream || (!this.videoTrack && !this.audioTrack)) return this.reply(cseq, 455);
    if (target.stream !== this.stream) return this.reply(cseq, 459);
    if (this.stream === 'replay') return this.playReplay(req, cseq, target);
    if (this.sender?.playing) return this.reply(cseq, 200, this.sessionHeaders());
    const stream = this.stream;
    this.sender ??= new MediaSender({
      socket: this.socket,
      clock: this.ctx.clock,
      faults: this.ctx.faults,
      timeline: this.ctx.timelines[stream],
      ...(this.videoTrack ? { videoTrack: this.videoTrack } : {}),
      ...(this.audioTrack ? { audioTrack: this.audioTrack } : {}),
      cname: `${this.ctx.spec.id}@vigil-sim`,
      maxBufferedBytes: this.ctx.maxBufferedBytes,
      stats: this.ctx.stats,
    });
    this.sender.start((info) => {
      const rtpInfo: string[] = [];
      if (info.video) rtpInfo.push(`url=${target.base}${trackControl(VIDEO_TRACK)};seq=${info.video.seq};rtptime=${info.video.rtptime}`);
      if (info.audio) rtpInfo.push(`url=${target.base}${trackControl(AUDIO_TRACK)};seq=${info.audio.seq};rtptime=${info.audio.rtptime}`);
      this.reply(cseq, 200, [['Range', 'npt=0.000-'], ['RTP-Info', rtpInfo.join(',')], ...this.sessionHeaders()]);
    });
    this.ctx.onPlay(stream);
  }

  /** The recording a replay target names, or undefined (404). */
  private replaySource(target: Target): ReplaySource | undefined {
    const source = this.ctx.replay;
    return source && target.recording === source.token ? source : undefined;
  }

  private playReplay(req: RtspRequest, cseq: string | undefined, target: Target): void {
    const source = this.replaySource(target);
    if (!source) return this.reply(cseq, 404);
    const parsed = parseReplayPlay((name) => req.headers.get(name));
    if (!parsed.ok) return this.reply(cseq, parsed.status, [...parsed.headers, ...this.sessionHeaders()]);
    if (this.sender?.playing) this.sender.stop();
    const { startMs, endMs, rateControl } = parsed.request;
    const skewMs = this.ctx.faults.get().clockSkewMs;
    const held = source.held();
    const fromMs = startMs === undefined ? (held[0]?.startMs ?? 0) : startMs - skewMs;
    const runs = replayRuns(held, frameGridOf(source.media), fromMs, endMs === undefined ? undefined : endMs - skewMs);
    const sender = new ReplaySender({
      socket: this.socket,
      clock: this.ctx.clock,
      faults: this.ctx.faults,
      media: source.media,
      runs,
      ...(this.videoTrack ? { videoTrack: this.videoTrack } : {}),
      ...(this.audioTrack ? { audioTrack: this.audioTrack } : {}),
      cseq: Number(cseq ?? 0),
      rateControl,
      skewMs,
      cname: `${this.ctx.spec.id}@vigil-sim`,
      stats: this.ctx.stats,
    });
    this.sender = sender;
    const info = sender.peek();
    const rtpInfo: string[] = [];
    if (info.video) rtpInfo.push(`url=${target.base}${trackControl(VIDEO_TRACK)};seq=${info.video.seq};rtptime=${info.video.rtptime}`);
    if (info.audio) rtpInfo.push(`url=${target.base}${trackControl(AUDIO_TRACK)};seq=${info.audio.seq};rtptime=${info.audio.rtptime}`);
    const range = `clock=${info.startMs === undefined ? formatClockTime(fromMs + skewMs) : formatClockTime(info.startMs)}-${endMs === undefined ? '' : formatClockTime(endMs)}`;
    this.reply(cseq, 200, [
      ['Range', range],
      ...(rtpInfo.length ? ([['RTP-Info', rtpInfo.join(',')]] as HeaderList) : []),
      ['Rate-Control', rateControl ? 'yes' : 'no'],
      ...this.sessionHeaders(),
    ]);
    sender.start();
    this.ctx.onPlay('main');
  }
}
