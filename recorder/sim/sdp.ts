import type { PacketizedAudio, PacketizedVideo } from './camera-media.ts';
import { h264ProfileLevelId } from './rtp-h264.ts';

/**
 * The SDP a camera answers DESCRIBE with (RFC 4566): one video track (H.264 per RFC 6184 or
 * H.265 per RFC 7798, with the parameter sets of the current GOP) and optionally one audio track
 * (PCMA, or AAC as mpeg4-generic per RFC 3640). Track controls are relative to Content-Base.
 */

export const VIDEO_PAYLOAD_TYPE = 96;
export const VIDEO_TRACK = 0;
export const AUDIO_TRACK = 1;

export function trackControl(track: number): string {
  return `trackID=${track}`;
}

export interface SdpOptions {
  /** Numeric session id for the o= line. */
  sessionId: string;
  /** Address the client connected to, for the o= line. */
  address: string;
  sessionName: string;
  video: PacketizedVideo;
  audio?: PacketizedAudio;
}

function videoFmtp(video: PacketizedVideo): string {
  const { sps, pps, vps } = video.loop.parameterSets;
  if (video.loop.codec === 'h264') {
    return (
      `packetization-mode=1;profile-level-id=${h264ProfileLevelId(sps)}` +
      `;sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`
    );
  }
  return `sprop-vps=${vps!.toString('base64')};sprop-sps=${sps.toString('base64')};sprop-pps=${pps.toString('base64')}`;
}

function audioLines(audio: PacketizedAudio): string[] {
  const { loop, payloadType } = audio;
  if (loop.codec === 'pcma') {
    return [`m=audio 0 RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} PCMA/${loop.sampleRate}`];
  }
  const config = loop.audioSpecificConfig!.toString('hex').toUpperCase();
  return [
    `m=audio 0 RTP/AVP ${payloadType}`,
    `a=rtpmap:${payloadType} MPEG4-GENERIC/${loop.sampleRate}/${loop.channels}`,
    `a=fmtp:${payloadType} streamtype=5;profile-level-id=15;mode=AAC-hbr;config=${config}` +
      ';sizelength=13;indexlength=3;indexdeltalength=3',
  ];
}

export function buildSdp(opts: SdpOptions): string {
  const ipVersion = opts.address.includes(':') ? 'IP6' : 'IP4';
  const encoding = opts.video.loop.codec === 'h264' ? 'H264' : 'H265';
  const lines = [
    'v=0',
    `o=- ${opts.sessionId} 1 IN ${ipVersion} ${opts.address}`,
    `s=${opts.sessionName.replace(/[\r\n]/g, ' ')}`,
    `c=IN ${ipVersion} ${ipVersion === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=control:*',
    `m=video 0 RTP/AVP ${VIDEO_PAYLOAD_TYPE}`,
    `a=rtpmap:${VIDEO_PAYLOAD_TYPE} ${encoding}/90000`,
    `a=fmtp:${VIDEO_PAYLOAD_TYPE} ${videoFmtp(opts.video)}`,
    `a=framerate:${opts.video.loop.fps}`,
    `a=control:${trackControl(VIDEO_TRACK)}`,
  ];
  if (opts.audio) lines.push(...audioLines(opts.audio), `a=control:${trackControl(AUDIO_TRACK)}`);
  return `${lines.join('\r\n')}\r\n`;
}
