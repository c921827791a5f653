import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.ts';
import { defaultSpec, type SimCameraSpec, type VideoKind } from '../../recorder/sim/camera-spec.ts';
import { CameraFaults } from '../../recorder/sim/faults.ts';
import { type CameraMedia, prepareCameraMedia, RtspCameraServer } from '../../recorder/sim/rtsp-server.ts';
import { TestRtspClient } from '../helpers/rtsp-client.ts';
import { nextEvent, waitFor } from '../helpers/wait.ts';

/**
 * The simulated camera's RTSP side against real clients: ffprobe/ffmpeg, and a small test client
 * that records every RTP packet and sender report with its arrival time. Short 4 s loops.
 */

const LOOP_SECONDS = 4;
const H264 = defaultSpec(0); // h264 + pcma
const BFRAMES = defaultSpec(1); // h264-bframes + aac
const H265 = defaultSpec(2); // h265, no audio
const media = new Map<VideoKind, CameraMedia>();

beforeAll(async () => {
  for (const spec of [H264, BFRAMES, H265]) media.set(spec.video, await prepareCameraMedia(spec, { loopSeconds: LOOP_SECONDS }));
}, 300_000);

async function startCamera(ctx: TestContext, spec: SimCameraSpec, opts: { clock?: Clock; maxBufferedBytes?: number } = {}) {
  const clock = opts.clock ?? systemClock;
  const faults = new CameraFaults(clock);
  const server = new RtspCameraServer({ spec, faults, clock, media: media.get(spec.video)!, ...(opts.maxBufferedBytes ? { maxBufferedBytes: opts.maxBufferedBytes } : {}) });
  await server.start();
  const clients: TestRtspClient[] = [];
  ctx.onTestFinished(async () => {
    for (const c of clients) c.close();
    faults.clear();
    await server.stop();
  });
  const play = async (stream: 'main' | 'sub' = 'main') => {
    const client = await TestRtspClient.connect(server.url(stream, { withCredentials: true }));
    clients.push(client);
    await client.play();
    return client;
  };
  return { faults, server, play, clients };
}

/** Runs a tool to completion (killed after timeoutMs); never throws on a non-zero exit. */
function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Probed {
  streams: Array<{ index: number; codec_type: string; codec_name: string; width?: number; height?: number; sample_rate?: string }>;
  packets?: Array<{ stream_index: number; pts_time?: string; dts_time?: string }>;
  frames?: Array<{ width: number; height: number; key_frame: number }>;
}

/** ffprobe on a live RTSP URL, reading `seconds` of media; `select` restricts to e.g. 'v'. */
async function ffprobe(url: string, seconds: number, entries: string, select?: string): Promise<Probed> {
  const args = ['-v', 'error', '-rtsp_transport', 'tcp', '-read_intervals', `%+${seconds}`, '-show_entries', entries];
  if (select) args.push('-select_streams', select);
  const res = await run('ffprobe', [...args, '-of', 'json', url]);
  if (res.code !== 0) throw new Error(`ffprobe failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Probed;
}

const u32diff = (later: number, earlier: number) => (later - earlier) >>> 0;

describe.concurrent('ffprobe reads every kind of simulated camera', () => {
  it.for([H264, BFRAMES, H265])('$video video, $audio audio', async (spec, ctx) => {
    const { server } = await startCamera(ctx, spec);
    const probed = await ffprobe(
      server.url('main', { withCredentials: true }),
      5,
      'stream=index,codec_type,codec_name,width,height,sample_rate:packet=stream_index,pts_time,dts_time',
    );
    const video = probed.streams.find((s) => s.codec_type === 'video')!;
    expect(video).toMatchObject({ codec_name: spec.video === 'h265' ? 'hevc' : 'h264', width: 1920, height: 1080 });
    const audio = probed.streams.find((s) => s.codec_type === 'audio');
    if (spec.audio === 'none') expect(audio).toBeUndefined();
    else expect(audio).toMatchObject(spec.audio === 'pcma' ? { codec_name: 'pcm_alaw', sample_rate: '8000' } : { codec_name: 'aac', sample_rate: '16000' });

    const times = (index: number, key: 'pts_time' | 'dts_time') =>
      (probed.packets ?? []).filter((p) => p.stream_index === index && p[key] !== undefined && p[key] !== 'N/A').map((p) => Number(p[key]));
    const vpts = times(video.index, 'pts_time');
    expect(Math.max(...vpts) - Math.min(...vpts)).toBeGreaterThan(4.5);
    if (audio) {
      const apts = times(audio.index, 'pts_time');
      expect(Math.max(...apts) - Math.min(...apts)).toBeGreaterThan(4);
    }
    // B-frames: presentation order differs from decode order.
    let maxPts = -Infinity;
    let reordered = 0;
    for (const t of vpts) {
      if (t < maxPts) reordered++;
      maxPts = Math.max(maxPts, t);
    }
    if (spec.video === 'h264-bframes') expect(reordered).toBeGreaterThan(20);
    else expect(reordered).toBe(0);

    const sub = await ffprobe(server.url('sub', { withCredentials: true }), 1, 'stream=index,codec_type,codec_name,width,height');
    expect(sub.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 640, height: 360 });
  });
});

describe('RTSP camera simulator', () => {
  it('starts at a keyframe and keeps RTP timestamps and sequence numbers running across the loop', async (ctx) => {
    const { server, play } = await startCamera(ctx, H264);
    const client = await play();
    const frames = () => client.rtp.filter((p) => p.channel === 0 && p.marker);
    const wantTicks = (LOOP_SECONDS + 1) * 90_000;
    await client.until(() => frames().length > 1 && u32diff(frames().at(-1)!.timestamp, frames()[0]!.timestamp) > wantTicks, 15_000, 'over one loop of video');

    expect(client.rtp[0]!.payload[0]! & 0x1f).toBe(7); // the first packet is the SPS of a keyframe
    const v = frames();
    for (let i = 1; i < v.length; i++) expect(u32diff(v[i]!.timestamp, v[i - 1]!.timestamp)).toBe(3600);
    const audio = client.rtp.filter((p) => p.channel === 2);
    expect(audio.length).toBeGreaterThan(LOOP_SECONDS * 50);
    for (let i = 1; i < audio.length; i++) expect(u32diff(audio[i]!.timestamp, audio[i - 1]!.timestamp)).toBe(160);
    for (const ch of [0, 2]) {
      const seqs = client.rtp.filter((p) => p.channel === ch).map((p) => p.seq);
      for (let i = 1; i < seqs.length; i++) expect((seqs[i]! - seqs[i - 1]! + 0x10000) % 0x10000).toBe(1);
    }
    expect(server.activeSessions()).toBe(1);
    await client.teardown();
    expect(server.activeSessions()).toBe(0);
    expect(server.totalSessionsOpened()).toBe(1);
    expect(server.stats().framesSent).toBeGreaterThanOrEqual(v.length);
  });

  it('stall: no RTP or RTCP at all for the stall, then media again', async (ctx) => {
    const { faults, play } = await startCamera(ctx, H264);
    const client = await play();
    await client.until(() => client.rtp.length > 50, 5000, 'media flowing');
    let stallEnd = 0;
    faults.on('change', (f: { stall: boolean }) => {
      if (!f.stall && stallEnd === 0) stallEnd = Date.now();
    });
    faults.set({ stall: true }, 2000);
    const stallStart = Date.now();
    const resumed = await client.until(() => stallEnd > 0 && client.rtp.find((p) => p.arrivalMs >= stallEnd), 6000, 'RTP after the stall');

    const during = (t: number) => t > stallStart + 50 && t < stallEnd;
    expect(client.rtp.filter((p) => during(p.arrivalMs))).toEqual([]);
    expect(client.senderReports.filter((r) => during(r.arrivalMs))).toEqual([]);
    const before = client.rtp.filter((p) => p.arrivalMs < resumed.arrivalMs).at(-1)!;
    expect(resumed.arrivalMs - before.arrivalMs).toBeGreaterThanOrEqual(1900);
    // Video resumes decodable: from a keyframe or the frame after the last one sent.
    await client.until(() => client.rtp.find((p) => p.channel === 0 && p.arrivalMs >= stallEnd), 3000, 'video after the stall');
  });

  it('refuse: new connections get ECONNREFUSED, live sessions carry on, clearing reopens the same port', async (ctx) => {
    const { server, faults, play } = await startCamera(ctx, H264);
    const port = server.port;
    const live = await play();
    faults.set({ refuse: true });
    await expect(TestRtspClient.connect(server.url('main'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const count = live.rtp.length;
    await live.until(() => live.rtp.length > count + 25, 3000, 'the live session to keep receiving');

    const listening = nextEvent(server, 'listening', 5000);
    faults.set({ refuse: false });
    await listening;
    expect(server.port).toBe(port);
    const again = await play();
    await again.until(() => again.rtp.length > 0, 3000, 'RTP on a new session');
  });

  it('drop: every connection is closed at once', async (ctx) => {
    const { server, faults, play } = await startCamera(ctx, H265);
    const a = await play();
    const b = await play('sub');
    expect(server.activeSessions()).toBe(2);
    faults.dropSessions();
    await a.until(() => a.closed, 2000, 'main session closed');
    await b.until(() => b.closed, 2000, 'sub session closed');
    await waitFor('sessions to be counted closed', () => server.activeSessions() === 0, { timeoutMs: 2000 });
  });

  it('wrong credentials: 401 for ffprobe and for Digest with the configured password', async (ctx) => {
    const { server, faults } = await startCamera(ctx, H264);
    const bad = await TestRtspClient.connect(server.url('main').replace('rtsp://', 'rtsp://admin:nope@'));
    expect((await bad.request('DESCRIBE')).status).toBe(401);
    bad.close();
    faults.set({ wrongCredentials: true });
    const res = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', server.url('main', { withCredentials: true })]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('401 Unauthorized');
    const client = await TestRtspClient.connect(server.url('main', { withCredentials: true }));
    expect((await client.request('DESCRIBE')).status).toBe(401);
    faults.set({ wrongCredentials: false });
    expect((await client.request('DESCRIBE')).status).toBe(200);
    client.close();
  });

  it('throttle: media received stays within the rate plus one second of burst', async (ctx) => {
    const { faults, play } = await startCamera(ctx, H264);
    const rate = 100_000; // bytes/s, well under the ~280 kB/s the 1080p stream with audio needs
    faults.set({ throttleBytesPerSec: rate });
    const started = Date.now();
    const client = await play();
    const last = await client.until(() => client.rtp.find((p) => p.arrivalMs - started >= 3000), 8000, '3 s of media');
    const elapsedS = (last.arrivalMs - started) / 1000;
    const bytes = client.rtp.filter((p) => p.arrivalMs <= last.arrivalMs).reduce((n, p) => n + p.wireBytes, 0);
    expect(bytes).toBeLessThanOrEqual(rate * (1 + elapsedS) * 1.02);
    expect(client.rtp.some((p) => p.channel === 0 && (p.payload[0]! & 0x1f) === 7)).toBe(true); // keyframes get through
  });

  it('altResolution: ffprobe decodes 1920x1080, then 1280x720 from the next keyframe on', async (ctx) => {
    const { server, faults } = await startCamera(ctx, H264);
    server.once('play', () => faults.set({ altResolution: true }));
    const probed = await ffprobe(server.url('main', { withCredentials: true }), 5, 'stream=index,codec_type:frame=width,height,key_frame', 'v');
    const sizes = (probed.frames ?? []).map((f) => `${f.width}x${f.height}`);
    expect(sizes[0]).toBe('1920x1080');
    const firstAlt = sizes.indexOf('1280x720');
    expect(firstAlt).toBeGreaterThan(0);
    expect(probed.frames![firstAlt]!.key_frame).toBe(1);
    expect(sizes.slice(firstAlt).every((s) => s === '1280x720')).toBe(true);
  });

  it("RTCP sender reports carry the camera's skewed clock, mapped to the RTP timestamps", async (ctx) => {
    const { faults, play } = await startCamera(ctx, BFRAMES);
    const skewMs = -2 * 3_600_000 - 1234;
    faults.set({ clockSkewMs: skewMs });
    const client = await play();
    const srs = () => client.senderReports.filter((r) => r.channel === 1); // RTCP of the video track (RTP on 0)
    await client.until(() => srs().length >= 3, 5000, 'three video sender reports');
    // Tolerances allow for a loaded machine; a missing skew or a wrong mapping is off by hours or by 2^32 ticks.
    for (const sr of srs()) expect(Math.abs(sr.ntpMs - sr.arrivalMs - skewMs)).toBeLessThan(1000);
    const audioSr = client.senderReports.find((r) => r.channel === 3);
    expect(audioSr).toBeDefined();
    // The RTP time in a report matches the media sent around then (B-frame streams run a few frames ahead).
    const sr = srs().at(-1)!;
    const lastVideo = client.rtp.filter((p) => p.channel === 0 && p.arrivalMs <= sr.arrivalMs).at(-1)!;
    const delta = (lastVideo.timestamp - sr.rtpTimestamp) | 0;
    expect(Math.abs(delta)).toBeLessThan(90_000);
  });

  // ffmpeg times a two-track stream from each report's NTP/RTP pair: the two fields must name
  // one instant, or the recording jumps by their difference at every report (seen as ±1 ms
  // steps at 90 kHz when the pair was read from the clock twice on a busy machine).
  it('each sender report names one instant in both its NTP and RTP fields', async (ctx) => {
    let reads = 0;
    // Reads alternate between now and 1 ms later, as two reads straddling a millisecond do.
    const jittery: Clock = { nowMs: () => systemClock.nowMs() + (reads++ % 2), setTimer: (ms, fn) => systemClock.setTimer(ms, fn) };
    const client = await (await startCamera(ctx, H264, { clock: jittery })).play();
    const srs = () => client.senderReports.filter((r) => r.channel === 1);
    await client.until(() => srs().length >= 4, 10_000, 'four video sender reports');
    const [first, ...rest] = srs();
    // Ticks elapsed between reports vs NTP time elapsed, in ms (90 ticks per ms).
    const drift = rest.map((r) => ((r.rtpTimestamp - first!.rtpTimestamp) >>> 0) / 90 - (r.ntpMs - first!.ntpMs));
    expect(drift.map((d) => Math.round(Math.abs(d) * 10) / 10)).toEqual(rest.map(() => 0));
  });

  it('a reader that stops reading gets frames dropped, not an ever-growing buffer', async (ctx) => {
    const { server, play } = await startCamera(ctx, H264, { maxBufferedBytes: 64 * 1024 });
    const client = await play();
    client.pauseReading();
    await waitFor('frames dropped for the stuck reader', () => server.stats().framesDropped > 0, { timeoutMs: 40_000, intervalMs: 200 });
  }, 60_000);

  it('answers UDP transport with 461 and unknown paths with 404', async (ctx) => {
    const { server } = await startCamera(ctx, H264);
    const client = await TestRtspClient.connect(server.url('main', { withCredentials: true }));
    expect((await client.request('DESCRIBE', client.url.replace('/main', '/nope'))).status).toBe(404);
    const udp = await client.request('SETUP', `${client.url}/trackID=0`, [['Transport', 'RTP/AVP;unicast;client_port=5000-5001']]);
    expect(udp.status).toBe(461);
    client.close();
    // A raw connection that is not RTSP is hung up on.
    const raw = connect(server.port, '127.0.0.1');
    raw.write('GARBAGE\r\n\r\n');
    await nextEvent(raw, 'close', 2000);
  });
});
