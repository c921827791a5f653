import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClipInfo } from '../../src/clip/clip-types.ts';
import type { CameraFacts } from '../../src/evidence/manifest.ts';
import { buildEvidencePackage, type BuiltPackage } from '../../src/evidence/package-writer.ts';
import type { EvidenceSigningKey } from '../../src/evidence/signing-key.ts';

/**
 * Real MP4s for evidence tests: ffmpeg's testsrc encoded with libx264 (2 s GOP like the
 * simulator's cameras), small enough to make in a fraction of a second. Not a test file.
 */
export const T0 = Date.UTC(2026, 2, 3, 2, 40); // 2026-03-03 09:40 in Asia/Ho_Chi_Minh

/** Runs ffmpeg making seconds of 320×240 H.264 at 25 fps into file; onProgress gets 0..1 from ffmpeg's -progress output. */
export function makeTestMp4(file: string, seconds: number, onProgress?: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-progress', 'pipe:1', '-stats_period', '0.1', file];
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.stdout.on('data', (d) => {
      for (const m of String(d).matchAll(/out_time_us=(\d+)/g)) onProgress?.(Math.min(1, Number(m[1]) / (seconds * 1e6)));
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${err}`))));
  });
}

/** A ClipInfo as the clip builder would give for [start, end) cut from 10 s segments, starting 400 ms early at a keyframe, with one gap. */
export function clipInfoFor(cameraId: string, startMs: number, endMs: number): ClipInfo {
  const segStart = startMs - 400;
  const segments = [];
  for (let s = segStart; s < endMs; s += 10_000) {
    segments.push({ objectKey: `${cameraId}/2026/03/03/02/${s}-10000.mp4`, sha256: createHash('sha256').update(String(s)).digest('hex'), startMs: s, durationMs: 10_000 });
  }
  const gaps = endMs - startMs > 3000 ? [{ startMs: startMs + 1000, endMs: startMs + 1500, reason: 'stream_stalled' }] : [];
  return { cameraId, askedStartMs: startMs, askedEndMs: endMs, actualStartMs: segStart, actualEndMs: endMs - 40, gaps, segments };
}

export const CAMERA: CameraFacts = { id: 'ward-x-counter-3', name: 'Quầy 3 — Phường X', siteId: 'ward-x', siteName: 'UBND Phường X', clockOffsetMs: 1830, clockOffsetMeasuredMs: T0 - 86_400_000 };

let cachedMp4: Promise<string> | null = null;
/** One 4 s MP4 per test file, made once (also when asked concurrently), copied to dest. */
export async function testMp4(workDir: string, dest: string): Promise<void> {
  cachedMp4 ??= (async () => {
    const file = path.join(workDir, 'source-clip.mp4');
    await makeTestMp4(file, 4);
    return file;
  })();
  copyFileSync(await cachedMp4, dest);
}

export async function buildTestPackage(opts: { workDir: string; destPath: string; key: EvidenceSigningKey; packageId?: string }): Promise<BuiltPackage> {
  const clipPath = path.join(opts.workDir, `clip-${Math.random().toString(16).slice(2)}.mp4`);
  await testMp4(opts.workDir, clipPath);
  const clip = clipInfoFor(CAMERA.id, T0, T0 + 4000);
  return buildEvidencePackage({
    destPath: opts.destPath,
    clipFiles: [{ path: clipPath, name: 'ward-x-counter-3_20260303-093959.mp4' }],
    key: opts.key,
    manifest: {
      packageId: opts.packageId ?? 'ev-20260303-0123456789',
      createdMs: T0 + 3_600_000,
      timeZone: 'Asia/Ho_Chi_Minh',
      vigilVersion: '0.1.0',
      camera: CAMERA,
      case: { id: 'case-00000000000000aa', reference: 'KN-2026/031', title: 'Thái độ phục vụ tại quầy 3' },
      exportedBy: { userId: 'u-7', username: 'lan.nguyen' },
      reason: 'Công dân phản ánh lúc 9 giờ 40',
      clip,
    },
  });
}

export function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

export function flipByte(file: string, offset: number): void {
  const b = readFileSync(file);
  b[offset] = b[offset]! ^ 0x01;
  writeFileSync(file, b);
}
