import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { fetchEdgeFootage } from '../../recorder/backfill/edge-fetch.ts';
import type { EdgeFetchRequest } from '../../recorder/backfill/edge-fetch-types.ts';
import { OnvifEdgeClient, probeEdgeSupport } from '../../recorder/backfill/onvif-edge-client.ts';
import { onboardOnvif } from '../../recorder/onboarding.ts';
import { createLogger } from '../../src/logger.ts';
import { RtspClient } from '../../recorder/backfill/rtsp-client.ts';
import { H264Depacketizer, parseSpropParameterSets, type AccessUnit } from '../../recorder/backfill/h264-depacketizer.ts';
import { parseRtpHeader } from '../../recorder/backfill/onvif-replay-extension.ts';
import { writeFmp4Segment } from '../../recorder/backfill/fmp4-writer.ts';
import { systemClock } from '../../src/clock.ts';
import { vigilFailure } from '../helpers/vigil-error.ts';
import { waitFor } from '../helpers/wait.ts';
import { fetchSixSecondsFromCard } from '../helpers/edge-card-fetch.ts';
import { ffprobe } from '../helpers/ffprobe.ts';

const run = promisify(execFile);

describe('edge client against the simulator', () => {
  let sim: CameraSimulator;
  let dir: string;
  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 1, discoveryPort: null, media: { loopSeconds: 4 } });
    dir = await mkdtemp(join(tmpdir(), 'vigil-edge-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const client = (over: { password?: string; maxBytesPerSec?: number | null } = {}) => {
    const cam = sim.camera('cam-1');
    return new RtspClient({ url: cam.rtspUrl('main'), username: cam.spec.username, password: over.password ?? cam.spec.password, requestTimeoutMs: 4_000, clock: systemClock, maxBytesPerSec: over.maxBytesPerSec ?? null });
  };

  /** DESCRIBE/SETUP/PLAY of the live main stream; collects access units until `frames` arrived. */
  async function pull(c: RtspClient, frames: number): Promise<{ aus: AccessUnit[]; d: H264Depacketizer; sprop: Buffer[] }> {
    await c.connect();
    await c.options();
    const { sdp } = await c.describe();
    const video = sdp.media.find((m) => m.kind === 'video')!;
    expect(video.encoding).toBe('H264');
    const sprop = parseSpropParameterSets(video.fmtp.get('sprop-parameter-sets') ?? '');
    const d = new H264Depacketizer(sprop);
    const aus: AccessUnit[] = [];
    c.onPacket = (ch, pkt) => {
      if (ch !== 0) return;
      const h = parseRtpHeader(pkt);
      if (h) aus.push(...d.push(h));
    };
    await c.setup(video.controlUrl, 0);
    await c.play(sdp.controlUrl, { Range: 'npt=0.000-' });
    await waitFor(`${frames} frames`, () => aus.length >= frames, { timeoutMs: 20_000 });
    return { aus, d, sprop };
  }

  it('live stream: Digest auth, DESCRIBE/SETUP/PLAY, access units that become a playable segment', async () => {
    const c = client();
    try {
      const { aus, d } = await pull(c, 60);
      expect(aus[0]!.keyframe).toBe(true);
      expect(d.lostPackets).toBe(0);
      const base = aus[0]!.rtpTimestamp;
      const samples = aus.map((a) => ({ data: { nalUnits: a.nalUnits }, keyframe: a.keyframe, ptsTicks: (a.rtpTimestamp - base + 0x1_0000_0000) % 0x1_0000_0000 }));
      const file = join(dir, 'live.mp4');
      await writeFile(file, writeFmp4Segment({ sps: d.sps!, pps: d.pps! }, samples));
      const probe = await ffprobe(file);
      expect(probe.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264', width: 1920, height: 1080 });
      const decode = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
      expect(decode.stderr).toBe('');
    } finally {
      await c.close();
    }
    expect((await c.ended).reason).toBe('closed');
  });

  it('wrong password: a clear error that names the camera and never the password', async () => {
    const c = client({ password: 'Secret-Wrong-1' });
    try {
      await c.connect();
      const e = await vigilFailure(c.describe(), 'describe');
      expect(e.code).toBe('camera_auth_failed');
      expect(e.message).toContain(c.address);
      expect(e.message).toMatch(/401/);
      expect(e.message).not.toContain('Secret-Wrong-1');
    } finally {
      await c.close();
    }
  });

  it('bandwidth bound: reading is held near the limit by pausing the socket (measured, not asserted as speed)', async () => {
    const limit = 100_000;
    const c = client({ maxBytesPerSec: limit });
    try {
      await pull(c, 1);
      const startBytes = c.bytesRead;
      const t0 = Date.now();
      await waitFor('400 kB read', () => c.bytesRead - startBytes >= 400_000, { timeoutMs: 20_000 });
      const elapsedMs = Date.now() - t0;
      const bytes = c.bytesRead - startBytes;
      console.log(`live, bound ${limit} B/s: read ${Math.round((bytes * 1000) / elapsedMs)} B/s over ${elapsedMs} ms`);
      // The bucket admits at most its capacity (1 s of rate) plus rate × elapsed, plus one socket read (64 KiB).
      expect(bytes).toBeLessThanOrEqual(limit * (1 + elapsedMs / 1000) + 64 * 1024);
    } finally {
      await c.close();
    }
  });

  it('nothing listening: camera_unreachable naming host:port', async () => {
    const c = new RtspClient({ url: 'rtsp://127.0.0.1:9/x', username: 'a', password: 'b', requestTimeoutMs: 2_000, clock: systemClock });
    const e = await vigilFailure(c.connect(), 'connect');
    expect(e.code).toBe('camera_unreachable');
    expect(e.message).toContain('127.0.0.1:9');
  });
});

describe('fetchEdgeFootage end to end against a simulated camera with an SD card', () => {
  let sim: CameraSimulator;
  let dir: string;
  const SKEW_MS = 90_000;
  beforeAll(async () => {
    sim = await CameraSimulator.start({
      cameras: [defaultSpec(0, { video: 'h264', audio: 'none', edge: { retentionMs: 3_600_000 } }), defaultSpec(1, { video: 'h264', audio: 'none' })],
      discoveryPort: null,
      media: { loopSeconds: 4 },
    });
    sim.camera('cam-1').faults.set({ clockSkewMs: SKEW_MS });
    dir = await mkdtemp(join(tmpdir(), 'vigil-edgefetch-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const access = (id: string) => {
    const cam = sim.camera(id);
    return { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password };
  };

  const request = (over: Partial<EdgeFetchRequest> & { range: EdgeFetchRequest['range']; clockOffsetMs: number }, out: string): EdgeFetchRequest => ({
    cameraId: 'cam-1',
    onvif: access('cam-1'),
    segmentTargetMs: 2_000,
    outDir: out,
    maxBytesPerSec: null,
    requestTimeoutMs: 4_000,
    signal: new AbortController().signal,
    log: createLogger({ level: 'silent' }),
    ...over,
  });

  it('onboarding finds Profile G on the camera with a card and not on the other', async () => {
    const withCard = await onboardOnvif({ ...access('cam-1'), timeoutMs: 4_000 }, systemClock);
    expect(withCard.edge).toMatchObject({ profileG: true, recordingToken: expect.any(String) });
    expect(Math.abs(withCard.clockOffsetMs - SKEW_MS)).toBeLessThan(1_000);
    const without = await probeEdgeSupport(access('cam-2'), systemClock, 4_000);
    expect(without.profileG).toBe(false);
    expect(without.detail).toMatch(/no Profile G/);
  });

  it('replays a range: segments play, frames sit on the camera timeline, clock skew corrected', async () => {
    const originMs = sim.camera('cam-1').edge!.startMs;
    const range = { startMs: originMs + 1_000, endMs: originMs + 7_000 };
    // The camera's own search says when its card holds the whole range (camera clock = true + skew).
    const search = new OnvifEdgeClient(access('cam-1'), systemClock, { timeoutMs: 4_000, clockOffsetMs: SKEW_MS });
    const { searchXaddr } = await search.getServices();
    await waitFor('the card to hold the range', async () => ((await search.findRecordings(searchXaddr!))[0]?.latestMs ?? 0) - SKEW_MS >= range.endMs, { timeoutMs: 15_000, intervalMs: 250 });
    for (const bound of [null, 400_000] as const) {
      const out = await mkdtemp(join(dir, 'run-'));
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      const r = await fetchEdgeFootage(request({ range, clockOffsetMs: SKEW_MS, maxBytesPerSec: bound }, out));
      const elapsed = Date.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const bytes = r.segments.reduce((n, s) => n + s.sizeBytes, 0);
      console.log(`edge fetch of 6 s, bound ${bound ?? 'none'}: ${elapsed} ms, ${Math.round((bytes * 1000) / elapsed)} B/s of segments, CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms; ${r.detail}`);
      expect(r.edgeHas).toEqual([range]);
      // First keyframe at or after range.startMs: the GOP is 2 s from the origin.
      // Frame times within one frame interval (40 ms) of the camera's own timeline.
      const want = [[2_000, 2_000], [4_000, 2_000], [6_000, 1_000]];
      expect(r.segments.length).toBe(want.length);
      r.segments.forEach((s, i) => {
        expect(Math.abs(s.startMs - originMs - want[i]![0]!)).toBeLessThanOrEqual(40);
        expect(Math.abs(s.durationMs - want[i]![1]!)).toBeLessThanOrEqual(40);
      });
      for (const s of r.segments) {
        const probe = await ffprobe(s.path);
        expect(probe.streams[0]).toMatchObject({ codec_name: 'h264', width: 1920, height: 1080 });
        // One packet per 40 ms frame, each at exactly its 90 kHz time from the segment start.
        const pk = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts', '-of', 'csv=p=0', s.path]);
        const pts = pk.stdout.trim().split('\n').map(Number).sort((a, b) => a - b);
        expect(pts).toEqual(Array.from({ length: Math.round(s.durationMs / 40) }, (_, i) => i * 3_600));
        const decode = await run('ffmpeg', ['-v', 'error', '-i', s.path, '-f', 'null', '-']);
        expect(decode.stderr).toBe('');
        expect(s.path).toBe(join(out, `${s.startMs}-${s.durationMs}.mp4`));
      }
      expect(r.recovered).toEqual([{ startMs: r.segments[0]!.startMs, endMs: range.endMs }]);
    }
  });

  it('abort during a replay: an error, and no files of that call left behind', async () => {
    const originMs = sim.camera('cam-1').edge!.startMs;
    const out = await mkdtemp(join(dir, 'abort-'));
    const ac = new AbortController();
    const p = fetchEdgeFootage(request({ range: { startMs: originMs, endMs: originMs + 7_000 }, clockOffsetMs: SKEW_MS, maxBytesPerSec: 300_000, signal: ac.signal }, out));
    await waitFor('the first segment file', async () => (await readdir(out)).some((f) => f.endsWith('.mp4') && !f.startsWith('.')), { timeoutMs: 15_000 });
    ac.abort();
    const e = await vigilFailure(p, 'aborted fetch');
    expect(e.message).toMatch(/stopped/);
    expect(await readdir(out)).toEqual([]);
  });

  it('a camera without edge storage gives nothing and says so', async () => {
    const r = await fetchEdgeFootage(request({ cameraId: 'cam-2', onvif: access('cam-2'), range: { startMs: Date.now() - 5_000, endMs: Date.now() }, clockOffsetMs: 0 }, dir));
    expect(r.segments).toEqual([]);
    expect(r.detail).toMatch(/no Profile G/);
  });
});

describe('fetchEdgeFootage: backfilled segments carry the camera audio as live segments do (AAC)', () => {
  let sim: CameraSimulator;
  let dir: string;
  beforeAll(async () => {
    const edge = { retentionMs: 3_600_000 };
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { video: 'h264', audio: 'pcma', edge }), defaultSpec(1, { video: 'h264', audio: 'aac', edge })], discoveryPort: null, media: { loopSeconds: 4 } });
    dir = await mkdtemp(join(tmpdir(), 'vigil-edgeaudio-'));
  });
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Start and length (s) per stream, as ffprobe reads them. */
  async function spans(file: string): Promise<Record<string, { start: number; length: number; rate: number; channels: number }>> {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels,start_time,duration', '-of', 'json', file]);
    const j = JSON.parse(stdout) as { streams: Array<{ codec_name: string; sample_rate?: string; channels?: number; start_time: string; duration: string }> };
    return Object.fromEntries(j.streams.map((s) => [s.codec_name, { start: Number(s.start_time), length: Number(s.duration), rate: Number(s.sample_rate ?? 0), channels: s.channels ?? 0 }]));
  }

  const fetchFrom = (id: string, over: { ffmpegPath?: string } = {}) => fetchSixSecondsFromCard(sim, id, dir, over);

  it('G.711 that ffmpeg cannot encode: the video is kept, video-only segments, and the detail says why', async () => {
    const r = await fetchFrom('cam-1', { ffmpegPath: join(dir, 'no-such-ffmpeg') });
    expect(r.segments.length).toBe(3);
    expect(r.detail).toMatch(/3 of 3 segment\(s\) are video only: ffmpeg could not turn the camera's G.711 audio into AAC/);
    for (const s of r.segments) {
      expect((await ffprobe(s.path)).streams.map((x) => x.codec_name)).toEqual(['h264']);
      expect((await run('ffmpeg', ['-v', 'error', '-i', s.path, '-f', 'null', '-'])).stderr).toBe('');
    }
  });

  it.each([
    ['cam-1', 'PCMA audio encoded to AAC', 8_000],
    ['cam-2', 'AAC audio copied', 16_000],
  ])('%s (%s): h264 + aac at %i Hz mono, audio from within one AAC frame of the video start to its end, real sound', async (id, what, rate) => {
    const r = await fetchFrom(id);
    expect(r.detail).toContain(`${what} in every segment`);
    expect(r.segments.length).toBe(3);
    const frameS = 1024 / rate;
    for (const s of r.segments) {
      const st = await spans(s.path);
      expect(Object.keys(st).sort()).toEqual(['aac', 'h264']);
      expect(st['aac']).toMatchObject({ rate, channels: 1 });
      console.log(`${id} ${what}: segment ${s.durationMs} ms: video starts ${st['h264']!.start.toFixed(3)} s, audio ${st['aac']!.start.toFixed(3)} s; video ${st['h264']!.length.toFixed(3)} s, audio ${st['aac']!.length.toFixed(3)} s`);
      expect(Math.abs(st['aac']!.start - st['h264']!.start)).toBeLessThanOrEqual(frameS);
      expect(Math.abs(st['aac']!.length - s.durationMs / 1000)).toBeLessThanOrEqual(frameS);
      const decode = await run('ffmpeg', ['-v', 'error', '-i', s.path, '-f', 'null', '-']);
      expect(decode.stderr).toBe('');
      // The simulator's tone beeps once a second: the segment's audio is not silence.
      const vol = await run('ffmpeg', ['-v', 'info', '-nostats', '-i', s.path, '-map', '0:a', '-af', 'volumedetect', '-f', 'null', '-']);
      expect(Number(/max_volume: (-?[\d.]+) dB/.exec(vol.stderr)?.[1] ?? -99)).toBeGreaterThan(-30);
    }
  });
});
