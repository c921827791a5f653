/**
 * Pure argument builders for the one ffmpeg each camera gets. Nothing here runs a process, so
 * every choice is checked by table tests (test/unit/ffmpeg-args.test.ts).
 */
export type AudioPlan = 'copy' | 'transcode_aac' | 'none';

/** MP4 holds AAC (and MP3); G.711 and others are transcoded, cheaply, at 8 kHz mono. */
export function audioPlanFor(codec: string | null | undefined, setting: 'auto' | 'off'): AudioPlan {
  if (setting === 'off' || !codec) return 'none';
  const c = codec.toLowerCase();
  if (c === 'aac' || c === 'mp4a' || c === 'mpeg4-generic' || c === 'mp3') return 'copy';
  return 'transcode_aac';
}

export interface RecordArgsInput {
  /** The camera's RTSP URL, credentials included: goes to ffmpeg only, never to a log. */
  inputUrl: string;
  segmentMs: number;
  /** Socket I/O timeout: a silent camera makes ffmpeg give up after this long. */
  socketTimeoutMs: number;
  audio: AudioPlan;
  /** Output file pattern with one %d field, e.g. /spool/cam-1/r1767578400000-%06d.mp4 */
  filePattern: string;
  /** More outputs of the same process after the recording (the live stream, live/live-output-args.ts). */
  extraOutputs?: ExtraOutput[];
}

/** One more output of the same ffmpeg: its options, then its URL. */
export interface ExtraOutput {
  options: string[];
  output: string;
}

export interface FfmpegArgs {
  inputOptions: string[];
  input: string;
  outputOptions: string[];
  output: string;
  extraOutputs?: ExtraOutput[];
}

/**
 * Fragmented MP4 with its own moov per segment: playable alone, readable after a crash. A
 * fragment at every keyframe and at least every second bounds what a killed or interrupted
 * ffmpeg can lose to about a second (the remainder is salvaged, see partial-segment.ts).
 * Video is written at 90 kHz, the RTP clock of every camera: the camera's timestamps are
 * kept exactly (ffmpeg's default, a multiple of the frame rate, rounds them), and segments
 * recovered from the camera's card (recorder/backfill/, also 90 kHz) join live ones in a clip
 * by fragment copy.
 */
export const SEGMENT_MOVFLAGS = 'movflags=+frag_keyframe+empty_moov+default_base_moof:frag_duration=1000000:video_track_timescale=90000';

export function buildRecordArgs(o: RecordArgsInput): FfmpegArgs {
  if (!/%0?\d*d/.test(o.filePattern)) throw new Error('filePattern needs a %d field for the segment number');
  const audioOptions: Record<AudioPlan, string[]> = {
    copy: ['-map', '0:a:0?', '-c:a', 'copy'],
    transcode_aac: ['-map', '0:a:0?', '-c:a', 'aac', '-b:a', '32k', '-ac', '1'],
    none: ['-an'],
  };
  return {
    inputOptions: [
      '-hide_banner',
      '-nostdin',
      '-loglevel', 'error',
      '-stats',
      '-stats_period', '0.5',
      '-rtsp_transport', 'tcp',
      '-timeout', String(Math.round(o.socketTimeoutMs * 1000)),
    ],
    input: o.inputUrl,
    outputOptions: [
      '-map', '0:v:0',
      '-c:v', 'copy',
      ...audioOptions[o.audio],
      '-f', 'segment',
      '-segment_time', (o.segmentMs / 1000).toString(),
      '-segment_format', 'mp4',
      '-segment_format_options', SEGMENT_MOVFLAGS,
      '-segment_list', 'pipe:1',
      '-segment_list_type', 'csv',
      '-segment_list_flags', '+live',
    ],
    output: o.filePattern,
    ...(o.extraOutputs?.length ? { extraOutputs: o.extraOutputs } : {}),
  };
}

/** The whole argv, for spawning without fluent-ffmpeg (benchmarks) and for tests. */
export function toArgv(a: FfmpegArgs): string[] {
  return [...a.inputOptions, '-i', a.input, ...a.outputOptions, '-y', a.output, ...(a.extraOutputs ?? []).flatMap((x) => [...x.options, x.output])];
}
