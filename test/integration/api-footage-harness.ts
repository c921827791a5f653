import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppContext } from '../../api/app-context.ts';
import type { ApiRouteDef } from '../../api/route-def.ts';
import type { SimCameraSpec } from '../../recorder/sim/camera-spec.ts';
import { SEGMENT_MOVFLAGS } from '../../recorder/ffmpeg-args.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { initSegmentLength } from '../../src/mp4-boxes.ts';
import { segmentKey } from '../../src/object-keys.ts';
import type { MinioServer } from '../helpers/minio.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { SITES, startApiHarness, type ApiHarness } from './api-harness.ts';

/**
 * Footage for API tests. Two ways, both real media:
 *  - startRecordedApi: the real recorder records simulated cameras (real ffmpeg, real SQLite,
 *    fs store or a real MinIO) and the API is served over the same index file and store, its
 *    cameras placed at a site so scope rules apply;
 *  - seedSegments: one fragmented MP4 made by ffmpeg exactly as the recorder muxes (same
 *    movflags, 2 s GOP), stored and indexed as contiguous segments, for tests that need
 *    footage but not a recording (the authorisation matrix).
 * Plus ffprobe/ffmpeg checks of what the API served. Not a test file.
 */
export interface RecordedApi {
  rec: RecorderHarness;
  h: ApiHarness;
  /** Stops the recorder (its segments stay indexed and stored); the API keeps serving. */
  stopRecording(): Promise<void>;
  close(): Promise<void>;
}

export async function startRecordedApi(o: { cameras: SimCameraSpec[]; minio?: MinioServer; segmentMs?: number; site?: string; extraRoutes?: (ctx: AppContext) => ApiRouteDef[] }): Promise<RecordedApi> {
  const rec = await startRecorderHarness({ cameras: o.cameras, ...(o.minio ? { minio: o.minio } : {}), segmentMs: o.segmentMs ?? 4_000 });
  let h: ApiHarness;
  try {
    h = await startApiHarness({
      sqlitePath: rec.config.database.sqlitePath,
      store: rec.store,
      ...(o.extraRoutes ? { extraRoutes: o.extraRoutes } : {}),
      config: {
        sites: SITES,
        cameras: o.cameras.map((c) => ({ id: c.id, name: c.name, site: o.site ?? 'ward-a', rtspUrl: 'rtsp://127.0.0.1:1/unused' })),
      },
    });
  } catch (e) {
    await rec.stop();
    throw e;
  }
  let recording = true;
  const stopRecording = async () => {
    if (!recording) return;
    recording = false;
    await rec.recorder.stop();
  };
  return {
    rec,
    h,
    stopRecording,
    async close() {
      await h.close();
      await stopRecording();
      await rec.stop();
    },
  };
}

let segmentFile: Promise<Buffer> | null = null;

/** A 4 s 320×240 H.264 (2 s GOP) + AAC fragmented MP4, muxed like the recorder's segments; made once per process. */
export function testSegmentBytes(): Promise<Buffer> {
  segmentFile ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-seg-'));
    const file = path.join(dir, 'seg.mp4');
    const movflags = SEGMENT_MOVFLAGS.split(':').flatMap((kv) => {
      const [k, v] = kv.split('=');
      return [`-${k}`, v!];
    });
    await run('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=4',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=4',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '32k', '-ac', '1',
      ...movflags, '-f', 'mp4', file,
    ]);
    const bytes = readFileSync(file);
    rmSync(dir, { recursive: true, force: true });
    return bytes;
  })();
  return segmentFile;
}

/** Stores and indexes `count` contiguous copies of the test segment for a camera from startMs (4 s each); source 'backfill' marks them recovered from the camera's storage. */
export async function seedSegments(h: ApiHarness, cameraId: string, startMs: number, count: number, source: 'live' | 'backfill' = 'live'): Promise<void> {
  const bytes = await testSegmentBytes();
  const initBytes = initSegmentLength(bytes);
  if (initBytes === null) throw new Error('the test segment is not a fragmented MP4');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const segments = new SegmentsRepo(h.db, () => h.clock.nowMs());
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-seed-'));
  try {
    const file = path.join(dir, 'seg.mp4');
    writeFileSync(file, bytes);
    for (let i = 0; i < count; i++) {
      const s = startMs + i * 4_000;
      const objectKey = segmentKey(cameraId, s, 4_000);
      await h.store.put(objectKey, { filePath: file });
      await segments.insert({ cameraId, startMs: s, durationMs: 4_000, sizeBytes: bytes.length, sha256, objectKey, initBytes, source });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ProbedMedia {
  durationSec: number;
  video: { codec: string; width: number; height: number } | null;
  audio: { codec: string } | null;
}

export async function probe(file: string): Promise<ProbedMedia> {
  const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height:format=duration', '-of', 'json', file]);
  const j = JSON.parse(out) as { streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>; format: { duration?: string } };
  const v = j.streams.find((s) => s.codec_type === 'video');
  const a = j.streams.find((s) => s.codec_type === 'audio');
  return {
    durationSec: Number(j.format.duration ?? NaN),
    video: v ? { codec: v.codec_name, width: v.width ?? 0, height: v.height ?? 0 } : null,
    audio: a ? { codec: a.codec_name } : null,
  };
}

/** Decodes every frame (ffmpeg -v error … -f null -): what ffmpeg complains about, '' when clean. */
export async function decodeErrors(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.on('error', reject);
    p.on('close', () => resolve(err.trim()));
  });
}

/** The distinct decoded video frame sizes, in order of appearance, with their frame counts. */
export async function frameSizes(file: string): Promise<Array<{ size: string; frames: number }>> {
  const out = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', file], 64 * 1024 * 1024);
  const runs: Array<{ size: string; frames: number }> = [];
  for (const line of out.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const size = line.replace(',', 'x');
    const last = runs[runs.length - 1];
    if (last && last.size === size) last.frames++;
    else runs.push({ size, frames: 1 });
  }
  return runs;
}

export function run(cmd: string, args: string[], maxBuffer = 16 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}
