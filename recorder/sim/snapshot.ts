import { spawn } from 'node:child_process';
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { resolveSimMediaDir } from './media-prep.ts';

/**
 * The JPEG a simulated camera returns at its ONVIF snapshot URI: one still made by ffmpeg once
 * and cached beside the media loops, shared by every camera.
 */
let cached: Promise<Buffer> | undefined;

export function simSnapshotJpeg(opts: { cacheDir?: string; ffmpegPath?: string } = {}): Promise<Buffer> {
  cached ??= makeSnapshot(opts).catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function makeSnapshot(opts: { cacheDir?: string; ffmpegPath?: string }): Promise<Buffer> {
  const dir = resolveSimMediaDir(opts.cacheDir);
  const file = path.join(dir, 'snapshot-640x360.jpg');
  const existing = await readFile(file).catch(() => undefined);
  if (existing) return existing;
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp.jpg`;
  await new Promise<void>((resolve, reject) => {
    const p = spawn(opts.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=1', '-frames:v', '1', '-q:v', '4', tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg could not make the snapshot JPEG: ${err.trim()}`))));
  });
  await rename(tmp, file);
  return readFile(file);
}
