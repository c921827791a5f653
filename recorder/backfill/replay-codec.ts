import type { SdpMedia } from './sdp-parse.ts';

/**
 * Why a camera's replay video cannot be read, or null when it can: H.264 (RFC 6184) and
 * H.265 (RFC 7798) without decoding order numbers. Pure. Asking again gives the same answer,
 * so the caller ends the job as unsupported rather than retrying.
 */
export function replayVideoRefusal(video: Pick<SdpMedia, 'encoding' | 'fmtp'> | undefined): string | null {
  if (!video) return 'replays no video';
  if (video.encoding === 'H264') return null;
  if (video.encoding === 'H265') {
    if (Number(video.fmtp.get('sprop-max-don-diff') ?? 0) > 0) return 'replays H.265 with decoding order numbers (sprop-max-don-diff > 0), which Vigil does not read';
    return null;
  }
  return `replays ${video.encoding || 'an unnamed codec'}; Vigil fetches H.264 and H.265 edge footage`;
}
