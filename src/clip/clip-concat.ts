import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { VigilError } from '../errors.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { clampClipRange } from './clip-parts.ts';
import type { ClipPlan } from './clip-plan.ts';
import type { ClipInfo, PreparedClip } from './clip-types.ts';

/**
 * The fallback assembler (see clip-assembly.ts for when): the segments are copied to a temp
 * folder and ffmpeg's concat demuxer remuxes them with stream copy into one fragmented MP4
 * there, cut with inpoint/outpoint at the same fragments the fast path would use. The size is
 * known once ffmpeg is done; the file is removed by dispose().
 *
 * ffmpeg 5.1's concat demuxer does not rescale a later file's timestamps to the first file's
 * time base (checked: a 90 kHz segment after a 12.8 kHz one made a 6 s clip last 49 s), so a
 * segment whose video timescale differs is first remuxed, still by stream copy, to the first
 * segment's timescale (-video_track_timescale).
 */
export interface ConcatDeps {
  store: ObjectStore;
  workDir?: string | undefined;
  ffmpegPath?: string | undefined;
}

export const CONCAT_MOVFLAGS = '+frag_keyframe+empty_moov+default_base_moof';

/** The concat demuxer's list file: one `file` per segment, inpoint/outpoint on the ends. Pure. */
export function concatList(files: readonly string[], cut: { firstInpointSec: number; lastOutpointSec: number }): string {
  const quote = (f: string) => `'${f.replace(/'/g, "'\\''")}'`;
  return files
    .map((f, i) => {
      const lines = [`file ${quote(f)}`];
      if (i === 0 && cut.firstInpointSec > 0) lines.push(`inpoint ${cut.firstInpointSec.toFixed(3)}`);
      if (i === files.length - 1) lines.push(`outpoint ${cut.lastOutpointSec.toFixed(3)}`);
      return lines.join('\n');
    })
    .join('\n') + '\n';
}

export interface ConcatCut {
  firstInpointSec: number;
  lastOutpointSec: number;
  /** Video timescale of the first segment; segments with another are remuxed to it first. */
  videoTimescale: number;
  /** Per segment (plan order): its video timescale. */
  segmentVideoTimescales: readonly number[];
}

export async function prepareConcatClip(deps: ConcatDeps, plan: ClipPlan, info: ClipInfo, cut: ConcatCut): Promise<PreparedClip> {
  const dir = await mkdtemp(path.join(deps.workDir ?? tmpdir(), 'vigil-clip-'));
  try {
    const files: string[] = [];
    for (const [i, s] of plan.segments.entries()) {
      const file = path.join(dir, `${String(i).padStart(5, '0')}.mp4`);
      await pipeline(await deps.store.get(s.objectKey), createWriteStream(file));
      if (cut.segmentVideoTimescales[i] !== cut.videoTimescale) {
        const fixed = path.join(dir, `${String(i).padStart(5, '0')}-ts.mp4`);
        await runFfmpeg(deps.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-map', '0', '-c', 'copy', '-video_track_timescale', String(cut.videoTimescale), '-movflags', CONCAT_MOVFLAGS, '-f', 'mp4', '-y', fixed]);
        await rm(file, { force: true });
        files.push(fixed);
      } else {
        files.push(file);
      }
    }
    const list = path.join(dir, 'list.txt');
    await writeFile(list, concatList(files, cut));
    const out = path.join(dir, 'clip.mp4');
    await runFfmpeg(deps.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', '-movflags', CONCAT_MOVFLAGS, '-f', 'mp4', '-y', out]);
    const sizeBytes = (await stat(out)).size;
    await Promise.all(files.map((f) => rm(f, { force: true })));
    return {
      info,
      sizeBytes,
      contentType: 'video/mp4',
      open(range) {
        const r = clampClipRange(range, sizeBytes);
        return createReadStream(out, { start: r.start, end: r.end });
      },
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function runFfmpeg(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    child.on('error', (e) =>
      reject(new VigilError('dependency_missing', `ffmpeg could not be started (${(e as Error).message})`, { hint: 'Install ffmpeg (Debian: apt-get install ffmpeg).' })),
    );
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new VigilError('internal', `ffmpeg could not join the clip's segments (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}
