import type { AudioKind, SimCameraSpec, VideoKind } from './camera-spec.ts';
import { type AudioLoop, loadAudioLoop, loadVideoLoop, type VideoLoop } from './media-loop.ts';
import {
  type MediaPrepOptions,
  prepareAudioLoop,
  prepareVideoLoop,
  resolveLoopTiming,
  resolveSimMediaDir,
  type VideoVariant,
} from './media-prep.ts';
import { packetizeAacHbr, packetizePcma } from './rtp-audio.ts';
import { packetizeH264 } from './rtp-h264.ts';
import { packetizeH265 } from './rtp-h265.ts';
import type { RtpPayload } from './rtp-packet.ts';

/**
 * Everything one simulated camera streams, loaded and packetized once. Loops are shared: thirty
 * cameras of the same kind hold one copy in memory.
 */

export interface PacketizedVideo {
  loop: VideoLoop;
  /** RTP payloads of each frame of loop.frames, same index. */
  payloads: RtpPayload[][];
}

export interface PacketizedAudio {
  loop: AudioLoop;
  payloads: RtpPayload[][];
  /** Dynamic payload type for AAC, static 8 for PCMA. */
  payloadType: number;
}

export interface CameraMedia {
  video: VideoKind;
  audio: AudioKind;
  /** 1920x1080 main stream. */
  main: PacketizedVideo;
  /** 1280x720 main stream used while the altResolution fault is set. */
  alt: PacketizedVideo;
  /** 640x360 sub stream. */
  sub: PacketizedVideo;
  /** Same audio on both streams; absent for audio 'none'. */
  audioTrack?: PacketizedAudio;
}

export const AAC_PAYLOAD_TYPE = 97;

export function packetizeVideo(loop: VideoLoop): PacketizedVideo {
  const pack = loop.codec === 'h264' ? packetizeH264 : packetizeH265;
  return { loop, payloads: loop.frames.map((f) => pack(f.nalUnits)) };
}

export function packetizeAudio(loop: AudioLoop): PacketizedAudio {
  const pack = loop.codec === 'pcma' ? packetizePcma : packetizeAacHbr;
  return { loop, payloads: loop.frames.map(pack), payloadType: loop.codec === 'pcma' ? 8 : AAC_PAYLOAD_TYPE };
}

const videoCache = new Map<string, Promise<PacketizedVideo>>();
const audioCache = new Map<string, Promise<PacketizedAudio>>();

function memo<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key)); // a failed preparation may be retried
  }
  return p;
}

function optionsKey(opts: MediaPrepOptions): string {
  const { loopSeconds, gopSeconds } = resolveLoopTiming(opts);
  return `${resolveSimMediaDir(opts.cacheDir)}|${loopSeconds}|${gopSeconds}`;
}

export function loadPacketizedVideo(kind: VideoKind, variant: VideoVariant, opts: MediaPrepOptions = {}): Promise<PacketizedVideo> {
  return memo(videoCache, `${optionsKey(opts)}|${kind}|${variant}`, async () =>
    packetizeVideo(await loadVideoLoop(await prepareVideoLoop(kind, variant, opts))),
  );
}

export function loadPacketizedAudio(kind: Exclude<AudioKind, 'none'>, opts: MediaPrepOptions = {}): Promise<PacketizedAudio> {
  return memo(audioCache, `${optionsKey(opts)}|${kind}`, async () =>
    packetizeAudio(await loadAudioLoop(await prepareAudioLoop(kind, opts))),
  );
}

/**
 * Prepares (encoding on first use, from the cache afterwards) and loads what a camera streams.
 * Encodes run one after another: the machines this runs on are small.
 */
export async function prepareCameraMedia(
  spec: Pick<SimCameraSpec, 'video' | 'audio'>,
  opts: MediaPrepOptions = {},
): Promise<CameraMedia> {
  const main = await loadPacketizedVideo(spec.video, 'main', opts);
  const alt = await loadPacketizedVideo(spec.video, 'alt', opts);
  const sub = await loadPacketizedVideo(spec.video, 'sub', opts);
  const audioTrack = spec.audio === 'none' ? undefined : await loadPacketizedAudio(spec.audio, opts);
  return { video: spec.video, audio: spec.audio, main, alt, sub, ...(audioTrack ? { audioTrack } : {}) };
}
