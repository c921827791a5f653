import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { LiveChannel } from '../../recorder/live/live-channel.ts';
import { createLiveMetrics } from '../../recorder/live/live-metrics.ts';
import { Fmp4Splitter } from '../../recorder/live/fmp4-splitter.ts';
import type { LiveControl, LiveSink } from '../../recorder/live/live-protocol.ts';
import { metricValue } from './live-recorder-setup.ts';

/**
 * The channel's rules on a real live stream (made once by ffmpeg with the live movflags: 25 fps,
 * a keyframe every second, one frame per fragment), fed by hand with a manual clock.
 */
let init: Buffer;
let fragments: Buffer[];

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-live-chan-'));
  const file = path.join(dir, 'live.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-f', 'mp4', '-movflags', '+empty_moov+default_base_moof+frag_keyframe', '-frag_duration', '40000', file]);
  const { pieces } = new Fmp4Splitter().push(readFileSync(file));
  rmSync(dir, { recursive: true, force: true });
  init = pieces.find((p) => p.kind === 'init')!.bytes;
  fragments = pieces.filter((p) => p.kind === 'fragment').map((p) => p.bytes);
});

class TestSink implements LiveSink {
  controls: LiveControl[] = [];
  media: Buffer[] = [];
  closed: { code: number; reason: string } | null = null;
  buffered = 0;
  sendMedia(b: Buffer) { this.media.push(b); }
  sendControl(m: LiveControl) { this.controls.push(m); }
  bufferedBytes() { return this.buffered; }
  close(code: number, reason: string) { this.closed = { code, reason }; }
}

function setup(o: { maxViewers?: number; maxGopBytes?: number } = {}) {
  const clock = new ManualClock();
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const channel = new LiveChannel({
    cameraId: 'cam-1', clock, log, policy: { maxLagMs: 1_000, maxBufferedBytes: 1_000_000, dropAfterMs: 2_000 },
    maxViewers: o.maxViewers ?? 10, maxGopBytes: o.maxGopBytes ?? 16 * 1024 * 1024, metrics: createLiveMetrics(registry),
  });
  /** Feeds fragments [from, to), one per 40 ms. */
  const feed = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      clock.advance(40);
      channel.onFragment(fragments[i]!);
    }
  };
  return { clock, channel, feed, registry };
}

const isKeyframeAt = (i: number) => i % 25 === 0;

describe('live channel', () => {
  it('a viewer before the stream is told to wait, then starts at the first keyframe', () => {
    const { channel, feed } = setup();
    const v = new TestSink();
    const w = channel.watch(v);
    expect(v.controls).toEqual([{ type: 'waiting', cameraId: 'cam-1', reason: expect.any(String) }]);
    channel.onInit(init);
    expect(v.controls[1]).toEqual({ type: 'stream', cameraId: 'cam-1', mime: expect.stringMatching(/^video\/mp4; codecs="avc1\.42c0[0-9a-f]{2}"$/), codec: expect.stringMatching(/^avc1\.42c0/), widthPx: 320, heightPx: 180 });
    expect(v.media).toEqual([init]);
    const keyframes: boolean[] = [];
    channel.on('fragment', (f: { keyframe: boolean }) => keyframes.push(f.keyframe));
    for (let i = 0; i < 30; i++) {
      feed(i, i + 1);
      w.ack(v.media.length);
    }
    expect(keyframes).toEqual(Array.from({ length: 30 }, (_x, i) => isKeyframeAt(i)));
    expect(v.media.slice(1)).toEqual(fragments.slice(0, 30));
  });

  it('a viewer joining mid-GOP gets init and the GOP from its keyframe at once', () => {
    const { channel, feed } = setup();
    channel.onInit(init);
    feed(0, 37); // keyframe at 25, then 11 more
    const v = new TestSink();
    channel.watch(v);
    expect(v.controls.map((c) => c.type)).toEqual(['stream']);
    expect(v.media).toEqual([init, ...fragments.slice(25, 37)]);
    expect(channel.latestKeyframe()!.fragment.bytes).toBe(fragments[25]);
  });

  it('a new ffmpeg run is a new stream; between runs viewers wait', () => {
    const { channel, feed } = setup();
    channel.onInit(init);
    feed(0, 10);
    const v = new TestSink();
    const w = channel.watch(v);
    channel.onStreamEnd('camera dropped the session');
    expect(v.controls.at(-1)).toEqual({ type: 'waiting', cameraId: 'cam-1', reason: 'camera dropped the session' });
    expect(channel.latestKeyframe()).toBeNull();
    channel.onInit(init);
    expect(v.controls.at(-1)!.type).toBe('stream');
    const before = v.media.length;
    w.ack(before);
    feed(10, 26); // deltas are held back until the keyframe at 25
    expect(v.media.slice(before - 1)).toEqual([init, fragments[25]]);
  });

  it('a viewer that stops acknowledging is skipped ahead, told once, then dropped; the others get everything', async () => {
    const { channel, feed, registry } = setup();
    channel.onInit(init);
    const slow = new TestSink();
    const good = new TestSink();
    channel.watch(slow);
    const goodWatch = channel.watch(good);
    let acked = 1;
    for (let i = 0; i < 100; i++) {
      feed(i, i + 1);
      goodWatch.ack(++acked);
    }
    expect(good.media.slice(1)).toEqual(fragments.slice(0, 100));
    expect(good.controls.map((c) => c.type)).toEqual(['stream']);
    // The slow one got the first second (its init unacknowledged for 1 s), then nothing, then was dropped 2 s later.
    expect(slow.media.length).toBe(1 + 25);
    expect(slow.controls.filter((c) => c.type === 'skipped')).toHaveLength(1);
    expect(slow.closed).toMatchObject({ code: 4008 });
    expect(channel.viewerCount).toBe(1);
    expect(await metricValue(registry, 'vigil_live_skips_total', { camera: 'cam-1' })).toBe(1);
    expect(await metricValue(registry, 'vigil_live_dropped_subscribers_total', { camera: 'cam-1', reason: 'lagging' })).toBe(1);
    expect(await metricValue(registry, 'vigil_live_subscribers', { camera: 'cam-1' })).toBe(1);
  });

  it('a viewer that catches up resumes at the next keyframe', () => {
    const { channel, feed } = setup();
    channel.onInit(init);
    const v = new TestSink();
    const w = channel.watch(v);
    feed(0, 30); // no acks: behind after 1 s
    const sent = v.media.length;
    expect(v.controls.at(-1)!.type).toBe('skipped');
    w.ack(sent); // caught up on everything it got
    feed(30, 60);
    const resumed = v.media.slice(sent);
    expect(resumed[0]).toBe(fragments[50]);
    expect(resumed).toEqual(fragments.slice(50, 60));
  });

  it('a connection holding too many bytes is skipped even when acks come', () => {
    const { channel, feed } = setup();
    channel.onInit(init);
    const v = new TestSink();
    const w = channel.watch(v);
    feed(0, 5);
    w.ack(v.media.length);
    v.buffered = 2_000_000;
    feed(5, 10);
    expect(v.media).toHaveLength(1 + 5);
    expect(v.controls.at(-1)!.type).toBe('skipped');
  });

  it('refuses a viewer past the limit; a broken sink is removed', () => {
    const { channel, feed } = setup({ maxViewers: 2 });
    channel.onInit(init);
    channel.watch(new TestSink());
    channel.watch(new TestSink());
    const third = new TestSink();
    channel.watch(third);
    expect(third.closed).toMatchObject({ code: 4029 });
    expect(channel.viewerCount).toBe(2);
    const other = setup();
    other.channel.onInit(init);
    const broken = new TestSink();
    broken.sendMedia = () => {
      throw new Error('socket gone');
    };
    other.channel.watch(broken);
    expect(other.channel.viewerCount).toBe(0);
    feed(0, 3);
    other.feed(0, 3);
  });

  it('a GOP over maxGopBytes is not kept: a joiner waits for the next keyframe', () => {
    const gopBytes = fragments.slice(0, 25).reduce((n, f) => n + f.length, 0);
    const { channel, feed } = setup({ maxGopBytes: Math.floor(gopBytes / 2) });
    channel.onInit(init);
    feed(0, 20);
    expect(channel.latestKeyframe()).toBeNull();
    const v = new TestSink();
    channel.watch(v);
    expect(v.media).toEqual([init]);
    feed(20, 26);
    expect(v.media.slice(1)).toEqual([fragments[25]]);
  });
});
