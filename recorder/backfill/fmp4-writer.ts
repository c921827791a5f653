import { audioTrak, audioTraf, splitAudioRuns, type AacTrackConfig, type AudioRun, type AudioTrackSamples } from './fmp4-audio.ts';
import { parseH264Sps } from './h264-sps.ts';
import { parseH265Sps } from './h265-sps.ts';
import { hvcC, type H265Config } from './hvcc.ts';
import { box, dinf, emptyStbl, fullBox, MATRIX, u32s } from './mp4-box.ts';
import { BACKFILL_BRAND } from '../../src/fmp4/source-brand.ts';

/**
 * Builds one fragmented MP4 segment from H.264 or H.265 access units, shaped like the live
 * segments ffmpeg writes (recorder/ffmpeg-args.ts: frag_keyframe+empty_moov+default_base_moof,
 * frag_duration 1 s): ftyp + moov (avc1/avcC from the SPS/PPS, or hev1/hvcC from the
 * VPS/SPS/PPS, as ffmpeg tags copied HEVC; empty sample tables, mvex),
 * then moof + mdat fragments, a new one at every keyframe and at least every second, the first
 * at a keyframe. Pure: bytes in, bytes out.
 *
 * Timing: one 90 kHz track (the RTP clock, as live segments: recorder/ffmpeg-args.ts). Each
 * sample's presentation time is its frame time; decode times are the sorted presentation times
 * (closed GOPs, so a segment that starts at a keyframe holds every frame its B-frames refer to;
 * an H.265 open GOP's leading pictures after a CRA are skipped by decoders), composition
 * offsets the difference (signed, trun version 1, only when there are B-frames). The first frame is at decode time 0, so
 * wall-clock time of a frame = segment startMs + its media time, as for live segments
 * (src/fmp4/fragment-times.ts). Sample durations are the exact differences of frame times; the
 * last one lasts one frame interval.
 *
 * Audio (optional, fmp4-audio.ts): a second track (mp4a/esds, timescale = sample rate) whose
 * samples go into the moof of the video fragment they fall in (video mdat bytes first).
 */

export const VIDEO_TIMESCALE = 90_000;
const TRACK_ID = 1;
const AUDIO_TRACK_ID = 2;
const FRAGMENT_MAX_TICKS = VIDEO_TIMESCALE; // 1 s, as live segments

export type SampleData = { nalUnits: Buffer[] } | { annexB: Buffer } | { lengthPrefixed: Buffer };

export interface WriterSample {
  data: SampleData;
  keyframe: boolean;
  /** Presentation time in 90 kHz ticks, on any origin shared by the segment's samples. */
  ptsTicks: number;
}

export interface H264Config {
  codec?: 'h264';
  sps: Buffer;
  pps: Buffer;
}

export type { H265Config } from './hvcc.ts';
export type VideoConfig = H264Config | H265Config;

export interface WriteSegmentOptions {
  /** Duration of the last sample; default: the most common interval between frames. */
  frameIntervalTicks?: number;
  /** An AAC track beside the video (same time origin: the first video frame). */
  audio?: AudioTrackSamples;
}

/** Splits an Annex-B byte stream (00 00 01 / 00 00 00 01 start codes) into NAL units. */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const starts: Array<{ at: number; len: number }> = [];
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      const four = i > 0 && buf[i - 1] === 0;
      starts.push({ at: four ? i - 1 : i, len: four ? 4 : 3 });
      i += 2;
    }
  }
  const out: Buffer[] = [];
  starts.forEach((s, n) => {
    const begin = s.at + s.len;
    let end = n + 1 < starts.length ? starts[n + 1]!.at : buf.length;
    while (end > begin && buf[end - 1] === 0 && n + 1 === starts.length) end--; // trailing zero bytes
    if (end > begin) out.push(buf.subarray(begin, end));
  });
  return out;
}

function lengthPrefixed(data: SampleData): Buffer {
  if ('lengthPrefixed' in data) return data.lengthPrefixed;
  const nals = 'nalUnits' in data ? data.nalUnits : splitAnnexB(data.annexB);
  const parts: Buffer[] = [];
  for (const nal of nals) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(nal.length, 0);
    parts.push(len, nal);
  }
  return Buffer.concat(parts);
}

function avcC(c: H264Config): Buffer {
  const info = parseH264Sps(c.sps);
  const head = Buffer.from([1, info.profileIdc, info.constraintFlags, info.levelIdc, 0xfc | 3, 0xe0 | 1]);
  const spsLen = Buffer.alloc(2);
  spsLen.writeUInt16BE(c.sps.length, 0);
  const ppsLen = Buffer.alloc(2);
  ppsLen.writeUInt16BE(c.pps.length, 0);
  const parts = [head, spsLen, c.sps, Buffer.from([1]), ppsLen, c.pps];
  if (info.profileIdc === 100 || info.profileIdc === 110 || info.profileIdc === 122 || info.profileIdc === 144) {
    parts.push(Buffer.from([0xfc | info.chromaFormatIdc, 0xf8 | (info.bitDepthLuma - 8), 0xf8 | (info.bitDepthChroma - 8), 0]));
  }
  return box('avcC', ...parts);
}

/** The visual sample entry's picture size and codec box. */
function videoEntry(c: VideoConfig): { type: string; width: number; height: number; config: Buffer } {
  if (c.codec === 'h265') return { type: 'hev1', ...pick(parseH265Sps(c.sps)), config: hvcC(c) };
  return { type: 'avc1', ...pick(parseH264Sps(c.sps)), config: avcC(c) };
}

const pick = ({ width, height }: { width: number; height: number }) => ({ width, height });

/** ftyp + moov for one H.264 or H.265 track at 90 kHz (and an AAC track when `audio` is given). */
export function buildInit(c: VideoConfig, audio?: AacTrackConfig): Buffer {
  const entry = videoEntry(c);
  const { width, height } = entry;
  // ffmpeg's brands, and Vigil's mark of recovered footage (src/fmp4/source-brand.ts).
  const ftyp = box('ftyp', Buffer.from('iso5', 'latin1'), u32s(512), Buffer.from(`iso5iso6mp41${BACKFILL_BRAND}`, 'latin1'));
  const mvhd = fullBox('mvhd', 0, 0, u32s(0, 0, 1000, 0, 0x00010000), Buffer.from([1, 0]), Buffer.alloc(10), MATRIX, Buffer.alloc(24), u32s((audio ? AUDIO_TRACK_ID : TRACK_ID) + 1));
  const tkhd = fullBox('tkhd', 0, 3, u32s(0, 0, TRACK_ID, 0, 0), Buffer.alloc(8), Buffer.alloc(8), MATRIX, u32s(width * 65536, height * 65536));
  const mdhd = fullBox('mdhd', 0, 0, u32s(0, 0, VIDEO_TIMESCALE, 0), Buffer.from([0x55, 0xc4, 0, 0]));
  const hdlr = fullBox('hdlr', 0, 0, u32s(0), Buffer.from('vide', 'latin1'), Buffer.alloc(12), Buffer.from('VideoHandler\0', 'latin1'));
  const vmhd = fullBox('vmhd', 0, 1, Buffer.alloc(8));
  const visual = Buffer.alloc(78);
  visual.writeUInt16BE(1, 6); // data_reference_index
  visual.writeUInt16BE(width, 24);
  visual.writeUInt16BE(height, 26);
  visual.writeUInt32BE(0x00480000, 28);
  visual.writeUInt32BE(0x00480000, 32);
  visual.writeUInt16BE(1, 40); // frame_count
  visual.writeUInt16BE(0x0018, 74); // depth
  visual.writeInt16BE(-1, 76);
  const stbl = emptyStbl(box(entry.type, visual, entry.config));
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', vmhd, dinf(), stbl)));
  const trex = (id: number) => fullBox('trex', 0, 0, u32s(id, 1, 0, 0, 0));
  if (!audio) return Buffer.concat([ftyp, box('moov', mvhd, trak, box('mvex', trex(TRACK_ID)))]);
  return Buffer.concat([ftyp, box('moov', mvhd, trak, audioTrak(AUDIO_TRACK_ID, audio), box('mvex', trex(TRACK_ID), trex(AUDIO_TRACK_ID)))]);
}

interface Timed {
  bytes: Buffer;
  keyframe: boolean;
  dts: number;
  cts: number;
  duration: number;
}

const KEY_FLAGS = 0x02000000; // depends on no other sample
const NON_KEY_FLAGS = 0x01010000; // depends on others, not a sync sample

function fragment(seq: number, samples: Timed[], audio?: AudioRun): Buffer {
  const hasCts = samples.some((s) => s.cts !== 0);
  const negative = samples.some((s) => s.cts < 0);
  const trunFlags = 0x1 | 0x100 | 0x200 | 0x400 | (hasCts ? 0x800 : 0);
  const perSample = hasCts ? 16 : 12;
  const table = Buffer.alloc(samples.length * perSample);
  samples.forEach((s, i) => {
    const o = i * perSample;
    table.writeUInt32BE(s.duration, o);
    table.writeUInt32BE(s.bytes.length, o + 4);
    table.writeUInt32BE(s.keyframe ? KEY_FLAGS : NON_KEY_FLAGS, o + 8);
    if (hasCts) table.writeInt32BE(s.cts, o + 12);
  });
  const tfdtValue = Buffer.alloc(8);
  tfdtValue.writeBigUInt64BE(BigInt(samples[0]!.dts), 0);
  const videoBytes = samples.reduce((n, s) => n + s.bytes.length, 0);
  const withAudio = audio && audio.samples.length > 0 ? audio : null;
  const build = (dataOffset: number) =>
    box(
      'moof',
      fullBox('mfhd', 0, 0, u32s(seq)),
      box(
        'traf',
        fullBox('tfhd', 0, 0x020000, u32s(TRACK_ID)),
        fullBox('tfdt', 1, 0, tfdtValue),
        fullBox('trun', negative ? 1 : 0, trunFlags, u32s(samples.length, dataOffset), table),
      ),
      ...(withAudio ? [audioTraf(AUDIO_TRACK_ID, withAudio, dataOffset + videoBytes)] : []),
    );
  const moofSize = build(0).length;
  const audioData = withAudio ? withAudio.samples.map((s) => s.data) : [];
  const mdatSize = 8 + videoBytes + audioData.reduce((n, b) => n + b.length, 0);
  const mdatHead = Buffer.alloc(8);
  mdatHead.writeUInt32BE(mdatSize, 0);
  mdatHead.write('mdat', 4, 'latin1');
  return Buffer.concat([build(moofSize + 8), mdatHead, ...samples.map((s) => s.bytes), ...audioData]);
}

function mostCommonDelta(sortedPts: number[]): number | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < sortedPts.length; i++) {
    const d = sortedPts[i]! - sortedPts[i - 1]!;
    if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: number | null = null;
  let bestCount = 0;
  for (const [d, n] of counts) if (n > bestCount || (n === bestCount && best !== null && d < best)) [best, bestCount] = [d, n];
  return best;
}

/**
 * The bytes of one segment. Samples are in decoding order and the first must be a keyframe;
 * throws RangeError otherwise (a caller bug, never camera input: the segmenter guarantees it).
 */
export function writeFmp4Segment(config: VideoConfig, samples: readonly WriterSample[], opts: WriteSegmentOptions = {}): Buffer {
  if (samples.length === 0) throw new RangeError('a segment needs at least one sample');
  if (!samples[0]!.keyframe) throw new RangeError('a segment must start with a keyframe');
  const sortedPts = samples.map((s) => s.ptsTicks).sort((a, b) => a - b);
  const origin = sortedPts[0]!;
  const interval = opts.frameIntervalTicks ?? mostCommonDelta(sortedPts) ?? 3600;
  const timed: Timed[] = samples.map((s, i) => {
    const dts = sortedPts[i]! - origin;
    const next = i + 1 < sortedPts.length ? sortedPts[i + 1]! - origin : dts + interval;
    return { bytes: lengthPrefixed(s.data), keyframe: s.keyframe, dts, cts: s.ptsTicks - origin - dts, duration: next - dts };
  });
  const groups: Timed[][] = [];
  let current: Timed[] = [];
  for (const t of timed) {
    const first = current[0];
    if (first && (t.keyframe || t.dts - first.dts >= FRAGMENT_MAX_TICKS)) {
      groups.push(current);
      current = [];
    }
    current.push(t);
  }
  if (current.length > 0) groups.push(current);
  const audioRuns = opts.audio ? splitAudioRuns(opts.audio, groups.map((g) => g[0]!.dts), VIDEO_TIMESCALE) : [];
  return Buffer.concat([buildInit(config, opts.audio?.config), ...groups.map((g, i) => fragment(i + 1, g, audioRuns[i]))]);
}
