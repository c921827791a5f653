import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { buildRecordArgs } from '../../recorder/ffmpeg-args.ts';
import { FfmpegRun } from '../../recorder/ffmpeg-process.ts';
import { buildLiveOutput } from '../../recorder/live/live-output-args.ts';
import { Fmp4Splitter } from '../../recorder/live/fmp4-splitter.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The live output never holds up the recording: the real ffmpeg with its recording and its
 * live output, the live socket served by the test, which stops reading or cuts the connection.
 */
describe('live output of the recording ffmpeg', () => {
  let sim: CameraSimulator;
  let dir: string;

  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { video: 'h264', audio: 'pcma' })], discoveryPort: null, media: { loopSeconds: 4 } });
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-live-ff-'));
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(name: string, onConnection: (c: Socket, n: number) => void) {
    const socketPath = path.join(dir, `${name}.sock`);
    let n = 0;
    const sockets = new Set<Socket>();
    const server: Server = createServer((c) => {
      sockets.add(c);
      onConnection(c, n++);
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    const args = buildRecordArgs({
      inputUrl: sim.cameras[0]!.rtspUrl('main', true), segmentMs: 1_000, socketTimeoutMs: 7_000, audio: 'transcode_aac',
      filePattern: path.join(dir, `${name}-%06d.mp4`),
      extraOutputs: [buildLiveOutput({ socketPath, fragmentMs: 200, queuePackets: 100 })],
    });
    const ffmpeg = new FfmpegRun(args, { ffmpegPath: 'ffmpeg', clock: systemClock });
    const segments: Array<{ atMs: number }> = [];
    ffmpeg.on('segment', () => segments.push({ atMs: Date.now() }));
    ffmpeg.start();
    return {
      ffmpeg, segments, connections: () => n,
      async stop() {
        await ffmpeg.stop();
        for (const c of sockets) c.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  it('keeps listing segments while the live reader reads nothing', async () => {
    let paused: Socket | null = null;
    let liveBytes = 0;
    const r = await run('paused', (c) => {
      c.on('data', (d: Buffer) => {
        liveBytes += d.length;
        if (liveBytes > 200_000 && !c.isPaused()) {
          c.pause();
          paused = c;
        }
      });
    });
    await waitFor('the live reader paused', () => paused, { timeoutMs: 15_000 });
    const pausedAt = Date.now();
    const before = r.segments.length;
    // The reader stays paused all along: ffmpeg must go on cutting 1 s segments regardless.
    await waitFor('4 more segments while live is not read', () => r.segments.length >= before + 4, { timeoutMs: 15_000 });
    expect(paused!.isPaused()).toBe(true);
    expect(r.segments.slice(before).every((s) => s.atMs >= pausedAt)).toBe(true);
    const stopAt = Date.now();
    await r.stop();
    console.log(`ffmpeg stopped ${Date.now() - stopAt} ms after SIGINT with its live reader paused`);
  });

  it('goes on recording when the live connection is cut, and the live output reconnects with a new init', async () => {
    const inits: number[] = [];
    let first: Socket | null = null;
    const r = await run('cut', (c, n) => {
      const split = new Fmp4Splitter();
      c.on('data', (d: Buffer) => {
        for (const p of split.push(d).pieces) if (p.kind === 'init') inits.push(n);
      });
      c.on('error', () => undefined);
      if (n === 0) first = c;
    });
    await waitFor('first live init', () => inits.includes(0), { timeoutMs: 15_000 });
    const before = r.segments.length;
    first!.destroy();
    await waitFor('a second live connection with its own init', () => inits.includes(1), { timeoutMs: 15_000 });
    await waitFor('recording went on', () => r.segments.length >= before + 3, { timeoutMs: 15_000 });
    let exited = false;
    void r.ffmpeg.whenExited().then(() => (exited = true));
    expect(exited).toBe(false);
    await r.stop();
  });
});
