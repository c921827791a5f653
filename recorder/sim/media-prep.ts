import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AudioKind, VideoKind } from './camera-spec.ts';
import { ensureBuilt } from './media-cache.ts';

/**
 * Produces the pre-encoded loops the simulated cameras stream, with the real ffmpeg.
 *
 * Each loop lives in its own directory of the cache, named by what it is plus a hash of the exact
 * ffmpeg command line, so a second run (or a second vitest worker) finds it ready (media-cache.ts
 * builds each directory once, atomically, even with concurrent callers).
 *
 * Video: testsrc2 with the loop time and frame number burnt in, 25 fps, closed GOPs with a fixed
 * keyframe interval and no scene-cut keyframes, parameter sets repeated in-band at every keyframe
 * (so a resolution switch announces itself), muxed into MP4 with a 90 kHz track timescale. An
 * `index.json` beside it lists each sample (pts, dts, byte position, size, keyframe) as ffprobe
 * reports it, which is how media-loop.ts slices the samples out with exact B-frame timestamps.
 * Audio: G.711 A-law raw at 8 kHz mono, or AAC-LC in ADTS at 16 kHz mono; a tone beeping once a second.
 */

/** Bump when the recipe changes in a way the command-line hash would not show. */
const RECIPE_VERSION = 1;

export const SIM_FPS = 25;

export type VideoVariant = 'main' | 'alt' | 'sub';

export const VIDEO_VARIANTS: Readonly<Record<VideoVariant, { width: number; height: number; kbps: number }>> = {
  main: { width: 1920, height: 1080, kbps: 2000 },
  alt: { width: 1280, height: 720, kbps: 1200 },
  sub: { width: 640, height: 360, kbps: 300 },
};

export interface MediaPrepOptions {
  /** Cache directory; default env VIGIL_SIM_MEDIA_DIR, else `<repo>/.cache/sim-media`. */
  cacheDir?: string;
  /** Loop length in whole seconds (default 10). */
  loopSeconds?: number;
  /** Keyframe interval in whole seconds (default 2, or 1 when the loop is not a multiple of 2). */
  gopSeconds?: number;
  ffmpegPath?: string;
  ffprobePath?: string;
}

export interface PreparedVideoFiles {
  kind: VideoKind;
  variant: VideoVariant;
  dir: string;
  mp4Path: string;
  indexPath: string;
}

export interface PreparedAudioFiles {
  kind: Exclude<AudioKind, 'none'>;
  dir: string;
  /** Raw A-law bytes (pcma) or an ADTS stream (aac). */
  dataPath: string;
  sampleRate: number;
  channels: number;
}

/** The sample list written beside each video loop. */
export interface VideoIndexFile {
  recipe: number;
  codec: 'h264' | 'hevc';
  width: number;
  height: number;
  fps: number;
  timescale: number;
  gopFrames: number;
  samples: Array<{ pts: number; dts: number; pos: number; size: number; key: boolean }>;
}

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf';

export function resolveSimMediaDir(cacheDir?: string): string {
  return resolve(cacheDir ?? process.env.VIGIL_SIM_MEDIA_DIR ?? join(REPO_ROOT, '.cache', 'sim-media'));
}

export function resolveLoopTiming(opts: MediaPrepOptions): { loopSeconds: number; gopSeconds: number } {
  const loopSeconds = opts.loopSeconds ?? 10;
  if (!Number.isInteger(loopSeconds) || loopSeconds < 1) {
    throw new RangeError(`sim media: loopSeconds must be a whole number of seconds >= 1, got ${loopSeconds}`);
  }
  const gopSeconds = opts.gopSeconds ?? (loopSeconds % 2 === 0 ? 2 : 1);
  if (!Number.isInteger(gopSeconds) || gopSeconds < 1 || loopSeconds % gopSeconds !== 0) {
    throw new RangeError(
      `sim media: gopSeconds (${gopSeconds}) must be a whole number of seconds dividing loopSeconds (${loopSeconds})`,
    );
  }
  return { loopSeconds, gopSeconds };
}

function videoEncoderArgs(kind: VideoKind, gopFrames: number, kbps: number): string[] {
  const rate = ['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`];
  const gop = `keyint=${gopFrames}:min-keyint=${gopFrames}:scenecut=0:open-gop=0:repeat-headers=1`;
  if (kind === 'h265') {
    return ['-c:v', 'libx265', '-preset', 'ultrafast', ...rate, '-x265-params', `${gop}:bframes=0:log-level=error`];
  }
  const bframes = kind === 'h264-bframes' ? 'bframes=2:b-adapt=0' : 'bframes=0';
  return ['-c:v', 'libx264', '-preset', 'veryfast', ...rate, '-x264-params', `${gop}:${bframes}`];
}

function videoArgs(kind: VideoKind, variant: VideoVariant, loopSeconds: number, gopSeconds: number): string[] {
  const { width, height, kbps } = VIDEO_VARIANTS[variant];
  const label = `${variant.toUpperCase()} ${width}x${height} ${kind.toUpperCase()}`;
  const fontSize = Math.floor(width / 32); // the longest label still fits across
  // drawtext expands %{pts\:hms} (loop time) and %{n} (frame number) per frame.
  const text = `${label}  %{pts\\:hms}  f%{n}`;
  const draw =
    `drawtext=fontfile=${FONT}:text='${text}':fontsize=${fontSize}:fontcolor=white` +
    `:box=1:boxcolor=black@0.6:boxborderw=${Math.round(fontSize / 4)}:x=${fontSize}:y=${fontSize}`;
  return [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${SIM_FPS},${draw}`,
    '-frames:v', String(loopSeconds * SIM_FPS),
    '-pix_fmt', 'yuv420p',
    ...videoEncoderArgs(kind, gopSeconds * SIM_FPS, kbps),
    '-an', '-video_track_timescale', '90000', '-f', 'mp4',
  ];
}

const AUDIO_FORMATS = {
  pcma: { sampleRate: 8000, file: 'audio.alaw', codec: ['-c:a', 'pcm_alaw', '-f', 'alaw'] },
  aac: { sampleRate: 16000, file: 'audio.aac', codec: ['-c:a', 'aac', '-b:a', '32k', '-f', 'adts'] },
} as const;

function audioArgs(kind: Exclude<AudioKind, 'none'>, loopSeconds: number): string[] {
  const { sampleRate, codec } = AUDIO_FORMATS[kind];
  return [
    '-f', 'lavfi', '-i', `sine=frequency=800:beep_factor=2:sample_rate=${sampleRate}:duration=${loopSeconds}`,
    '-ac', '1', '-ar', String(sampleRate), ...codec,
  ];
}

function cacheKey(name: string, args: string[]): string {
  const hash = createHash('sha256').update(JSON.stringify({ RECIPE_VERSION, args })).digest('hex');
  return `${name}-${hash.slice(0, 12)}`;
}

/** Prepares (or finds in the cache) one video loop. */
export async function prepareVideoLoop(
  kind: VideoKind,
  variant: VideoVariant,
  opts: MediaPrepOptions = {},
): Promise<PreparedVideoFiles> {
  const { loopSeconds, gopSeconds } = resolveLoopTiming(opts);
  const { width, height } = VIDEO_VARIANTS[variant];
  const args = videoArgs(kind, variant, loopSeconds, gopSeconds);
  const dir = join(resolveSimMediaDir(opts.cacheDir), cacheKey(`${kind}-${variant}-${width}x${height}-${loopSeconds}s`, args));
  await ensureBuilt(dir, 'index.json', async (tmp) => {
    const mp4Path = join(tmp, 'video.mp4');
    await runTool(opts.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args, mp4Path]);
    const index = await probeVideo(opts.ffprobePath ?? 'ffprobe', mp4Path, gopSeconds * SIM_FPS);
    await writeFile(join(tmp, 'index.json'), JSON.stringify(index));
  });
  return { kind, variant, dir, mp4Path: join(dir, 'video.mp4'), indexPath: join(dir, 'index.json') };
}

/** Prepares (or finds in the cache) one audio loop. */
export async function prepareAudioLoop(
  kind: Exclude<AudioKind, 'none'>,
  opts: MediaPrepOptions = {},
): Promise<PreparedAudioFiles> {
  const { loopSeconds } = resolveLoopTiming(opts);
  const format = AUDIO_FORMATS[kind];
  const args = audioArgs(kind, loopSeconds);
  const dir = join(resolveSimMediaDir(opts.cacheDir), cacheKey(`${kind}-${format.sampleRate}-${loopSeconds}s`, args));
  await ensureBuilt(dir, format.file, async (tmp) => {
    await runTool(opts.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args, join(tmp, format.file)]);
  });
  return { kind, dir, dataPath: join(dir, format.file), sampleRate: format.sampleRate, channels: 1 };
}

async function probeVideo(ffprobe: string, mp4Path: string, gopFrames: number): Promise<VideoIndexFile> {
  const out = await runTool(ffprobe, [
    '-v', 'error', '-select_streams', 'v:0',
    '-show_entries', 'packet=pts,dts,pos,size,flags:stream=codec_name,width,height,time_base',
    '-of', 'json', mp4Path,
  ]);
  const probed = JSON.parse(out) as {
    streams: Array<{ codec_name: string; width: number; height: number; time_base: string }>;
    packets: Array<{ pts: number; dts: number; pos: string; size: string; flags: string }>;
  };
  const stream = probed.streams[0];
  if (!stream || (stream.codec_name !== 'h264' && stream.codec_name !== 'hevc')) {
    throw new Error(`sim media: ${mp4Path} has no H.264/H.265 video stream`);
  }
  if (stream.time_base !== '1/90000') throw new Error(`sim media: expected 90 kHz timescale, got ${stream.time_base}`);
  return {
    recipe: RECIPE_VERSION,
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    fps: SIM_FPS,
    timescale: 90000,
    gopFrames,
    samples: probed.packets.map((p) => ({
      pts: p.pts, dts: p.dts, pos: Number(p.pos), size: Number(p.size), key: p.flags.startsWith('K'),
    })),
  };
}

/** Runs ffmpeg/ffprobe; resolves with stdout, rejects with the tail of stderr. */
function runTool(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(Buffer.concat(out).toString());
      else reject(new Error(`sim media: ${cmd} exited with ${code ?? signal}: ${err.trim()}`));
    });
  });
}
