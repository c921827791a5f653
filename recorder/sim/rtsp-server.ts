import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Clock } from '../../src/clock.ts';
import type { CameraMedia } from './camera-media.ts';
import type { SimCameraSpec, StreamName } from './camera-spec.ts';
import type { CameraFaults } from './faults.ts';
import type { MediaStats } from './media-sender.ts';
import { RtspAuthenticator } from './rtsp-auth.ts';
import { RtspSession, type ReplaySource } from './rtsp-session.ts';
import type { EdgeRecorder } from './edge-recorder.ts';
import { StreamTimeline } from './stream-timeline.ts';

export { prepareCameraMedia, type CameraMedia } from './camera-media.ts';

/**
 * The RTSP server of one simulated camera: its own TCP port, paths /main and /sub (and
 * /replay/<recording token> with edge storage: rtsp-replay.ts), RTP over the RTSP connection
 * (interleaved), one shared real-time timeline per stream, and the camera's faults: refuse (the
 * listener closes; clearing reopens it on the same port), networkCut (the same, and every
 * connection is cut when it begins), drop (every connection is cut), stall, throttle and slow readers (see media-sender.ts), wrong credentials
 * (401) and the alternate main resolution (switched at the next keyframe).
 *
 * Events: 'listening' (port), 'refusing', 'session-opened', 'play' (StreamName),
 * 'session-closed', 'listen-failed' (Error).
 */

/** What the simulator logs through: pino's Logger fits. Nothing logged carries credentials. */
export interface SimLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface RtspCameraServerOptions {
  spec: SimCameraSpec;
  faults: CameraFaults;
  clock: Clock;
  media: CameraMedia;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, kept for the server's lifetime (reopened on the same port). */
  port?: number;
  /** Unsent bytes a session's socket may hold before frames are dropped (default 2 MiB). */
  maxBufferedBytes?: number;
  logger?: SimLogger;
  /** Origin of the stream timelines, clock ms (default now); the edge recording starts here too. */
  originMs?: number;
  /** The camera's edge storage: replayed at /replay/<recordingToken>. */
  edge?: { recorder: EdgeRecorder; recordingToken: string };
}

export interface RtspServerStats {
  bytesSent: number;
  framesSent: number;
  framesDropped: number;
}

const LISTEN_RETRIES = 20;
const LISTEN_RETRY_MS = 250;

export class RtspCameraServer extends EventEmitter {
  private readonly spec: SimCameraSpec;
  private readonly faults: CameraFaults;
  private readonly host: string;
  private boundPort: number;
  private readonly timelines: Record<StreamName, StreamTimeline>;
  private readonly auth: RtspAuthenticator;
  private readonly sessions = new Set<RtspSession>();
  private readonly counters: MediaStats = { bytesSent: 0, framesSent: 0, framesDropped: 0 };
  private readonly maxBufferedBytes: number;
  private readonly logger: SimLogger | undefined;
  private readonly clock: Clock;
  private server: Server | undefined;
  private opening: Promise<void> | undefined;
  private started = false;
  private live = 0;
  private opened = 0;
  private cut = false;
  private readonly replay: ReplaySource | undefined;

  private readonly onChange = () => this.reconcile();
  private readonly onDrop = () => this.dropAll();

  constructor(opts: RtspCameraServerOptions) {
    super();
    this.spec = opts.spec;
    this.faults = opts.faults;
    this.clock = opts.clock;
    this.host = opts.host ?? '127.0.0.1';
    this.boundPort = opts.port ?? 0;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 2 * 1024 * 1024;
    this.logger = opts.logger;
    const audio = opts.media.audioTrack;
    const startMs = opts.originMs ?? opts.clock.nowMs();
    if (opts.edge) {
      const recorder = opts.edge.recorder;
      this.replay = {
        token: opts.edge.recordingToken,
        media: { video: opts.media.main, ...(audio ? { audio } : {}), originMs: startMs },
        held: () => recorder.held(),
      };
    }
    this.timelines = {
      main: new StreamTimeline({
        clock: opts.clock,
        startMs,
        video: opts.media.main,
        alternate: opts.media.alt,
        useAlternate: () => this.faults.get().altResolution,
        ...(audio ? { audio } : {}),
      }),
      sub: new StreamTimeline({ clock: opts.clock, startMs, video: opts.media.sub, ...(audio ? { audio } : {}) }),
    };
    this.auth = new RtspAuthenticator({
      realm: `Vigil SimCam ${opts.spec.id}`,
      username: opts.spec.username,
      password: opts.spec.password,
      clock: opts.clock,
      rejectAll: () => this.faults.get().wrongCredentials,
    });
  }

  /** The TCP port; fixed once start() has bound it. */
  get port(): number {
    return this.boundPort;
  }

  /** Whether new connections are being accepted now. */
  get listening(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.faults.on('change', this.onChange);
    this.faults.on('drop', this.onDrop);
    // Bind even when refusing, so an ephemeral port is known (and kept) from the start.
    const opening = this.open();
    this.opening = opening;
    try {
      await opening;
    } catch (err) {
      this.started = false;
      this.faults.off('change', this.onChange);
      this.faults.off('drop', this.onDrop);
      throw err;
    } finally {
      this.opening = undefined;
    }
    this.reconcile();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.faults.off('change', this.onChange);
    this.faults.off('drop', this.onDrop);
    await this.opening?.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const session of [...this.sessions]) session.destroy();
    this.timelines.main.stop();
    this.timelines.sub.stop();
    await closed;
  }

  /** The replay URI of the edge recording (rtsp://host:port/replay/<token>). */
  replayUrl(recordingToken: string): string {
    return this.url('main').replace(/\/main$/, `/replay/${encodeURIComponent(recordingToken)}`);
  }

  url(stream: StreamName, opts: { withCredentials?: boolean } = {}): string {
    const host = this.host === '0.0.0.0' ? '127.0.0.1' : this.host === '::' ? '::1' : this.host;
    const hostPart = host.includes(':') ? `[${host}]` : host;
    const creds = opts.withCredentials
      ? `${encodeURIComponent(this.spec.username)}:${encodeURIComponent(this.spec.password)}@`
      : '';
    return `rtsp://${creds}${hostPart}:${this.boundPort}/${stream}`;
  }

  /** Sessions set up (SETUP) and not yet torn down or disconnected. */
  activeSessions(): number {
    return this.live;
  }

  totalSessionsOpened(): number {
    return this.opened;
  }

  stats(): RtspServerStats {
    return { ...this.counters };
  }

  /**
   * Opens or closes the listener to match the refuse and networkCut faults. Closing is
   * immediate. A network cut also drops every connection, once, when it begins.
   */
  private reconcile(): void {
    const { refuse, networkCut } = this.faults.get();
    if (networkCut && !this.cut && this.started) this.dropAll();
    this.cut = networkCut;
    const want = this.started && !refuse && !networkCut;
    if (!want && this.server) {
      const server = this.server;
      this.server = undefined;
      server.close(); // stops accepting now; live sessions carry on
      this.logger?.info({ camera: this.spec.id, port: this.boundPort }, 'rtsp listener closed (refusing)');
      this.emit('refusing');
    } else if (want && !this.server && !this.opening) {
      this.opening = this.open()
        .catch((err: unknown) => {
          this.logger?.warn({ camera: this.spec.id, port: this.boundPort, err: String(err) }, 'rtsp listener failed to reopen');
          this.emit('listen-failed', err);
        })
        .finally(() => {
          this.opening = undefined;
          // The fault may have changed while binding. After a failure, the next change retries.
          if (this.server) this.reconcile();
        });
    }
  }

  private async open(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const server = createServer((socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: this.host, port: this.boundPort }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || attempt >= LISTEN_RETRIES || this.boundPort === 0) throw err;
        await new Promise((r) => setTimeout(r, LISTEN_RETRY_MS));
        continue;
      }
      const address = server.address();
      if (address && typeof address === 'object') this.boundPort = address.port;
      server.on('error', (err) => this.logger?.warn({ camera: this.spec.id, err: String(err) }, 'rtsp listener error'));
      this.server = server;
      this.logger?.info({ camera: this.spec.id, port: this.boundPort }, 'rtsp listening');
      this.emit('listening', this.boundPort);
      return;
    }
  }

  private accept(socket: Socket): void {
    if (!this.started) {
      socket.destroy();
      return;
    }
    const session = new RtspSession(socket, {
      spec: this.spec,
      clock: this.clock,
      faults: this.faults,
      auth: this.auth,
      timelines: this.timelines,
      stats: this.counters,
      maxBufferedBytes: this.maxBufferedBytes,
      onSessionOpened: () => {
        this.live++;
        this.opened++;
        this.emit('session-opened');
      },
      onPlay: (stream) => this.emit('play', stream),
      onSessionClosed: () => {
        this.live--;
        this.emit('session-closed');
      },
      ...(this.replay ? { replay: this.replay } : {}),
    });
    this.sessions.add(session);
    socket.once('close', () => this.sessions.delete(session));
  }

  private dropAll(): void {
    const n = this.sessions.size;
    for (const session of [...this.sessions]) session.destroy();
    if (n > 0) this.logger?.info({ camera: this.spec.id, connections: n }, 'rtsp connections dropped');
  }
}
