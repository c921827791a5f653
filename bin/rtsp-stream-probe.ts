import { execFile } from 'node:child_process';
import { VigilError } from '../src/errors.ts';
import { stripUrlCredentials } from '../src/redact.ts';

/**
 * The connection test of a plain RTSP camera (no ONVIF to ask): one ffprobe of the stream for
 * its video and audio codecs and size. ffprobe's own output may hold the URL with its password,
 * so none of it reaches a message: the failure is classified and said in plain words.
 */
export interface RtspStreamFacts {
  video: { codec: 'H264' | 'H265'; width: number; height: number };
  audio: string | null;
}

export function probeRtspStream(url: string, o: { ffprobePath?: string; timeoutMs?: number } = {}): Promise<RtspStreamFacts> {
  const timeoutMs = o.timeoutMs ?? 8_000;
  const where = stripUrlCredentials(url);
  return new Promise((resolve, reject) => {
    execFile(
      o.ffprobePath ?? 'ffprobe',
      ['-v', 'error', '-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000), '-show_entries', 'stream=codec_type,codec_name,width,height', '-of', 'json', url],
      { timeout: timeoutMs + 2_000 },
      (err, stdout, stderr) => {
        if (err) return reject(rtspFailure(String(stderr), where, Boolean((err as { killed?: boolean }).killed)));
        try {
          resolve(streamFacts(JSON.parse(stdout) as { streams?: Array<Record<string, unknown>> }, where));
        } catch (e) {
          reject(e instanceof VigilError ? e : new VigilError('camera_no_video_profile', `The stream at ${where} could not be read. Check the RTSP address.`));
        }
      },
    );
  });
}

/** Pure: ffprobe's streams → facts, or "no H.264/H.265 video". */
export function streamFacts(out: { streams?: Array<Record<string, unknown>> }, where: string): RtspStreamFacts {
  const streams = out.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video');
  const codec = String(v?.codec_name ?? '').toLowerCase();
  if (!v || (codec !== 'h264' && codec !== 'hevc')) {
    throw new VigilError('camera_no_video_profile', `The stream at ${where} has no H.264 or H.265 video${v ? ` (it sends ${codec || 'an unknown codec'})` : ''}. Set the camera's video encoding to H.264 or H.265.`);
  }
  const a = streams.find((s) => s.codec_type === 'audio');
  return { video: { codec: codec === 'h264' ? 'H264' : 'H265', width: Number(v.width ?? 0), height: Number(v.height ?? 0) }, audio: a ? String(a.codec_name ?? '') || null : null };
}

/**
 * Pure: ffprobe's error text → the plain reason (the text itself is never passed on). Status
 * words, not bare numbers: the text begins with the URL, whose port may hold "401" or "404"
 * (a refused connection to port 40181 once read as a wrong password).
 */
export function rtspFailure(stderr: string, where: string, timedOut: boolean): VigilError {
  if (/Unauthorized|403 Forbidden/i.test(stderr)) return new VigilError('camera_auth_failed', `The camera at ${where} rejected the user name or password. Check the credentials.`);
  if (timedOut || /Connection refused|timed out|No route to host|Network is unreachable|Name or service not known|Connection reset/i.test(stderr)) {
    return new VigilError('camera_unreachable', `The camera at ${where} does not answer RTSP. Check the address and port, the network, and that the camera is switched on.`);
  }
  if (/Not Found/i.test(stderr)) return new VigilError('camera_no_video_profile', `The camera at ${where} has no stream at that path. Check the RTSP address in the camera's manual or web page.`);
  return new VigilError('camera_unreachable', `The stream at ${where} could not be opened. Check the RTSP address and that the camera is switched on.`);
}
