import type { Clock } from '../../src/clock.ts';
import type { PacketizedAudio, PacketizedVideo } from './camera-media.ts';
import type { RtpPayload } from './rtp-packet.ts';

/**
 * The one timeline of a camera stream (main or sub): which frame the "sensor" produces when,
 * the same for every viewer, as with a real camera. Video frames fall due every 1/fps in decode
 * order and audio frames every frame duration, both counted from the timeline's start, so the
 * media clocks advance with the Clock and keep increasing across loops (loop n adds n loop lengths).
 *
 * The timeline only runs a timer while someone listens. A new listener first gets the backlog:
 * the frames of the current GOP since its keyframe, so a client can start decoding at once.
 * With an alternate video source (the altResolution fault), the source is chosen at each
 * keyframe, so a switch always lands on a GOP boundary with in-band parameter sets.
 */

interface FrameBase {
  /** Global index: frames of this kind since the timeline started. */
  index: number;
  /** When the frame falls due, clock ms. */
  dueMs: number;
  /** Media clock ticks since the timeline started (presentation time for video). */
  ticks: number;
  payloads: RtpPayload[];
}

export interface TimelineVideoFrame extends FrameBase {
  kind: 'video';
  keyframe: boolean;
  source: PacketizedVideo;
}

export interface TimelineAudioFrame extends FrameBase {
  kind: 'audio';
}

export type TimelineFrame = TimelineVideoFrame | TimelineAudioFrame;

export type TimelineListener = (frame: TimelineFrame) => void;

export interface StreamTimelineOptions {
  clock: Clock;
  video: PacketizedVideo;
  /** Used instead of video from a keyframe on while useAlternate() says so. */
  alternate?: PacketizedVideo;
  useAlternate?: () => boolean;
  audio?: PacketizedAudio;
  /** Timeline origin, clock ms (default now). */
  startMs?: number;
  /** If the process falls further behind than this, skip ahead instead of bursting (default 2000). */
  maxLagMs?: number;
}

export class StreamTimeline {
  private readonly clock: Clock;
  private readonly primary: PacketizedVideo;
  private readonly alternate: PacketizedVideo | undefined;
  private readonly useAlternate: () => boolean;
  private readonly audio: PacketizedAudio | undefined;
  private readonly startMs: number;
  private readonly maxLagMs: number;
  private readonly frameMs: number;
  private readonly audioFrameMs: number;
  /** For each loop frame, the loop index of the keyframe starting its GOP. */
  private readonly gopStartInLoop: number[];

  private readonly listeners = new Set<TimelineListener>();
  private cancelTimer: (() => void) | undefined;
  /** Next global indexes to emit. */
  private nextVideo = 0;
  private nextAudio = 0;
  /** Global index of the current GOP's keyframe and the source chosen for that GOP. */
  private gopStart = -1;
  private gopSource: PacketizedVideo;

  constructor(opts: StreamTimelineOptions) {
    this.clock = opts.clock;
    this.primary = opts.video;
    this.alternate = opts.alternate;
    this.useAlternate = opts.useAlternate ?? (() => false);
    this.audio = opts.audio;
    this.startMs = opts.startMs ?? opts.clock.nowMs();
    this.maxLagMs = opts.maxLagMs ?? 2000;
    const loop = this.primary.loop;
    this.frameMs = 1000 / loop.fps;
    this.audioFrameMs = this.audio ? (this.audio.loop.samplesPerFrame * 1000) / this.audio.loop.sampleRate : Infinity;
    if (this.alternate) assertSameStructure(loop, this.alternate.loop);
    let gop = 0;
    this.gopStartInLoop = loop.frames.map((f, i) => (f.keyframe ? (gop = i) : gop));
    this.gopSource = this.primary;
  }

  /** The source of the GOP being sent now (or that a client starting now would get). */
  currentVideo(): PacketizedVideo {
    if (!this.cancelTimer) this.catchUp();
    return this.gopSource;
  }

  get audioSource(): PacketizedAudio | undefined {
    return this.audio;
  }

  /** The video media clock (90 kHz, without any random base) at a clock instant. */
  videoTicksAt(ms: number): number {
    return ((ms - this.startMs) * this.primary.loop.frameTicks) / this.frameMs;
  }

  audioTicksAt(ms: number): number {
    return this.audio ? ((ms - this.startMs) * this.audio.loop.sampleRate) / 1000 : 0;
  }

  /**
   * Starts listening. Returns the backlog (the current GOP so far, video and audio, in due
   * order), which the listener should send before anything the listener is called with.
   */
  subscribe(listener: TimelineListener): { backlog: TimelineFrame[]; unsubscribe: () => void } {
    if (!this.cancelTimer) this.catchUp();
    const backlog = this.recentGop();
    this.listeners.add(listener);
    this.schedule();
    return {
      backlog,
      unsubscribe: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.halt();
      },
    };
  }

  /** Frames already due in the current GOP, from its keyframe on, in due order. */
  recentGop(): TimelineFrame[] {
    const frames: TimelineFrame[] = [];
    for (let k = this.gopStart; k < this.nextVideo; k++) frames.push(this.videoFrame(k));
    if (this.audio) {
      const fromMs = this.videoDueMs(this.gopStart);
      const firstAudio = Math.max(0, Math.ceil((fromMs - this.startMs) / this.audioFrameMs));
      for (let j = firstAudio; j < this.nextAudio; j++) frames.push(this.audioFrame(j));
    }
    return frames.sort((a, b) => a.dueMs - b.dueMs || (a.kind === 'video' ? -1 : 1));
  }

  /** Stops the timer and drops all listeners. */
  stop(): void {
    this.listeners.clear();
    this.halt();
  }

  private halt(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private videoDueMs(k: number): number {
    return this.startMs + k * this.frameMs;
  }

  private audioDueMs(j: number): number {
    return this.startMs + j * this.audioFrameMs;
  }

  /** Moves the position to now without emitting (nobody was listening, or we fell too far behind). */
  private catchUp(): void {
    const elapsed = Math.max(0, this.clock.nowMs() - this.startMs);
    const lastVideo = Math.floor(elapsed / this.frameMs);
    this.nextVideo = lastVideo + 1;
    this.nextAudio = this.audio ? Math.floor(elapsed / this.audioFrameMs) + 1 : 0;
    const frameCount = this.primary.loop.frames.length;
    const loopStart = lastVideo - (lastVideo % frameCount);
    const gopStart = loopStart + this.gopStartInLoop[lastVideo % frameCount]!;
    if (gopStart !== this.gopStart) this.enterGop(gopStart);
  }

  private enterGop(k: number): void {
    this.gopStart = k;
    this.gopSource = this.alternate && this.useAlternate() ? this.alternate : this.primary;
  }

  private videoFrame(k: number): TimelineVideoFrame {
    const frameCount = this.primary.loop.frames.length;
    const n = Math.floor(k / frameCount);
    const i = k - n * frameCount;
    const source = this.gopSource;
    const frame = source.loop.frames[i]!;
    return {
      kind: 'video',
      index: k,
      dueMs: this.videoDueMs(k),
      ticks: n * source.loop.durationTicks + frame.ptsTicks,
      keyframe: frame.keyframe,
      payloads: source.payloads[i]!,
      source,
    };
  }

  private audioFrame(j: number): TimelineAudioFrame {
    const audio = this.audio!;
    const i = j % audio.loop.frames.length;
    return {
      kind: 'audio',
      index: j,
      dueMs: this.audioDueMs(j),
      ticks: j * audio.loop.samplesPerFrame,
      payloads: audio.payloads[i]!,
    };
  }

  private schedule(): void {
    if (this.cancelTimer || this.listeners.size === 0) return;
    const due = Math.min(this.videoDueMs(this.nextVideo), this.audio ? this.audioDueMs(this.nextAudio) : Infinity);
    this.cancelTimer = this.clock.setTimer(Math.ceil(due - this.clock.nowMs()), () => {
      this.cancelTimer = undefined;
      this.tick();
      this.schedule();
    });
  }

  private tick(): void {
    const now = this.clock.nowMs();
    if (now - this.videoDueMs(this.nextVideo) > this.maxLagMs) {
      // The process was stalled (or the clock jumped): a real camera would not send the past.
      this.catchUp();
      return;
    }
    for (;;) {
      const videoDue = this.videoDueMs(this.nextVideo);
      const audioDue = this.audio ? this.audioDueMs(this.nextAudio) : Infinity;
      if (Math.min(videoDue, audioDue) > now) break;
      let frame: TimelineFrame;
      if (videoDue <= audioDue) {
        const k = this.nextVideo++;
        const frameCount = this.primary.loop.frames.length;
        if (this.gopStartInLoop[k % frameCount] === k % frameCount) this.enterGop(k);
        frame = this.videoFrame(k);
      } else {
        frame = this.audioFrame(this.nextAudio++);
      }
      for (const listener of [...this.listeners]) listener(frame);
    }
  }
}

function assertSameStructure(a: PacketizedVideo['loop'], b: PacketizedVideo['loop']): void {
  const same =
    a.frames.length === b.frames.length &&
    a.fps === b.fps &&
    a.frameTicks === b.frameTicks &&
    a.frames.every((f, i) => f.keyframe === b.frames[i]!.keyframe);
  if (!same) throw new Error('alternate video loop must have the same frame count, rate and keyframes as the main loop');
}
