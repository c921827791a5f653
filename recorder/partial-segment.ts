import { execFile } from 'node:child_process';
import { readFile, truncate } from 'node:fs/promises';
import { scanTopLevelBoxes } from '../src/mp4-boxes.ts';

/**
 * Salvage of a segment ffmpeg did not close: a run that was killed or interrupted leaves its
 * last file without a list line. Fragmented MP4 is readable up to its last complete fragment,
 * so the file is cut back to its last complete top-level box and its media duration read with
 * ffprobe. Returns null when nothing playable is in it.
 */
export async function salvagePartialSegment(file: string, ffprobePath = 'ffprobe'): Promise<{ durationMs: number; sizeBytes: number } | null> {
  const buf = await readFile(file).catch(() => null);
  if (!buf) return null;
  const scan = scanTopLevelBoxes(buf);
  const complete = scan.boxes.filter((b) => !b.truncated);
  if (!complete.some((b) => b.type === 'moov') || !complete.some((b) => b.type === 'moof')) return null;
  // A fragment is a moof followed by its mdat: keep up to the last complete mdat.
  let keep = 0;
  for (const b of complete) {
    if (b.type === 'moof') continue;
    keep = b.offset + b.size;
  }
  if (keep < buf.length) await truncate(file, keep);
  const durationMs = await mediaDurationMs(file, ffprobePath);
  return durationMs && durationMs > 0 ? { durationMs, sizeBytes: keep } : null;
}

/** Duration of the video packets in a file: last (pts + duration) − first pts, in ms. */
function mediaDurationMs(file: string, ffprobePath: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      ffprobePath,
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => {
        if (err && !stdout) return resolve(null);
        let first = Infinity;
        let end = -Infinity;
        for (const line of stdout.split('\n')) {
          const [pts, dur] = line.split(',').map(Number);
          if (!Number.isFinite(pts)) continue;
          first = Math.min(first, pts!);
          end = Math.max(end, pts! + (Number.isFinite(dur) ? dur! : 0));
        }
        resolve(Number.isFinite(first) && end > first ? Math.round((end - first) * 1000) : null);
      },
    );
  });
}
