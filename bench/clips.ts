import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { startRecorderHarness } from '../test/helpers/recorder-harness.ts';
import { startMinio } from '../test/helpers/minio.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { defaultSpec } from '../recorder/sim/camera-spec.ts';
import { openDatabase } from '../src/db/database.ts';
import { SegmentsRepo, type SegmentRecord } from '../src/db/segments-repo.ts';
import { GapsRepo } from '../src/db/gaps-repo.ts';
import { FsObjectStore } from '../src/store/fs-store.ts';
import { MinioObjectStore } from '../src/store/minio-store.ts';
import type { ObjectStore } from '../src/store/object-store.ts';
import { segmentKey } from '../src/object-keys.ts';
import { prepareClip } from '../src/clip/prepare-clip.ts';
import { SegmentFacts } from '../src/fmp4/segment-facts.ts';

/**
 * Clip assembly speed: first byte and whole clip for 1-, 10- and 60-minute clips, assembled from
 * the stored fragments (src/clip/) from the fs store and from MinIO, next to plain
 * `ffmpeg -f concat -c copy` of the same segments into an MP4 (+faststart, what the first
 * design sketch planned: nothing can be sent before ffmpeg is done).
 *
 * The footage is real: the recorder records a simulated H.264 camera with B-frames and G.711
 * audio (1080p, ~2 Mbit/s, 10 s segments) once; one whole segment is then repeated to make
 * 62 minutes of contiguous index rows (hard links in the fs store, real uploads to MinIO).
 * Each clip is prepared afresh (new SegmentFacts: nothing cached, as a first request).
 *   npm run bench:clips -- [runs]      (default 9 runs per figure; 60 min: a third of it)
 */
const RUNS = Number(process.argv[2] ?? 9);
const SEGMENT_MS = 10_000;
const INDEX_MINUTES = 62;
const T0 = Date.UTC(2026, 2, 3, 1, 0, 0);

interface Timing { firstByteMs: number; totalMs: number; bytes: number }

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-bench-clips-'));
  try {
    process.stderr.write('recording a real 10 s segment from the simulator…\n');
    const template = await recordTemplate();
    const count = Math.ceil((INDEX_MINUTES * 60_000) / SEGMENT_MS);
    const fsRoot = path.join(work, 'objects');
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(work, 'index.db') });
    const segments = new SegmentsRepo(db, () => Date.now());
    const gaps = new GapsRepo(db, () => Date.now());
    const templateFile = path.join(work, 'template.mp4');
    writeFileSync(templateFile, template.bytes);
    const sha256 = createHash('sha256').update(template.bytes).digest('hex');
    const rows: SegmentRecord[] = [];
    for (let i = 0; i < count; i++) {
      const startMs = T0 + i * SEGMENT_MS;
      const objectKey = segmentKey('bench', startMs, SEGMENT_MS);
      const file = path.join(fsRoot, objectKey);
      mkdirSync(path.dirname(file), { recursive: true });
      linkSync(templateFile, file);
      const row = { cameraId: 'bench', startMs, durationMs: SEGMENT_MS, sizeBytes: template.bytes.length, sha256, objectKey, initBytes: template.initBytes };
      await segments.insert(row);
      rows.push(row);
    }
    const fsStore = new FsObjectStore(fsRoot);

    process.stderr.write(`uploading ${count} segments (${((count * template.bytes.length) / 2 ** 20).toFixed(0)} MiB) to MinIO…\n`);
    const minio = await startMinio();
    const minioStore = new MinioObjectStore({ endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: 'bench' });
    await minioStore.ping();
    for (let i = 0; i < rows.length; i += 8) await Promise.all(rows.slice(i, i + 8).map((r) => minioStore.put(r.objectKey, { data: template.bytes })));

    const table: string[][] = [];
    for (const minutes of [1, 10, 60]) {
      const runs = minutes === 60 ? Math.max(3, Math.ceil(RUNS / 3)) : RUNS;
      const ranges = Array.from({ length: runs }, (_, k) => {
        const spanMs = minutes * 60_000;
        const room = count * SEGMENT_MS - spanMs - 20_000;
        const startMs = T0 + 5_000 + Math.floor(((k + 0.5) / runs) * room);
        return { cameraId: 'bench', startMs, endMs: startMs + spanMs };
      });
      for (const [name, store] of [['fragment copy, fs', fsStore], ['fragment copy, MinIO', minioStore]] as const) {
        const t = [];
        for (const r of ranges) t.push(await timeClip(store, segments, gaps, r));
        table.push(row(minutes, name, t));
      }
      const t = [];
      for (const r of ranges.slice(0, Math.max(3, Math.ceil(runs / 3)))) {
        const files = rows.filter((s) => s.startMs < r.endMs && s.startMs + s.durationMs > r.startMs).map((s) => path.join(fsRoot, s.objectKey));
        t.push(await timeFfmpegConcat(files, work));
      }
      table.push(row(minutes, 'ffmpeg -f concat -c copy (+faststart), fs', t));
    }
    await minio.destroy();
    await db.destroy();

    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    console.log(`\nClip assembly, ${cpus().length} × ${cpu}; 10 s segments of ${(template.bytes.length / 2 ** 20).toFixed(2)} MiB (1080p H.264 with B-frames + AAC); fresh caches per clip\n`);
    console.log('| clip | assembler | runs | first byte p50 | first byte p99 | whole clip p50 | whole clip p99 | MiB/s (p50) |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of table) console.log(`| ${r.join(' | ')} |`);
    console.log('\np99 of a handful of runs is their maximum. The fs store is read through the page cache (the segments are hard links of one file).');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function recordTemplate(): Promise<{ bytes: Buffer; initBytes: number }> {
  const h = await startRecorderHarness({ cameras: [defaultSpec(0, { id: 'bench', video: 'h264-bframes', audio: 'pcma' })], segmentMs: SEGMENT_MS });
  try {
    const segs = new SegmentsRepo(h.db, () => Date.now());
    const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
    // The second segment: whole and steady (the first of a run starts with ffmpeg's irregular GOP).
    await waitFor('two segments', async () => (await segs.overlapping('bench', all)).length >= 2, { timeoutMs: 90_000, intervalMs: 500 });
    const seg = (await segs.overlapping('bench', all))[1]!;
    const chunks: Buffer[] = [];
    for await (const c of (await h.store.get(seg.objectKey)) as Readable) chunks.push(c as Buffer);
    return { bytes: Buffer.concat(chunks), initBytes: seg.initBytes };
  } finally {
    await h.stop();
  }
}

async function timeClip(store: ObjectStore, segments: SegmentsRepo, gaps: GapsRepo, req: { cameraId: string; startMs: number; endMs: number }): Promise<Timing> {
  const t0 = performance.now();
  const clip = await prepareClip({ store, segments, gaps, facts: new SegmentFacts(store) }, req);
  let first = -1;
  let bytes = 0;
  for await (const c of clip.open()) {
    if (first < 0) first = performance.now() - t0;
    bytes += (c as Buffer).length;
  }
  if (bytes !== clip.sizeBytes) throw new Error(`clip sent ${bytes} bytes, announced ${clip.sizeBytes}`);
  return { firstByteMs: first, totalMs: performance.now() - t0, bytes };
}

async function timeFfmpegConcat(files: string[], work: string): Promise<Timing> {
  const list = path.join(work, 'concat.txt');
  writeFileSync(list, files.map((f) => `file '${f}'`).join('\n') + '\n');
  const out = path.join(work, 'concat.mp4');
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', '-movflags', '+faststart', '-y', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg concat failed: ${err}`))));
  });
  const ms = performance.now() - t0;
  const bytes = statSync(out).size;
  rmSync(out);
  return { firstByteMs: ms, totalMs: ms, bytes }; // +faststart: the first byte exists once ffmpeg is done
}

function row(minutes: number, name: string, t: Timing[]): string[] {
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  };
  const fb = t.map((x) => x.firstByteMs);
  const total = t.map((x) => x.totalMs);
  const mibs = (t[0]!.bytes / 2 ** 20) / (q(total, 0.5) / 1000);
  const f = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  return [`${minutes} min`, name, String(t.length), f(q(fb, 0.5)), f(q(fb, 0.99)), f(q(total, 0.5)), f(q(total, 0.99)), mibs.toFixed(0)];
}

await main();
