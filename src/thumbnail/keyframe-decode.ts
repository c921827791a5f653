import { spawn } from 'node:child_process';
import { VigilError } from '../errors.ts';

/**
 * Decodes the first video frame of a tiny fragmented MP4 (init + one fragment) with ffmpeg,
 * reading it from stdin and writing one PPM image (a short text header and raw RGB) to stdout:
 * no PNG compression to pay for, and sharp takes the raw pixels as they are.
 */
export interface RawFrame {
  widthPx: number;
  heightPx: number;
  /** RGB, 3 bytes per pixel, rows top to bottom. */
  rgb: Buffer;
}

export function decodeFirstFrame(mp4: Buffer, ffmpegPath = 'ffmpeg', timeoutMs = 10_000): Promise<RawFrame> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'mp4', '-i', 'pipe:0', '-map', '0:v:0', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    child.stdin.on('error', () => undefined); // ffmpeg may stop reading once it has its frame
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new VigilError('dependency_missing', `ffmpeg could not be started to decode a thumbnail (${e.message})`, { hint: 'Install ffmpeg (Debian: apt-get install ffmpeg).' }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const frame = code === 0 ? parsePpm(Buffer.concat(out)) : null;
      if (frame) resolve(frame);
      else reject(new VigilError('internal', `ffmpeg could not decode the keyframe (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' ') || 'no image'}`));
    });
    child.stdin.end(mp4);
  });
}

/** A binary PPM (P6, maxval 255); null when the bytes are not one. Pure. */
export function parsePpm(buf: Buffer): RawFrame | null {
  const header = /^P6\s+(?:#[^\n]*\s+)*(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.toString('latin1', 0, Math.min(buf.length, 64)));
  if (!header) return null;
  const widthPx = Number(header[1]);
  const heightPx = Number(header[2]);
  if (Number(header[3]) !== 255 || widthPx <= 0 || heightPx <= 0) return null;
  const start = header[0].length;
  const bytes = widthPx * heightPx * 3;
  if (buf.length < start + bytes) return null;
  return { widthPx, heightPx, rgb: buf.subarray(start, start + bytes) };
}
