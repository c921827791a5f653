import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { prepareClip, type ClipDeps } from '../../src/clip/prepare-clip.ts';
import type { ClipByteRange, PreparedClip } from '../../src/clip/clip-types.ts';
import { SegmentFacts } from '../../src/fmp4/segment-facts.ts';

const run = promisify(execFile);

// One recording for the whole file: an H.264 camera with B-frames and G.711 audio that loses
// its network for a few seconds (a gap), and a plain H.264 camera that switches resolution.
/** One frame of the simulator's 25 fps at the recorder's 90 kHz video clock. */
const FRAME_TICKS = 90_000 / 25;

describe('clips from real recordings', () => {
  let h: RecorderHarness;
  let segments: SegmentsRepo;
  let gaps: GapsRepo;
  let dir: string;
  let deps: ClipDeps;
  const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
  const cams = [defaultSpec(0, { id: 'bf', video: 'h264-bframes', audio: 'pcma' }), defaultSpec(1, { id: 'sw', video: 'h264', audio: 'none' })];
  const rows = (id: string) => segments.overlapping(id, all);
  let bf: SegmentRecord[];
  let sw: SegmentRecord[];
  let switchAtMs: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-clip-'));
    h = await startRecorderHarness({ cameras: cams, segmentMs: 4_000 });
    segments = new SegmentsRepo(h.db, () => Date.now());
    gaps = new GapsRepo(h.db, () => Date.now());
    await waitFor('two segments of each camera', async () => (await rows('bf')).length >= 2 && (await rows('sw')).length >= 2, { timeoutMs: 40_000, intervalMs: 250 });
    const cam = h.sim.camera('bf');
    cam.faults.set({ refuse: true }, 4_000);
    cam.faults.dropSessions();
    switchAtMs = Date.now();
    h.sim.camera('sw').faults.set({ altResolution: true });
    await waitFor('footage after the outage and after the switch', async () => {
      const g = await gaps.overlapping('bf', all);
      const afterGap = g.length ? (await segments.overlapping('bf', { startMs: g[g.length - 1]!.endMs, endMs: Number.MAX_SAFE_INTEGER })).length : 0;
      const afterSwitch = (await segments.overlapping('sw', { startMs: switchAtMs + 2_000, endMs: Number.MAX_SAFE_INTEGER })).length;
      return afterGap >= 2 && afterSwitch >= 2;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    await h.recorder.stop(); // ffmpeg finalises; nothing else competes for the CPU below
    bf = await rows('bf');
    sw = await rows('sw');
    deps = { store: h.store, segments, gaps, facts: new SegmentFacts(h.store) };
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bytesOf = async (r: Readable) => {
    const chunks: Buffer[] = [];
    for await (const c of r) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const save = async (clip: PreparedClip, name: string) => {
    const buf = await bytesOf(clip.open());
    expect(buf.length).toBe(clip.sizeBytes);
    const file = path.join(dir, `${name}.mp4`);
    writeFileSync(file, buf);
    return { file, buf };
  };
  const durationSec = async (file: string) => Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])).stdout);
  const decodeErrors = async (file: string) => (await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'])).stderr.trim();
  const videoDts = async (file: string) =>
    (await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts', '-of', 'csv=p=0', file])).stdout.trim().split('\n').map(Number);
  const videoPts = async (file: string) =>
    (await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts', '-of', 'csv=p=0', file])).stdout.trim().split('\n').map(Number);
  const endOf = (s: SegmentRecord) => s.startMs + s.durationMs;

  it('inside one segment: starts at the keyframe before, decodes, lasts the range within a GOP', async () => {
    const s = bf[1]!;
    const clip = await prepareClip(deps, { cameraId: 'bf', startMs: s.startMs + 1_500, endMs: s.startMs + 3_000 });
    expect(clip.info.segments.map((x) => x.objectKey)).toEqual([s.objectKey]);
    expect(clip.info.assembly).toBe('fragment_copy');
    expect(clip.info.actualStartMs).toBeLessThanOrEqual(s.startMs + 1_500);
    expect(clip.info.actualEndMs).toBeGreaterThanOrEqual(s.startMs + 3_000);
    const { file } = await save(clip, 'one');
    expect(Math.abs((await durationSec(file)) - 1.5)).toBeLessThanOrEqual(2);
    expect(await decodeErrors(file)).toBe('');
  });

  it('across joins: one file, decode time continuous (every frame 40 ms after the last)', async () => {
    const [gap] = await gaps.overlapping('bf', all);
    const firstRun = bf.filter((s) => s.startMs < gap!.startMs);
    expect(firstRun.length).toBeGreaterThanOrEqual(2);
    // From the second GOP on: ffmpeg times the very first GOP of a run irregularly.
    const startMs = firstRun[0]!.startMs + 2_500;
    const endMs = endOf(firstRun[firstRun.length - 1]!) - 300;
    const clip = await prepareClip(deps, { cameraId: 'bf', startMs, endMs });
    expect(clip.info.segments.length).toBe(firstRun.length);
    expect(clip.info.gaps).toEqual([]);
    // The actual range stays inside the indexed segments (evidence manifests check it).
    expect(clip.info.actualStartMs).toBeGreaterThanOrEqual(firstRun[0]!.startMs);
    expect(clip.info.actualEndMs).toBeLessThanOrEqual(endOf(firstRun[firstRun.length - 1]!));
    const { file } = await save(clip, 'joins');
    expect(Math.abs((await durationSec(file)) - (clip.info.actualEndMs - clip.info.actualStartMs) / 1000)).toBeLessThanOrEqual(1); // what the clip says it covers
    expect(await decodeErrors(file)).toBe('');
    const dts = await videoDts(file);
    const steps = dts.slice(1).map((d, i) => d - dts[i]!);
    expect(new Set(steps.slice(0, -1))).toEqual(new Set([FRAME_TICKS])); // no hole, no overlap at joins
  });

  it('across a gap: the gap is squashed and listed with its reasons', async () => {
    const [gap] = await gaps.overlapping('bf', all);
    expect(gap).toBeDefined();
    const recorded = (await gaps.overlapping('bf', all)).filter((g) => g.startMs >= gap!.startMs);
    const startMs = gap!.startMs - 3_000;
    const endMs = recorded[recorded.length - 1]!.endMs + 3_000;
    const clip = await prepareClip(deps, { cameraId: 'bf', startMs, endMs });
    expect(clip.info.gaps.map((g) => g.reason)).toEqual(recorded.map((g) => g.reason));
    expect(clip.info.gaps.map((g) => [g.startMs, g.endMs])).toEqual(recorded.map((g) => [g.startMs, g.endMs]));
    const gapMs = recorded.reduce((n, g) => n + g.endMs - g.startMs, 0);
    const { file } = await save(clip, 'gap');
    expect(Math.abs((await durationSec(file)) - (clip.info.actualEndMs - clip.info.actualStartMs - gapMs) / 1000)).toBeLessThanOrEqual(1); // what the clip says it covers, less the squashed gap
    expect(await decodeErrors(file)).toBe('');
    const dts = await videoDts(file);
    expect(dts.slice(1).every((d, i) => d > dts[i]!)).toBe(true);
    // Plays straight through: in presentation order every frame follows the one before by at
    // most a few frame intervals, never at the same instant (B-frames: the new run's first
    // frame comes after the old run's last shown frame, not after its last decoded one).
    const pts = (await videoPts(file)).sort((a, b) => a - b);
    const steps = pts.slice(1).map((p, i) => p - pts[i]!);
    expect(Math.min(...steps)).toBeGreaterThan(0);
    // ffmpeg stamps the first GOP of a new RTSP session irregularly (its I-frame is held up
    // to ~0.25 s in the recording itself), so the bound is 10 frames, far below the gap squashed.
    expect(Math.max(...steps)).toBeLessThanOrEqual(10 * FRAME_TICKS);
  });

  it('a range entirely inside the gap is not_found, naming the reason and the times', async () => {
    const g = (await gaps.overlapping('bf', all)).find((x) => x.reason === 'camera_unreachable')!;
    const err = await prepareClip(deps, { cameraId: 'bf', startMs: g.startMs + 100, endMs: g.endMs - 100 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'not_found' });
    expect((err as Error).message).toContain(`camera_unreachable from ${new Date(g.startMs).toISOString()} to ${new Date(g.endMs).toISOString()}`);
  });

  it('across a resolution change: one file, decodes, ends at the new size', async () => {
    const startMs = sw[0]!.startMs + 500;
    const endMs = endOf(sw[sw.length - 1]!) - 500;
    const clip = await prepareClip(deps, { cameraId: 'sw', startMs, endMs });
    expect(clip.info.assembly).toBe('fragment_copy');
    const { file } = await save(clip, 'switch');
    expect(await decodeErrors(file)).toBe('');
    const sizes = (await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', file])).stdout
      .trim().split('\n').map((l) => l.split(',').slice(0, 2).join(',')).filter((l) => /^\d+,\d+$/.test(l));
    expect(sizes[0]).toBe('1920,1080');
    expect(sizes[sizes.length - 1]).toBe('1280,720');
    expect(Math.abs((await durationSec(file)) - (clip.info.actualEndMs - clip.info.actualStartMs) / 1000)).toBeLessThanOrEqual(1); // what the clip says it covers
  });

  it('any byte range equals the same slice of the whole file, also when prepared afresh (one HTTP request each)', async () => {
    const req = { cameraId: 'bf', startMs: bf[0]!.startMs + 500, endMs: endOf(bf[bf.length - 1]!) - 500 };
    const whole = await bytesOf((await prepareClip(deps, req)).open());
    const size = whole.length;
    const ranges: ClipByteRange[] = [
      { start: 0, end: 0 },
      { start: 0, end: 2_000 },
      { start: 1_000, end: 1_000_500 },
      { start: Math.floor(size / 2), end: Math.floor(size / 2) + 300_000 },
      { start: size - 5_000, end: size - 1 },
      { start: size - 1, end: size + 1_000 },
    ];
    for (const r of ranges) {
      const fresh = await prepareClip({ store: h.store, segments, gaps }, req);
      expect(fresh.sizeBytes).toBe(size);
      const got = await bytesOf(fresh.open(r));
      expect(got.equals(whole.subarray(r.start, Math.min(r.end, size - 1) + 1))).toBe(true);
    }
    const past = await prepareClip(deps, req);
    expect(() => past.open({ start: size, end: size + 10 })).toThrow(expect.objectContaining({ code: 'range_not_satisfiable' }));
  });

  describe('with MinIO as the store', () => {
    let minio: MinioServer;
    let store: ObjectStore;
    beforeAll(async () => {
      minio = await startMinio();
      store = new MinioObjectStore({ endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: 'clips' });
      await store.ping();
      for (const s of bf) await store.put(s.objectKey, { data: await bytesOf(await h.store.get(s.objectKey)) });
    }, 60_000);
    afterAll(async () => {
      await minio?.destroy();
    });

    it('reads only what it needs over ranges and makes the very same file', async () => {
      const req = { cameraId: 'bf', startMs: bf[0]!.startMs + 500, endMs: endOf(bf[bf.length - 1]!) - 500 };
      const fromFs = await bytesOf((await prepareClip(deps, req)).open());
      const clip = await prepareClip({ store, segments, gaps }, req);
      const fromMinio = await bytesOf(clip.open());
      expect(fromMinio.equals(fromFs)).toBe(true);
      const mid = { start: Math.floor(fromFs.length / 3), end: Math.floor(fromFs.length / 3) + 100_000 };
      const fresh = await prepareClip({ store, segments, gaps }, req);
      expect((await bytesOf(fresh.open(mid))).equals(fromFs.subarray(mid.start, mid.end + 1))).toBe(true);
    });
  });
});
