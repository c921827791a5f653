import { readFile } from 'node:fs/promises';
import type { PreparedAudioFiles, PreparedVideoFiles, VideoIndexFile } from './media-prep.ts';

/**
 * A prepared loop loaded into memory, ready to be packetized: video as access units in decode
 * order with 90 kHz timestamps, audio as codec frames. Buffers are views into the file read once.
 */

export const VIDEO_CLOCK_RATE = 90_000;

export type VideoCodec = 'h264' | 'h265';

export interface VideoFrame {
  /** Presentation time in 90 kHz ticks from the loop start (>= dtsTicks). */
  ptsTicks: number;
  /** Decode time in 90 kHz ticks from the loop start; frame i has dtsTicks = i * frameTicks. */
  dtsTicks: number;
  keyframe: boolean;
  /** NAL units without start codes or length prefixes (SEI and access unit delimiters removed). */
  nalUnits: Buffer[];
}

export interface VideoParameterSets {
  vps?: Buffer;
  sps: Buffer;
  pps: Buffer;
}

export interface VideoLoop {
  codec: VideoCodec;
  width: number;
  height: number;
  fps: number;
  frameTicks: number;
  durationTicks: number;
  frames: VideoFrame[];
  /** From the first keyframe; every keyframe carries its own copy in-band. */
  parameterSets: VideoParameterSets;
  /** True when presentation order differs from decode order. */
  hasBFrames: boolean;
}

export type AudioCodec = 'pcma' | 'aac';

export interface AudioLoop {
  codec: AudioCodec;
  sampleRate: number;
  channels: number;
  samplesPerFrame: number;
  /** One codec frame each: 20 ms of A-law bytes, or one raw AAC access unit (no ADTS header). */
  frames: Buffer[];
  /** AAC only: the AudioSpecificConfig (for SDP config=). */
  audioSpecificConfig?: Buffer;
}

function nalType(codec: VideoCodec, nal: Buffer): number {
  return codec === 'h264' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f;
}

/** NAL types kept out of the stream: SEI (encoder banners) and access unit delimiters. */
function isDropped(codec: VideoCodec, type: number): boolean {
  return codec === 'h264' ? type === 6 || type === 9 : type === 35 || type === 39 || type === 40;
}

const PARAM_TYPES: Record<VideoCodec, { vps?: number; sps: number; pps: number }> = {
  h264: { sps: 7, pps: 8 },
  h265: { vps: 32, sps: 33, pps: 34 },
};

/** Splits an MP4 sample (4-byte big-endian length before each NAL unit) into NAL units. */
export function splitLengthPrefixed(sample: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let off = 0;
  while (off + 4 <= sample.length) {
    const len = sample.readUInt32BE(off);
    if (len === 0 || off + 4 + len > sample.length) throw new Error(`bad NAL length ${len} at ${off}`);
    nals.push(sample.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  if (off !== sample.length) throw new Error('trailing bytes after last NAL unit');
  return nals;
}

export async function loadVideoLoop(files: PreparedVideoFiles): Promise<VideoLoop> {
  const index = JSON.parse(await readFile(files.indexPath, 'utf8')) as VideoIndexFile;
  const data = await readFile(files.mp4Path);
  const codec: VideoCodec = index.codec === 'hevc' ? 'h265' : 'h264';
  const where = `sim media ${files.dir}`;
  if (index.samples.length === 0) throw new Error(`${where}: no video samples`);
  const dts0 = index.samples[0]!.dts;
  const frameTicks = Math.round(index.timescale / index.fps);
  const params = PARAM_TYPES[codec];
  let parameterSets: VideoParameterSets | undefined;
  let hasBFrames = false;
  let maxPts = -Infinity;

  const frames = index.samples.map((s, i): VideoFrame => {
    const dtsTicks = s.dts - dts0;
    const ptsTicks = s.pts - dts0;
    if (dtsTicks !== i * frameTicks) throw new Error(`${where}: frame ${i} dts ${dtsTicks} is not ${i} x ${frameTicks}`);
    if (ptsTicks < dtsTicks) throw new Error(`${where}: frame ${i} pts before dts`);
    if (s.key !== (i % index.gopFrames === 0)) throw new Error(`${where}: keyframe flag of frame ${i} breaks the fixed GOP`);
    if (ptsTicks < maxPts) hasBFrames = true;
    maxPts = Math.max(maxPts, ptsTicks);
    const all = splitLengthPrefixed(data.subarray(s.pos, s.pos + s.size));
    const nalUnits = all.filter((n) => !isDropped(codec, nalType(codec, n)));
    if (s.key) {
      const find = (t: number | undefined) => (t === undefined ? undefined : nalUnits.find((n) => nalType(codec, n) === t));
      const sps = find(params.sps);
      const pps = find(params.pps);
      const vps = find(params.vps);
      if (!sps || !pps || (params.vps !== undefined && !vps)) {
        throw new Error(`${where}: keyframe ${i} lacks in-band parameter sets`);
      }
      parameterSets ??= { sps, pps, ...(vps ? { vps } : {}) };
    }
    return { ptsTicks, dtsTicks, keyframe: s.key, nalUnits };
  });
  if (frames.length % index.gopFrames !== 0) throw new Error(`${where}: loop is not a whole number of GOPs`);
  return {
    codec,
    width: index.width,
    height: index.height,
    fps: index.fps,
    frameTicks,
    durationTicks: frames.length * frameTicks,
    frames,
    parameterSets: parameterSets!,
    hasBFrames,
  };
}

const PCMA_FRAME_MS = 20;

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export async function loadAudioLoop(files: PreparedAudioFiles): Promise<AudioLoop> {
  const data = await readFile(files.dataPath);
  if (files.kind === 'pcma') {
    const bytesPerFrame = (files.sampleRate * PCMA_FRAME_MS) / 1000;
    const frames: Buffer[] = [];
    for (let off = 0; off + bytesPerFrame <= data.length; off += bytesPerFrame) {
      frames.push(data.subarray(off, off + bytesPerFrame));
    }
    return { codec: 'pcma', sampleRate: files.sampleRate, channels: 1, samplesPerFrame: bytesPerFrame, frames };
  }
  return parseAdts(data, files.dataPath);
}

/** Splits an ADTS stream into raw AAC frames and derives the AudioSpecificConfig. */
export function parseAdts(data: Buffer, where = 'ADTS'): AudioLoop {
  const frames: Buffer[] = [];
  let config: { objectType: number; rateIndex: number; channels: number } | undefined;
  let off = 0;
  while (off + 7 <= data.length) {
    if (data[off] !== 0xff || (data[off + 1]! & 0xf6) !== 0xf0) throw new Error(`${where}: lost ADTS sync at ${off}`);
    const protectionAbsent = data[off + 1]! & 0x01;
    const objectType = (data[off + 2]! >> 6) + 1;
    const rateIndex = (data[off + 2]! >> 2) & 0x0f;
    const channels = ((data[off + 2]! & 0x01) << 2) | (data[off + 3]! >> 6);
    const frameLength = ((data[off + 3]! & 0x03) << 11) | (data[off + 4]! << 3) | (data[off + 5]! >> 5);
    const rawBlocks = data[off + 6]! & 0x03;
    if (rawBlocks !== 0) throw new Error(`${where}: multi-block ADTS frames are not supported`);
    const headerLength = protectionAbsent ? 7 : 9;
    if (frameLength < headerLength || off + frameLength > data.length) throw new Error(`${where}: truncated ADTS frame at ${off}`);
    config ??= { objectType, rateIndex, channels };
    frames.push(data.subarray(off + headerLength, off + frameLength));
    off += frameLength;
  }
  if (!config || frames.length === 0) throw new Error(`${where}: no AAC frames`);
  const sampleRate = ADTS_RATES[config.rateIndex];
  if (sampleRate === undefined) throw new Error(`${where}: bad sampling index ${config.rateIndex}`);
  // AudioSpecificConfig (ISO 14496-3): 5 bits object type, 4 bits rate index, 4 bits channels, 3 bits zero.
  const asc = Buffer.alloc(2);
  asc.writeUInt16BE((config.objectType << 11) | (config.rateIndex << 7) | (config.channels << 3));
  return { codec: 'aac', sampleRate, channels: config.channels, samplesPerFrame: 1024, frames, audioSpecificConfig: asc };
}
