import { box, dinf, emptyStbl, fullBox, MATRIX, u32s } from './mp4-box.ts';

/**
 * The AAC track of a backfilled segment, as ffmpeg's mp4 muxer writes the live one: trak with
 * mp4a + esds (MPEG-4 Audio, the AudioSpecificConfig as decoder-specific info), timescale =
 * sample rate; and the per-fragment traf (tfdt = decode time of its first sample, trun with
 * per-sample durations and sizes). Pure.
 */

export interface AacTrackConfig {
  /** AudioSpecificConfig (ISO 14496-3 §1.6.2.1). */
  asc: Buffer;
  sampleRate: number;
  channels: number;
}

export interface AudioTrackSamples {
  config: AacTrackConfig;
  /** Decode time of the first sample, in sample-rate ticks from the segment's start (≥ 0). */
  firstTicks: number;
  /** Raw AAC access units in order, each with its duration in sample-rate ticks. */
  samples: Array<{ data: Buffer; durationTicks: number }>;
}

/** One descriptor (ISO 14496-1 §8.3.3) with the 4-byte size form ffmpeg uses. */
function descriptor(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  return Buffer.concat([Buffer.from([tag, 0x80 | ((n >> 21) & 0x7f), 0x80 | ((n >> 14) & 0x7f), 0x80 | ((n >> 7) & 0x7f), n & 0x7f]), body]);
}

function esds(trackId: number, c: AacTrackConfig): Buffer {
  const es = Buffer.alloc(3);
  es.writeUInt16BE(trackId, 0);
  const dcd = Buffer.alloc(13);
  dcd[0] = 0x40; // MPEG-4 Audio
  dcd[1] = (0x05 << 2) | 1; // audio stream
  dcd.writeUIntBE(0, 2, 3); // buffer size: unknown
  dcd.writeUInt32BE(0, 5); // max bitrate: unknown
  dcd.writeUInt32BE(0, 9); // average bitrate: unknown
  return fullBox('esds', 0, 0, descriptor(0x03, es, descriptor(0x04, dcd, descriptor(0x05, c.asc)), descriptor(0x06, Buffer.from([0x02]))));
}

export function audioTrak(trackId: number, c: AacTrackConfig): Buffer {
  const tkhdMid = Buffer.alloc(8);
  tkhdMid.writeUInt16BE(1, 2); // alternate group
  tkhdMid.writeUInt16BE(0x0100, 4); // volume 1.0
  const tkhd = fullBox('tkhd', 0, 3, u32s(0, 0, trackId, 0, 0), Buffer.alloc(8), tkhdMid, MATRIX, u32s(0, 0));
  const mdhd = fullBox('mdhd', 0, 0, u32s(0, 0, c.sampleRate, 0), Buffer.from([0x55, 0xc4, 0, 0]));
  const hdlr = fullBox('hdlr', 0, 0, u32s(0), Buffer.from('soun', 'latin1'), Buffer.alloc(12), Buffer.from('SoundHandler\0', 'latin1'));
  const smhd = fullBox('smhd', 0, 0, Buffer.alloc(4));
  const entry = Buffer.alloc(28);
  entry.writeUInt16BE(1, 6); // data_reference_index
  // As ffmpeg's mp4 muxer (and ISO 14496-14) writes it: 2 channels, 16 bits; the real layout is in the ASC.
  // Live and backfilled segments then have the same moov layout, so clips join them.
  entry.writeUInt16BE(2, 16);
  entry.writeUInt16BE(16, 18); // sample size
  entry.writeUInt32BE((c.sampleRate & 0xffff) * 65536, 24);
  const mp4a = box('mp4a', entry, esds(trackId, c));
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', smhd, dinf(), emptyStbl(mp4a))));
}

export interface AudioRun {
  dtsTicks: number;
  samples: Array<{ data: Buffer; durationTicks: number }>;
}

/** traf of one fragment's audio; `dataOffset` = where its first sample starts, from the moof's first byte. */
export function audioTraf(trackId: number, run: AudioRun, dataOffset: number): Buffer {
  const table = Buffer.alloc(run.samples.length * 12);
  run.samples.forEach((s, i) => {
    table.writeUInt32BE(s.durationTicks, i * 12);
    table.writeUInt32BE(s.data.length, i * 12 + 4);
    table.writeUInt32BE(0x02000000, i * 12 + 8); // every AAC frame is a sync sample
  });
  const tfdt = Buffer.alloc(8);
  tfdt.writeBigUInt64BE(BigInt(run.dtsTicks), 0);
  return box(
    'traf',
    fullBox('tfhd', 0, 0x020000, u32s(trackId)),
    fullBox('tfdt', 1, 0, tfdt),
    fullBox('trun', 0, 0x1 | 0x100 | 0x200 | 0x400, u32s(run.samples.length, dataOffset), table),
  );
}

/**
 * Splits the audio samples over the video fragments: fragment i takes the samples whose decode
 * time (converted to 90 kHz) is before fragment i+1's start; the last takes the rest.
 */
export function splitAudioRuns(audio: AudioTrackSamples, fragmentStartsVideoTicks: readonly number[], videoTimescale: number): AudioRun[] {
  const runs: AudioRun[] = fragmentStartsVideoTicks.map(() => ({ dtsTicks: 0, samples: [] }));
  let dts = audio.firstTicks;
  let f = 0;
  for (const s of audio.samples) {
    const atVideo = (dts * videoTimescale) / audio.config.sampleRate;
    while (f + 1 < fragmentStartsVideoTicks.length && atVideo >= fragmentStartsVideoTicks[f + 1]!) f++;
    const r = runs[f]!;
    if (r.samples.length === 0) r.dtsTicks = dts;
    r.samples.push(s);
    dts += s.durationTicks;
  }
  return runs;
}
