import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { buildRecordArgs, toArgv } from '../../recorder/ffmpeg-args.ts';
import { parseInit } from '../../src/fmp4/init-info.ts';
import { decideAssembly } from '../../src/clip/clip-assembly.ts';
import { sampleHasParameterSets } from '../../src/fmp4/parameter-sets.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { fetchSixSecondsFromCard } from '../helpers/edge-card-fetch.ts';

const run = promisify(execFile);

// An H.265 camera's card replayed over RTSP (RFC 7798) becomes segments shaped like the ones
// the recorder's own ffmpeg writes from the same camera live: hev1 at 90 kHz with AAC, so a
// clip across recovered and live footage joins by fragment copy.
describe('fetchEdgeFootage from an H.265 camera', () => {
  let sim: CameraSimulator;
  let dir: string;
  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { id: 'cam-1', video: 'h265', audio: 'aac', edge: { retentionMs: 3_600_000 } })], discoveryPort: null, media: { loopSeconds: 4 } });
    dir = await mkdtemp(join(tmpdir(), 'vigil-edge265-'));
  }, 120_000);
  afterAll(async () => {
    await sim?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('replays 6 s into hev1 segments that decode, frame times exact, layout as the live recording', async () => {
    const cam = sim.camera('cam-1');
    const r = await fetchSixSecondsFromCard(sim, 'cam-1', dir);
    const bytes = r.segments.reduce((n, x) => n + x.sizeBytes, 0);
    console.log(`[figures] H.265 edge fetch of 6 s (1080p + AAC): ${r.fetchMs} ms wall, ${bytes} B in ${r.segments.length} segments; ${r.detail}`);
    const { originMs, range } = r;
    expect(r.segments.map((s) => [s.startMs - originMs, s.durationMs])).toSatisfy((got: number[][]) =>
      got.length === 3 && [[2_000, 2_000], [4_000, 2_000], [6_000, 1_000]].every(([at, len], i) => Math.abs(got[i]![0]! - at!) <= 40 && Math.abs(got[i]![1]! - len!) <= 40),
    );
    expect(r.recovered).toEqual([{ startMs: r.segments[0]!.startMs, endMs: range.endMs }]);
    for (const s of r.segments) {
      const probe = await ffprobe(s.path);
      expect(probe.streams.map((x) => [x.codec_type, x.codec_name])).toEqual([['video', 'hevc'], ['audio', 'aac']]);
      expect(probe.streams[0]).toMatchObject({ width: 1920, height: 1080 });
      const pk = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts', '-of', 'csv=p=0', s.path]);
      const pts = pk.stdout.trim().split('\n').map(Number).sort((a, b) => a - b);
      expect(pts).toEqual(Array.from({ length: Math.round(s.durationMs / 40) }, (_, i) => i * 3_600));
      const decode = await run('ffmpeg', ['-v', 'error', '-i', s.path, '-f', 'null', '-']);
      expect(decode.stderr).toBe('');
    }

    // The recorder's ffmpeg on the same camera, live, for a few seconds.
    const liveDir = await mkdtemp(join(dir, 'live-'));
    const args = buildRecordArgs({ inputUrl: cam.rtspUrl('main', true), segmentMs: 2_000, socketTimeoutMs: 5_000, audio: 'copy', filePattern: join(liveDir, 'seg-%03d.mp4') });
    await run('ffmpeg', ['-t', '5', ...toArgv(args)], { timeout: 30_000 });
    const liveFile = (await readdir(liveDir)).filter((f) => f.endsWith('.mp4')).sort()[0]!;
    const live = parseInit(await readFile(join(liveDir, liveFile)));
    const recovered = parseInit(await readFile(r.segments[0]!.path));
    expect(recovered.layoutFingerprint).toBe(live.layoutFingerprint);
    expect(recovered.tracks.map((t) => [t.codec, t.timescale])).toEqual([['hev1', 90_000], ['mp4a', live.tracks[1]!.timescale]]);
    // A clip across recovered and live footage joins by fragment copy: same layout, and where
    // the hvcC differs (ffmpeg reads more of the VUI), each first sample carries VPS/SPS/PPS.
    const inBand = async (file: string) => {
      const buf = await readFile(file);
      const mdat = buf.indexOf('mdat', parseInit(buf).initBytes, 'latin1') + 4;
      return sampleHasParameterSets(buf.subarray(mdat, mdat + 4096), 'h265', 4);
    };
    expect(await inBand(r.segments[0]!.path)).toBe(true);
    expect(await inBand(join(liveDir, liveFile))).toBe(true);
    expect(decideAssembly([{ init: live }, { init: recovered, inBandParameterSets: true }, { init: live, inBandParameterSets: true }])).toEqual({ kind: 'fragment_copy' });
  }, 120_000);
});
