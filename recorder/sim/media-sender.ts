import type { Socket } from 'node:net';
import type { Clock } from '../../src/clock.ts';
import type { CameraFaults } from './faults.ts';
import { senderReport } from './rtcp.ts';
import { INTERLEAVED_HEADER_BYTES, RTP_HEADER_BYTES, type RtpTrack } from './rtp-packet.ts';
import type { StreamTimeline, TimelineFrame } from './stream-timeline.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * Sends one playing session's media: frames from the stream's shared timeline turned into
 * interleaved RTP on the session's socket, RTCP sender reports about once a second, and the
 * camera-side faults that shape delivery:
 *
 * - stall: nothing at all is sent while set; afterwards the session resumes from the current GOP
 *   (what it missed of that GOP first), so a client can decode again at once.
 * - throttleBytesPerSec: a token bucket (one second of burst) per session; a frame that does not
 *   fit is dropped whole, as a camera with a congested uplink drops frames rather than bytes.
 * - a slow reader: while the socket holds more than maxBufferedBytes unsent, frames are dropped.
 *
 * A video frame is only sent if it is a keyframe or follows the last one sent, so after any drop
 * the client gets nothing undecodable: video resumes at the next keyframe.
 */

export interface MediaStats {
  bytesSent: number;
  /** Video frames (access units) sent. */
  framesSent: number;
  /** Video and audio frames dropped by throttling or a slow reader. */
  framesDropped: number;
}

export interface RtpStartInfo {
  seq: number;
  rtptime: number;
}

export interface MediaSenderOptions {
  socket: Socket;
  clock: Clock;
  faults: CameraFaults;
  timeline: StreamTimeline;
  videoTrack?: RtpTrack;
  audioTrack?: RtpTrack;
  /** SDES CNAME of the camera. */
  cname: string;
  maxBufferedBytes: number;
  stats: MediaStats;
  srIntervalMs?: number;
}

export class MediaSender {
  private unsubscribe: (() => void) | undefined;
  private lastVideoSent = -2;
  private lastAudioSent = -1;
  private lastSrMs = -Infinity;
  private wasStalled = false;
  private bucket: TokenBucket | undefined;

  constructor(private readonly o: MediaSenderOptions) {}

  get playing(): boolean {
    return this.unsubscribe !== undefined;
  }

  /**
   * Starts sending. respond() is called with the first sequence numbers and timestamps (for the
   * PLAY response's RTP-Info) before any media is written.
   */
  start(respond: (info: { video?: RtpStartInfo; audio?: RtpStartInfo }) => void): void {
    if (this.unsubscribe) return;
    const { backlog, unsubscribe } = this.o.timeline.subscribe((frame) => this.onFrame(frame));
    this.unsubscribe = unsubscribe;
    const first = (kind: TimelineFrame['kind']) => backlog.find((f) => f.kind === kind);
    const info: { video?: RtpStartInfo; audio?: RtpStartInfo } = {};
    const now = this.o.clock.nowMs();
    const { videoTrack, audioTrack, timeline } = this.o;
    if (videoTrack) {
      const ticks = first('video')?.ticks ?? timeline.videoTicksAt(now);
      info.video = { seq: videoTrack.nextSeq, rtptime: videoTrack.timestampOf(Math.round(ticks)) };
    }
    if (audioTrack) {
      const ticks = first('audio')?.ticks ?? timeline.audioTicksAt(now);
      info.audio = { seq: audioTrack.nextSeq, rtptime: audioTrack.timestampOf(Math.round(ticks)) };
    }
    respond(info);
    if (this.o.faults.get().stall) {
      this.wasStalled = true;
      return;
    }
    this.sendReportsIfDue(true);
    for (const frame of backlog) this.deliver(frame);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private onFrame(frame: TimelineFrame): void {
    const socket = this.o.socket;
    if (socket.destroyed || !socket.writable) return;
    if (this.o.faults.get().stall) {
      this.wasStalled = true;
      return;
    }
    if (this.wasStalled) {
      this.wasStalled = false;
      this.sendReportsIfDue(true);
      for (const missed of this.o.timeline.recentGop()) this.deliver(missed);
    }
    this.sendReportsIfDue(false);
    this.deliver(frame);
  }

  private deliver(frame: TimelineFrame): void {
    const track = frame.kind === 'video' ? this.o.videoTrack : this.o.audioTrack;
    if (!track) return;
    if (frame.kind === 'video') {
      if (frame.index <= this.lastVideoSent) return;
      if (!frame.keyframe && frame.index !== this.lastVideoSent + 1) return; // wait for a keyframe
    } else if (frame.index <= this.lastAudioSent) {
      return;
    }
    let bytes = 0;
    for (const p of frame.payloads) bytes += INTERLEAVED_HEADER_BYTES + RTP_HEADER_BYTES + p.head.length + p.body.length;
    if (this.o.socket.writableLength > this.o.maxBufferedBytes || !this.throttleAllows(bytes)) {
      this.o.stats.framesDropped++;
      return;
    }
    const socket = this.o.socket;
    socket.cork();
    for (const p of frame.payloads) socket.write(track.packet(p, frame.ticks));
    socket.uncork();
    this.o.stats.bytesSent += bytes;
    if (frame.kind === 'video') {
      this.lastVideoSent = frame.index;
      this.o.stats.framesSent++;
    } else {
      this.lastAudioSent = frame.index;
    }
  }

  private throttleAllows(bytes: number): boolean {
    const rate = this.o.faults.get().throttleBytesPerSec;
    if (rate === null || rate <= 0) {
      this.bucket = undefined;
      return true;
    }
    if (this.bucket?.ratePerSec !== rate) this.bucket = new TokenBucket(this.o.clock, rate);
    return this.bucket.take(bytes);
  }

  private sendReportsIfDue(force: boolean): void {
    const now = this.o.clock.nowMs();
    if (!force && now - this.lastSrMs < (this.o.srIntervalMs ?? 1000)) return;
    this.lastSrMs = now;
    const cameraNow = this.o.faults.senderReportNowMs(now);
    const { videoTrack, audioTrack, timeline, socket, cname } = this.o;
    socket.cork();
    for (const [track, ticks] of [
      [videoTrack, timeline.videoTicksAt(now)],
      [audioTrack, timeline.audioTicksAt(now)],
    ] as const) {
      if (!track) continue;
      const packet = senderReport(track, cameraNow, ticks, cname);
      socket.write(packet);
      this.o.stats.bytesSent += packet.length;
    }
    socket.uncork();
  }
}
