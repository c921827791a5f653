import { spawn } from 'node:child_process';

/**
 * Reads an RTSP stream with the real ffmpeg for a while (stream copy to the null muxer) and
 * reports what it saw: frames and the codec line of the video stream. A real-client check.
 */
export interface ReadResult {
  code: number | null;
  frames: number;
  stderr: string;
}

export function ffmpegRead(url: string, seconds: number, timeoutMs = (seconds + 20) * 1000): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', url, '-t', String(seconds), '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
      resolve({ code, frames: frames.length ? Math.max(...frames) : 0, stderr });
    });
  });
}
