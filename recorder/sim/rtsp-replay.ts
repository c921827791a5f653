import type { Socket } from 'node:net';
import type { Clock } from '../../src/clock.ts';
import type { PacketizedAudio, PacketizedVideo } from './camera-media.ts';
import type { FrameGrid, FrameRun } from './edge-storage.ts';
import type { CameraFaults } from './faults.ts';
import type { MediaStats, RtpStartInfo } from './media-sender.ts';
import { msToNtp, senderReport, senderReportWithBye } from './rtcp.ts';
import type { HeaderList } from './rtsp-message.ts';
import { onvifReplayExtension, ReplayFlag, type RtpPayload, type RtpTrack } from './rtp-packet.ts';

/**
 * RTSP replay of a camera's edge recording, as the ONVIF Streaming Specification describes:
 * PLAY with `Require: onvif-replay`, `Range: clock=<start>-[<end>]` (ISO 8601 basic, camera
 * clock), `Rate-Control: no` (as fast as the TCP connection takes it: the next packet waits for
 * the socket's 'drain', so a slow reader slows the camera) or `yes` (default, real time).
 * Every RTP packet carries the ONVIF header extension (NTP time of the frame on the camera's
 * clock, flags C/E/D/T, the PLAY CSeq). Holes are skipped (E before, D after); the stream ends
 * with T on each track's last packet and an RTCP SR + BYE. Throttling (throttleBytesPerSec)
 * paces rather than drops: a replay is a file transfer over a slow link.
 */

export const REPLAY_OPTION_TAG = 'onvif-replay';

/** What the card's recording is made of: the main stream's loops and the timeline origin. */
export interface ReplayMedia {
  video: PacketizedVideo;
  audio?: PacketizedAudio;
  /** Frame 0 of the main timeline falls due here (true clock ms). */
  originMs: number;
}

export function frameGridOf(media: ReplayMedia): FrameGrid {
  const frames = media.video.loop.frames;
  return {
    originMs: media.originMs,
    frameMs: 1000 / media.video.loop.fps,
    isKeyframe: (k) => frames[k % frames.length]!.keyframe,
  };
}

/** `20261201T101500.250Z` (ISO 8601 basic, as RFC 2326 clock ranges use) → epoch ms. */
export function parseClockTime(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text.trim());
  if (!m) return undefined;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  return Number.isFinite(t) ? t : undefined;
}

export function formatClockTime(ms: number): string {
  return new Date(Math.round(ms)).toISOString().replace(/[-:]/g, '');
}

export interface ReplayPlayRequest {
  /** Camera clock ms; undefined = from the start of the recording. */
  startMs: number | undefined;
  /** Camera clock ms; undefined = to the end of what is held. */
  endMs: number | undefined;
  rateControl: boolean;
}

export type ReplayPlayParse =
  | { ok: true; request: ReplayPlayRequest }
  | { ok: false; status: number; headers: HeaderList };

/** Reads the replay headers of a PLAY request. */
export function parseReplayPlay(get: (name: string) => string | undefined): ReplayPlayParse {
  const require = (get('require') ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (!require.includes(REPLAY_OPTION_TAG)) {
    // Replay without the option tag is not something this URI can do (RFC 2326 §12.32: 551 + Unsupported).
    return { ok: false, status: 551, headers: [['Unsupported', REPLAY_OPTION_TAG]] };
  }
  const unknown = require.filter((t) => t !== REPLAY_OPTION_TAG);
  if (unknown.length > 0) return { ok: false, status: 551, headers: [['Unsupported', unknown.join(', ')]] };
  const rateControl = (get('rate-control') ?? 'yes').trim().toLowerCase() !== 'no';
  const range = get('range');
  if (range === undefined) return { ok: true, request: { startMs: undefined, endMs: undefined, rateControl } };
  const m = /^clock\s*=\s*([^-\s]*)\s*-\s*([^;\s]*)/i.exec(range.trim());
  if (!m) return { ok: false, status: 457, headers: [] };
  const startMs = m[1] ? parseClockTime(m[1]) : undefined;
  const endMs = m[2] ? parseClockTime(m[2]) : undefined;
  if ((m[1] && startMs === undefined) || (m[2] && endMs === undefined)) return { ok: false, status: 457, headers: [] };
  if (startMs !== undefined && endMs !== undefined && endMs <= startMs) return { ok: false, status: 457, headers: [] };
  return { ok: true, request: { startMs, endMs, rateControl } };
}

interface ReplayItem {
  kind: 'video' | 'audio';
  dueMs: number;
  /** Media clock ticks (presentation time) since the origin. */
  ticks: number;
  payloads: RtpPayload[];
  keyframe: boolean;
  /** D on the first packet, E or T on the last. */
  firstFlags: number;
  lastFlags: number;
  /** Real-time position within the replay, ms (holes take no time). */
  offsetMs: number;
}

/** The frames of the runs in due order, video and audio interleaved, with their flags. */
function* replayItems(media: ReplayMedia, runs: readonly FrameRun[], withVideo: boolean, withAudio: boolean): Generator<ReplayItem> {
  const { video, originMs } = media;
  const loop = video.loop;
  const frameMs = 1000 / loop.fps;
  const audio = withAudio ? media.audio : undefined;
  const audioFrameMs = audio ? (audio.loop.samplesPerFrame * 1000) / audio.loop.sampleRate : Infinity;
  let offsetBase = 0;
  for (const [r, run] of runs.entries()) {
    const fromMs = originMs + run.first * frameMs;
    const toMs = originMs + run.end * frameMs;
    const lastOfRun = r === runs.length - 1 ? ReplayFlag.terminal : ReplayFlag.end;
    const firstOfRun = r === 0 ? 0 : ReplayFlag.discontinuity;
    let k = withVideo ? run.first : run.end;
    let j = audio ? Math.ceil((fromMs - originMs) / audioFrameMs - 1e-9) : 0;
    const jEnd = audio ? Math.ceil((toMs - originMs) / audioFrameMs - 1e-9) : 0;
    const j0 = j;
    while (k < run.end || j < jEnd) {
      const vDue = k < run.end ? originMs + k * frameMs : Infinity;
      const aDue = j < jEnd ? originMs + j * audioFrameMs : Infinity;
      if (vDue <= aDue) {
        const n = Math.floor(k / loop.frames.length);
        const i = k - n * loop.frames.length;
        yield {
          kind: 'video',
          dueMs: vDue,
          ticks: n * loop.durationTicks + loop.frames[i]!.ptsTicks,
          payloads: video.payloads[i]!,
          keyframe: loop.frames[i]!.keyframe,
          firstFlags: k === run.first ? firstOfRun : 0,
          lastFlags: k === run.end - 1 ? lastOfRun : 0,
          offsetMs: offsetBase + (vDue - fromMs),
        };
        k++;
      } else {
        const a = audio!;
        yield {
          kind: 'audio',
          dueMs: aDue,
          ticks: j * a.loop.samplesPerFrame,
          payloads: a.payloads[j % a.loop.frames.length]!,
          keyframe: true,
          firstFlags: j === j0 ? firstOfRun : 0,
          lastFlags: j === jEnd - 1 ? lastOfRun : 0,
          offsetMs: offsetBase + Math.max(0, aDue - fromMs),
        };
        j++;
      }
    }
    offsetBase += toMs - fromMs;
  }
}

export interface ReplaySenderOptions {
  socket: Socket;
  clock: Clock;
  faults: CameraFaults;
  media: ReplayMedia;
  runs: FrameRun[];
  videoTrack?: RtpTrack;
  audioTrack?: RtpTrack;
  /** CSeq of the PLAY request (its low 8 bits go into every packet). */
  cseq: number;
  rateControl: boolean;
  /** Camera clock minus true time at PLAY: added to every NTP time. */
  skewMs: number;
  cname: string;
  stats: MediaStats;
  /** Called once after the last packet and the BYE are written. */
  onEnd?: () => void;
}

export class ReplaySender {
  private readonly items: Generator<ReplayItem>;
  private pending: ReplayItem | undefined;
  private running = false;
  private finished = false;
  private cancelTimer: (() => void) | undefined;
  private wallStartMs = 0;
  private throttleStartMs = 0;
  private throttleBytes = 0;
  private throttleRate: number | null = null;
  private last: Partial<Record<'video' | 'audio', ReplayItem>> = {};
  private readonly onDrain = () => this.pump();

  constructor(private readonly o: ReplaySenderOptions) {
    this.items = replayItems(o.media, o.runs, o.videoTrack !== undefined, o.audioTrack !== undefined);
  }

  get playing(): boolean {
    return this.running;
  }

  /** First packet's seq/rtptime per track and the replay's actual start (camera clock ms). */
  peek(): { video?: RtpStartInfo; audio?: RtpStartInfo; startMs: number | undefined } {
    const first = this.o.runs[0];
    const info: { video?: RtpStartInfo; audio?: RtpStartInfo; startMs: number | undefined } = {
      startMs: first ? this.o.media.originMs + (first.first * 1000) / this.o.media.video.loop.fps + this.o.skewMs : undefined,
    };
    if (this.o.videoTrack && first) {
      const loop = this.o.media.video.loop;
      const n = Math.floor(first.first / loop.frames.length);
      const ticks = n * loop.durationTicks + loop.frames[first.first % loop.frames.length]!.ptsTicks;
      info.video = { seq: this.o.videoTrack.nextSeq, rtptime: this.o.videoTrack.timestampOf(ticks) };
    }
    const audio = this.o.media.audio;
    if (this.o.audioTrack && audio && first) {
      const fromMs = (first.first * 1000) / this.o.media.video.loop.fps;
      const j = Math.ceil((fromMs * audio.loop.sampleRate) / 1000 / audio.loop.samplesPerFrame - 1e-9);
      info.audio = { seq: this.o.audioTrack.nextSeq, rtptime: this.o.audioTrack.timestampOf(j * audio.loop.samplesPerFrame) };
    }
    return info;
  }

  start(): void {
    if (this.running || this.finished) return;
    this.running = true;
    this.wallStartMs = this.o.clock.nowMs();
    this.o.socket.on('drain', this.onDrain);
    this.pump();
  }

  stop(): void {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.o.socket.off('drain', this.onDrain);
  }

  private ntpOf(item: Pick<ReplayItem, 'kind' | 'ticks'>): { seconds: number; fraction: number } {
    return msToNtp(this.msOf(item));
  }

  private msOf(item: Pick<ReplayItem, 'kind' | 'ticks'>): number {
    const rate = item.kind === 'video' ? this.o.media.video.loop.frameTicks * this.o.media.video.loop.fps : this.o.media.audio!.loop.sampleRate;
    return this.o.media.originMs + (item.ticks * 1000) / rate + this.o.skewMs;
  }

  private wait(ms: number): void {
    this.cancelTimer = this.o.clock.setTimer(Math.max(1, Math.ceil(ms)), () => {
      this.cancelTimer = undefined;
      this.pump();
    });
  }

  private pump(): void {
    const socket = this.o.socket;
    while (this.running && !this.cancelTimer) {
      if (socket.destroyed) return this.stop();
      if (socket.writableNeedDrain) return; // 'drain' calls pump again
      const item = this.pending ?? this.nextItem();
      if (!item) return this.finish();
      this.pending = item;
      const now = this.o.clock.nowMs();
      if (this.o.rateControl && now < this.wallStartMs + item.offsetMs) return this.wait(this.wallStartMs + item.offsetMs - now);
      const bytes = item.payloads.reduce((n, p) => n + 4 + 12 + 16 + p.head.length + p.body.length, 0);
      const delay = this.throttleDelayMs(bytes, now);
      if (delay > 0) return this.wait(delay);
      this.pending = undefined;
      this.send(item, bytes);
    }
  }

  private nextItem(): ReplayItem | undefined {
    const r = this.items.next();
    return r.done ? undefined : r.value;
  }

  /** 0 if bytes may go now; else how long to wait. The link carries rate bytes/s with a 1 s burst. */
  private throttleDelayMs(bytes: number, now: number): number {
    const rate = this.o.faults.get().throttleBytesPerSec;
    if (rate === null || rate <= 0) {
      this.throttleRate = null;
      return 0;
    }
    if (this.throttleRate !== rate) {
      this.throttleRate = rate;
      this.throttleStartMs = now;
      this.throttleBytes = 0;
    }
    const allowed = rate + (rate * (now - this.throttleStartMs)) / 1000;
    if (this.throttleBytes + bytes <= allowed || this.throttleBytes === 0) {
      this.throttleBytes += bytes;
      return 0;
    }
    return ((this.throttleBytes + bytes - allowed) * 1000) / rate;
  }

  private send(item: ReplayItem, bytes: number): void {
    const track = item.kind === 'video' ? this.o.videoTrack : this.o.audioTrack;
    if (!track) return;
    const socket = this.o.socket;
    socket.cork();
    if (item.firstFlags !== 0 || this.last[item.kind] === undefined) {
      // A sender report at the start of each run maps this run's RTP time to its NTP time.
      const sr = senderReport(track, this.msOf(item), item.ticks, this.o.cname);
      socket.write(sr);
      this.o.stats.bytesSent += sr.length;
    }
    const ntp = this.ntpOf(item);
    const clean = item.keyframe ? ReplayFlag.cleanPoint : 0;
    const count = item.payloads.length;
    for (const [i, p] of item.payloads.entries()) {
      const flags = clean | (i === 0 ? item.firstFlags : 0) | (i === count - 1 ? item.lastFlags : 0);
      socket.write(track.packet(p, item.ticks, onvifReplayExtension(ntp, flags, this.o.cseq)));
    }
    socket.uncork();
    this.o.stats.bytesSent += bytes;
    if (item.kind === 'video') this.o.stats.framesSent++;
    this.last[item.kind] = item;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    const socket = this.o.socket;
    for (const kind of ['video', 'audio'] as const) {
      const track = kind === 'video' ? this.o.videoTrack : this.o.audioTrack;
      const last = this.last[kind];
      if (!track || socket.destroyed) continue;
      const ticks = last?.ticks ?? 0;
      socket.write(senderReportWithBye(track, last ? this.msOf(last) : this.o.faults.cameraNowMs(), ticks, this.o.cname));
    }
    this.stop();
    this.o.onEnd?.();
  }
}
