import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import { VigilError } from '../../src/errors.ts';
import type { ExtraOutput } from '../ffmpeg-args.ts';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './delivery-policy.ts';
import { LiveChannel, type LiveFragment } from './live-channel.ts';
import { createLiveMetrics, type LiveMetrics } from './live-metrics.ts';
import { LIVE_CLOSE, type LiveSink, type LiveWatch } from './live-protocol.ts';
import { LiveTap } from './live-tap.ts';
import { buildLiveOutput, MAX_UNIX_SOCKET_PATH_BYTES } from './live-output-args.ts';
import { SnapshotMaker, type LiveSnapshot } from './snapshot-maker.ts';

/**
 * Live in the recorder: per camera a tap (the unix socket its ffmpeg writes the live output
 * to) and a channel (init + current GOP + viewers), and the snapshot maker. What the API
 * calls, in this process or through the live endpoint (live-endpoint.ts): watch() and
 * snapshot(). Sockets live in a private directory (0700) made for this recorder run.
 */
export interface LiveHubOptions {
  clock: Clock;
  log: Logger;
  registry?: Registry;
  ffmpegPath?: string;
  /** Longest live fragment (default 40 ms: one frame at 25 fps). */
  fragmentMs?: number;
  /** Packets ffmpeg holds for live while the recorder does not read (default 100, 4 s at 25 fps). */
  queuePackets?: number;
  policy?: Partial<DeliveryPolicy>;
  maxViewersPerCamera?: number;
  maxGopBytes?: number;
  snapshotIntervalMs?: number;
  /** Parent of the socket directory (default the OS temp dir). */
  socketDir?: string;
}

export interface LiveCameraInfo {
  cameraId: string;
  live: boolean;
  mime: string | null;
  widthPx: number | null;
  heightPx: number | null;
  viewers: number;
}

export class LiveHub {
  readonly metrics: LiveMetrics | undefined;
  readonly snapshots: SnapshotMaker;
  private readonly channels = new Map<string, LiveChannel>();
  private readonly taps = new Map<string, LiveTap>();
  private dir: string | null = null;
  private readonly policy: DeliveryPolicy;

  constructor(private readonly o: LiveHubOptions) {
    this.metrics = o.registry ? createLiveMetrics(o.registry) : undefined;
    this.policy = { ...DEFAULT_DELIVERY_POLICY, ...o.policy };
    this.snapshots = new SnapshotMaker({
      keyframeOf: (id) => this.channels.get(id)?.latestKeyframe() ?? null,
      clock: o.clock,
      ...(o.ffmpegPath ? { ffmpegPath: o.ffmpegPath } : {}),
      ...(o.snapshotIntervalMs ? { minIntervalMs: o.snapshotIntervalMs } : {}),
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
  }

  /** Opens the camera's live socket; returns the output to add to its ffmpeg. */
  async addCamera(cameraId: string): Promise<ExtraOutput> {
    if (this.taps.has(cameraId)) throw new Error(`live: camera ${cameraId} added twice`);
    const dir = await this.socketDirectory();
    const socketPath = path.join(dir, `${createHash('sha256').update(cameraId).digest('hex').slice(0, 16)}.sock`);
    const channel = new LiveChannel({
      cameraId,
      clock: this.o.clock,
      log: this.o.log,
      policy: this.policy,
      maxViewers: this.o.maxViewersPerCamera ?? 100,
      maxGopBytes: this.o.maxGopBytes ?? 16 * 1024 * 1024,
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
    const tap = new LiveTap({ cameraId, socketPath, channel, log: this.o.log, ...(this.metrics ? { metrics: this.metrics } : {}) });
    await tap.listen();
    this.channels.set(cameraId, channel);
    this.taps.set(cameraId, tap);
    return buildLiveOutput({ socketPath, fragmentMs: this.o.fragmentMs ?? 40, queuePackets: this.o.queuePackets ?? 100 });
  }

  hasCamera(cameraId: string): boolean {
    return this.channels.has(cameraId);
  }

  channel(cameraId: string): LiveChannel | undefined {
    return this.channels.get(cameraId);
  }

  cameras(): LiveCameraInfo[] {
    return [...this.channels.values()].map((c) => ({
      cameraId: c.cameraId, live: c.facts !== null, mime: c.facts?.mime ?? null, widthPx: c.facts?.widthPx ?? null, heightPx: c.facts?.heightPx ?? null, viewers: c.viewerCount,
    }));
  }

  /** A viewer of a camera: gets init + the current GOP at once, then live (live-protocol.ts). */
  watch(cameraId: string, sink: LiveSink): LiveWatch {
    const channel = this.channels.get(cameraId);
    if (!channel) {
      sink.close(LIVE_CLOSE.unknownCamera, `camera ${cameraId} is not recorded by this recorder`);
      return { ack: () => undefined, stop: () => undefined };
    }
    return channel.watch(sink);
  }

  snapshot(cameraId: string, opts: { widthPx: number }): Promise<LiveSnapshot> {
    if (!this.channels.has(cameraId)) return Promise.reject(new VigilError('not_found', `camera ${cameraId} is not recorded by this recorder`, { cameraId }));
    return this.snapshots.snapshot(cameraId, opts.widthPx);
  }

  latestKeyframe(cameraId: string): { init: Buffer; fragment: LiveFragment } | null {
    return this.channels.get(cameraId)?.latestKeyframe() ?? null;
  }

  /** After the cameras' ffmpeg processes have stopped. */
  async close(): Promise<void> {
    for (const c of this.channels.values()) c.closeAll(LIVE_CLOSE.goingAway, 'the recorder is stopping');
    await Promise.all([...this.taps.values()].map((t) => t.close()));
    this.taps.clear();
    this.channels.clear();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private async socketDirectory(): Promise<string> {
    if (this.dir) return this.dir;
    const parent = this.o.socketDir ?? tmpdir();
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(path.join(parent, 'vigil-live-'));
    // <dir>/<16 hex>.sock must fit in sun_path.
    if (Buffer.byteLength(dir) + 22 > MAX_UNIX_SOCKET_PATH_BYTES) {
      await rm(dir, { recursive: true, force: true });
      throw new VigilError('config_invalid', `live socket directory ${parent} is too deep for unix socket paths (${MAX_UNIX_SOCKET_PATH_BYTES} bytes at most)`, {
        hint: 'Set live.socketDir to a short path such as /run/vigil or /tmp.',
      });
    }
    await writeFile(path.join(dir, 'owner'), `${hostname()} ${process.pid}`);
    await removeAbandoned(parent, dir);
    this.dir = dir;
    return dir;
  }
}

/**
 * Socket directories of recorders that died without cleaning up (SIGKILL): same host name (a
 * container sharing /tmp has its own name and pid numbers), owner process gone.
 */
async function removeAbandoned(parent: string, own: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('vigil-live-'))) {
    const dir = path.join(parent, name);
    if (dir === own) continue;
    const [host, pidText] = (await readFile(path.join(dir, 'owner'), 'utf8').catch(() => '')).split(' ');
    const pid = Number(pidText);
    if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
