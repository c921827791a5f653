/**
 * The live output of a camera's one ffmpeg: a second output of the same process (so the camera
 * sees one RTSP session however many people watch), video copied (no re-encoding), written as
 * fragmented MP4 to the recorder's unix socket. Pure; checked by test/unit/live-output-args.test.ts.
 *
 * It goes through ffmpeg's `fifo` pseudo-muxer, because a plain second output shares ffmpeg's
 * one muxing loop with the recording (ffmpeg 5.1 here): measured, a live reader that stopped
 * reading for 5 s delayed the recording's segment list by 4.7 s, and a live connection that
 * closed made ffmpeg exit ("av_interleaved_write_frame(): Broken pipe"), recording included.
 * With fifo the live muxer runs in its own thread behind a bounded packet queue that drops
 * on overflow (drop_pkts_on_overflow) and reconnects after a failure (attempt_recovery,
 * restarting at a keyframe): the recording is never blocked or stopped by live.
 *
 * Audio is left out of live: MSE stalls a whole presentation when one of its tracks runs
 * dry (cameras drop audio packets), an AAC encoder's priming adds delay, and a G.711 camera
 * would need a second AAC encode. Recordings keep their audio.
 */
import type { ExtraOutput } from '../ffmpeg-args.ts';

export interface LiveOutputInput {
  /** Absolute path of the recorder's unix socket for this camera. */
  socketPath: string;
  /** Longest fragment (ms): bounds what live waits for before bytes leave ffmpeg. */
  fragmentMs: number;
  /** Packets the fifo holds while the recorder is not reading (then it drops). */
  queuePackets: number;
}

/** Unix socket paths are limited to 107 bytes (sun_path) on Linux. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;

export function liveMovflags(fragmentMs: number): string {
  return `movflags=+empty_moov+default_base_moof+frag_keyframe:frag_duration=${Math.round(fragmentMs * 1000)}`;
}

export function buildLiveOutput(o: LiveOutputInput): ExtraOutput {
  if (!o.socketPath.startsWith('/')) throw new Error('live socket path must be absolute');
  if (Buffer.byteLength(o.socketPath) > MAX_UNIX_SOCKET_PATH_BYTES) throw new Error(`live socket path is longer than ${MAX_UNIX_SOCKET_PATH_BYTES} bytes`);
  if (!Number.isInteger(o.fragmentMs) || o.fragmentMs < 1) throw new Error('fragmentMs must be a whole number of milliseconds above 0');
  if (!Number.isInteger(o.queuePackets) || o.queuePackets < 1) throw new Error('queuePackets must be a whole number above 0');
  return {
    options: [
      '-map', '0:v:0',
      '-c:v', 'copy',
      '-an',
      '-f', 'fifo',
      '-fifo_format', 'mp4',
      '-format_opts', liveMovflags(o.fragmentMs),
      '-queue_size', String(o.queuePackets),
      '-drop_pkts_on_overflow', '1',
      '-attempt_recovery', '1',
      '-recover_any_error', '1',
      '-recovery_wait_time', '1',
      '-restart_with_keyframe', '1',
    ],
    output: `unix:${o.socketPath}`,
  };
}
