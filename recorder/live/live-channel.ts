import { EventEmitter } from 'node:events';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import { parseInit, type InitInfo } from '../../src/fmp4/init-info.ts';
import { describeFragment, trexMap } from '../../src/fmp4/fragments.ts';
import { parseMoof } from '../../src/fmp4/moof-info.ts';
import { scanTopLevelBoxes } from '../../src/mp4-boxes.ts';
import type { TrackDefaults } from '../../src/fmp4/init-info.ts';
import { liveTrackFacts, type LiveTrackFacts } from './codec-string.ts';
import { decideDelivery, NEW_VIEWER_FLOW, type DeliveryPolicy, type ViewerFlow } from './delivery-policy.ts';
import { LIVE_CLOSE, type LiveControl, type LiveSink, type LiveWatch } from './live-protocol.ts';
import type { LiveMetrics } from './live-metrics.ts';

/**
 * One camera's live stream in the recorder: the current init segment, the fragments since
 * the last keyframe (what a new viewer gets at once), and the viewers, each with its own
 * flow state (delivery-policy.ts). Fed by the tap; never blocks on a viewer: a send is a
 * write into that viewer's connection, whose backlog the policy bounds.
 *
 * Events: 'init' (LiveTrackFacts), 'fragment' (LiveFragment), 'ended' (reason).
 */
export interface LiveFragment {
  bytes: Buffer;
  keyframe: boolean;
  /** Decode time of the first video sample, in the track's timescale, and the span. */
  decodeTimeTicks: number;
  durationTicks: number;
  timescale: number;
  sampleCount: number;
  /** When the recorder received it from ffmpeg (clock ms). */
  receivedAtMs: number;
  /** Counts fragments of this camera since the recorder started. */
  seq: number;
}

export interface LiveChannelOptions {
  cameraId: string;
  clock: Clock;
  log: Logger;
  policy: DeliveryPolicy;
  maxViewers: number;
  /** Bytes of the current GOP kept for new viewers; past it they wait for the next keyframe. */
  maxGopBytes: number;
  metrics?: LiveMetrics;
}

interface Viewer {
  sink: LiveSink;
  flow: ViewerFlow;
  sent: number;
  /** Sent, not yet acknowledged: [count after this piece, sent at]. */
  unacked: Array<{ count: number; sentAtMs: number }>;
  closed: boolean;
}

interface StreamState {
  init: Buffer;
  info: InitInfo;
  trex: Map<number, TrackDefaults>;
  facts: LiveTrackFacts;
  /** Fragments from the last keyframe on; empty until one came (or after an oversized GOP). */
  gop: LiveFragment[];
  gopBytes: number;
}

export class LiveChannel extends EventEmitter {
  private stream: StreamState | null = null;
  private readonly viewers = new Set<Viewer>();
  private fragments = 0;
  private endedReason = 'the recorder is connecting to the camera';

  constructor(private readonly o: LiveChannelOptions) {
    super();
  }

  get cameraId(): string {
    return this.o.cameraId;
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Facts of the current stream, or null while the camera sends nothing. */
  get facts(): LiveTrackFacts | null {
    return this.stream?.facts ?? null;
  }

  /** Init segment and the keyframe fragment that starts the current GOP (for snapshots). */
  latestKeyframe(): { init: Buffer; fragment: LiveFragment } | null {
    const s = this.stream;
    return s && s.gop.length ? { init: s.init, fragment: s.gop[0]! } : null;
  }

  /** A new stream from ffmpeg (a new run, or its live output reconnected). */
  onInit(init: Buffer): void {
    let info: InitInfo;
    let facts: LiveTrackFacts;
    try {
      info = parseInit(init);
      facts = liveTrackFacts(init);
    } catch (err) {
      this.o.log.warn({ cameraId: this.o.cameraId, err: (err as Error).message }, 'live init segment unusable; live waits for the next one');
      this.o.metrics?.streamBroken.inc({ camera: this.o.cameraId });
      this.onStreamEnd('the live stream from the camera could not be read');
      return;
    }
    this.stream = { init, info, trex: trexMap(info), facts, gop: [], gopBytes: 0 };
    this.emit('init', facts);
    for (const v of this.viewers) {
      v.flow = NEW_VIEWER_FLOW;
      this.startStream(v);
    }
  }

  onFragment(bytes: Buffer): void {
    const s = this.stream;
    if (!s) return;
    let frag: LiveFragment;
    try {
      const moofBox = scanTopLevelBoxes(bytes).boxes[0]!;
      const f = describeFragment(s.info, parseMoof(bytes, moofBox, s.trex), 0, bytes.length);
      const track = f.tracks.find((t) => t.trackId === s.facts.trackId) ?? f.tracks[0];
      frag = {
        bytes,
        keyframe: f.startsWithKeyframe,
        decodeTimeTicks: track?.decodeTimeTicks ?? 0,
        durationTicks: track?.durationTicks ?? 0,
        timescale: s.facts.timescale,
        sampleCount: track?.sampleCount ?? 0,
        receivedAtMs: this.o.clock.nowMs(),
        seq: ++this.fragments,
      };
    } catch (err) {
      this.o.log.warn({ cameraId: this.o.cameraId, err: (err as Error).message }, 'live fragment unreadable; skipped');
      this.o.metrics?.streamBroken.inc({ camera: this.o.cameraId });
      return;
    }
    if (frag.keyframe) {
      s.gop = [frag];
      s.gopBytes = bytes.length;
    } else if (s.gop.length) {
      s.gopBytes += bytes.length;
      if (s.gopBytes > this.o.maxGopBytes) {
        s.gop = [];
        s.gopBytes = 0;
      } else {
        s.gop.push(frag);
      }
    }
    this.emit('fragment', frag);
    for (const v of this.viewers) this.deliver(v, frag);
  }

  /** ffmpeg's live connection closed (the run ended): viewers wait for the next stream. */
  onStreamEnd(reason: string): void {
    this.endedReason = reason;
    if (!this.stream) return;
    this.stream = null;
    this.emit('ended', reason);
    for (const v of this.viewers) this.control(v, { type: 'waiting', cameraId: this.o.cameraId, reason });
  }

  watch(sink: LiveSink): LiveWatch {
    if (this.viewers.size >= this.o.maxViewers) {
      sink.close(LIVE_CLOSE.tooManyViewers, `camera ${this.o.cameraId} already has ${this.o.maxViewers} live viewers on this recorder`);
      return { ack: () => undefined, stop: () => undefined };
    }
    const v: Viewer = { sink, flow: NEW_VIEWER_FLOW, sent: 0, unacked: [], closed: false };
    this.viewers.add(v);
    this.o.metrics?.subscribers.set({ camera: this.o.cameraId }, this.viewers.size);
    if (this.stream) this.startStream(v);
    else this.control(v, { type: 'waiting', cameraId: this.o.cameraId, reason: this.endedReason });
    return {
      ack: (count) => this.ack(v, count),
      stop: () => this.remove(v),
    };
  }

  /** Ends every viewer (recorder stopping). */
  closeAll(code: number, reason: string): void {
    for (const v of [...this.viewers]) {
      this.remove(v);
      safely(() => v.sink.close(code, reason));
    }
  }

  private startStream(v: Viewer): void {
    const s = this.stream!;
    this.control(v, { type: 'stream', cameraId: this.o.cameraId, mime: s.facts.mime, codec: s.facts.codec, widthPx: s.facts.widthPx, heightPx: s.facts.heightPx });
    this.send(v, s.init);
    // The current GOP from its keyframe: the viewer can show a picture at once.
    for (const f of s.gop) this.send(v, f.bytes);
    v.flow = { needKeyframe: s.gop.length === 0, behindSinceMs: null };
  }

  private deliver(v: Viewer, frag: LiveFragment): void {
    if (v.closed) return;
    const { next, decision } = decideDelivery(
      v.flow,
      { keyframe: frag.keyframe, nowMs: frag.receivedAtMs, oldestUnackedSentMs: v.unacked[0]?.sentAtMs ?? null, bufferedBytes: safeNumber(() => v.sink.bufferedBytes()) },
      this.o.policy,
    );
    v.flow = next;
    switch (decision.action) {
      case 'send':
        this.send(v, frag.bytes);
        return;
      case 'skip':
        if (decision.newlyBehind) {
          this.o.metrics?.skips.inc({ camera: this.o.cameraId });
          this.control(v, { type: 'skipped', reason: 'behind' });
        }
        return;
      case 'drop':
        this.o.metrics?.dropped.inc({ camera: this.o.cameraId, reason: decision.reason });
        this.o.log.info({ cameraId: this.o.cameraId, reason: decision.reason, unacked: v.unacked.length }, 'live viewer dropped: it stayed behind');
        this.remove(v);
        safely(() => v.sink.sendControl({ type: 'ended', reason: `you stayed behind the live stream (${decision.reason}); reconnect to watch again` }));
        safely(() => v.sink.close(LIVE_CLOSE.dropped, `viewer stayed behind the live stream (${decision.reason})`));
        return;
    }
  }

  private send(v: Viewer, bytes: Buffer): void {
    if (v.closed) return;
    try {
      v.sink.sendMedia(bytes);
    } catch {
      this.remove(v);
      return;
    }
    v.sent++;
    v.unacked.push({ count: v.sent, sentAtMs: this.o.clock.nowMs() });
    this.o.metrics?.sentBytes.inc({ camera: this.o.cameraId }, bytes.length);
  }

  private control(v: Viewer, msg: LiveControl): void {
    if (v.closed) return;
    try {
      v.sink.sendControl(msg);
    } catch {
      this.remove(v);
    }
  }

  private ack(v: Viewer, count: number): void {
    const now = this.o.clock.nowMs();
    while (v.unacked.length && v.unacked[0]!.count <= count) {
      const p = v.unacked.shift()!;
      this.o.metrics?.ackLag.observe((now - p.sentAtMs) / 1000);
    }
  }

  private remove(v: Viewer): void {
    if (v.closed) return;
    v.closed = true;
    this.viewers.delete(v);
    this.o.metrics?.subscribers.set({ camera: this.o.cameraId }, this.viewers.size);
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* the viewer's connection is gone */
  }
}

function safeNumber(fn: () => number): number {
  try {
    return fn();
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
