import type { Mp4Box } from '../mp4-boxes.ts';
import { childBoxes, damaged, ensureInside, fullBoxHeader, readU64, requireChild } from './box-tree.ts';
import type { TrackDefaults } from './init-info.ts';

/**
 * The structure of one `moof` box: mfhd sequence number and, per traf, tfhd, tfdt and trun
 * with every sample's duration, size, flags and composition offset resolved against the
 * defaults (trun → tfhd → trex). Pure. Field offsets are absolute so the rewriter can patch.
 */
export const TFHD_BASE_DATA_OFFSET = 0x000001;
export const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
export const TFHD_DEFAULT_SAMPLE_DURATION = 0x000008;
export const TFHD_DEFAULT_SAMPLE_SIZE = 0x000010;
export const TFHD_DEFAULT_SAMPLE_FLAGS = 0x000020;
export const TFHD_DURATION_IS_EMPTY = 0x010000;
export const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

export const TRUN_DATA_OFFSET = 0x000001;
export const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
export const TRUN_SAMPLE_DURATION = 0x000100;
export const TRUN_SAMPLE_SIZE = 0x000200;
export const TRUN_SAMPLE_FLAGS = 0x000400;
export const TRUN_SAMPLE_COMPOSITION_OFFSET = 0x000800;

/** sample_is_non_sync_sample bit of the ISO-BMFF sample flags. */
export const SAMPLE_FLAG_NON_SYNC = 0x00010000;

export interface SampleInfo {
  durationTicks: number;
  sizeBytes: number;
  flags: number;
  compositionOffsetTicks: number;
}

export interface TrunInfo {
  version: number;
  flags: number;
  sampleCount: number;
  dataOffset: number | null;
  firstSampleFlags: number | null;
  samples: SampleInfo[];
}

export interface DecodeTimeField {
  version: 0 | 1;
  /** baseMediaDecodeTime in the track's ticks. */
  value: number;
  /** Absolute offset of the value (u32 for v0, u64 for v1). */
  valueOffset: number;
}

export interface TrafInfo {
  trackId: number;
  tfhdFlags: number;
  baseDataOffset: number | null;
  sampleDescriptionIndex: number | null;
  defaultSampleDurationTicks: number | null;
  defaultSampleSizeBytes: number | null;
  defaultSampleFlags: number | null;
  decodeTime: DecodeTimeField | null;
  truns: TrunInfo[];
}

export interface MoofInfo {
  offset: number;
  size: number;
  sequenceNumber: number;
  /** Absolute offset of mfhd's sequence_number (u32). */
  sequenceNumberOffset: number;
  trafs: TrafInfo[];
}

const NO_DEFAULTS: TrackDefaults = { sampleDescriptionIndex: 1, sampleDurationTicks: 0, sampleSizeBytes: 0, sampleFlags: 0 };

export function parseMoof(buf: Buffer, moof: Mp4Box, trex: ReadonlyMap<number, TrackDefaults> = new Map()): MoofInfo {
  if (moof.type !== 'moof') throw damaged(`expected a moof box at byte ${moof.offset}, found ${moof.type}`);
  const mfhd = requireChild(buf, moof, 'mfhd');
  const mfhdBody = fullBoxHeader(buf, mfhd).bodyOffset;
  ensureInside(mfhd, mfhdBody, 4);
  const trafs = childBoxes(buf, moof)
    .filter((b) => b.type === 'traf')
    .map((traf) => parseTraf(buf, traf, trex));
  return { offset: moof.offset, size: moof.size, sequenceNumber: buf.readUInt32BE(mfhdBody), sequenceNumberOffset: mfhdBody, trafs };
}

function parseTraf(buf: Buffer, traf: Mp4Box, trex: ReadonlyMap<number, TrackDefaults>): TrafInfo {
  const kids = childBoxes(buf, traf);
  const tfhd = kids.find((b) => b.type === 'tfhd');
  if (!tfhd) throw damaged(`traf at byte ${traf.offset} has no tfhd`);
  const th = fullBoxHeader(buf, tfhd);
  let o = th.bodyOffset;
  const need = 4 + [TFHD_BASE_DATA_OFFSET, TFHD_SAMPLE_DESCRIPTION_INDEX, TFHD_DEFAULT_SAMPLE_DURATION, TFHD_DEFAULT_SAMPLE_SIZE, TFHD_DEFAULT_SAMPLE_FLAGS]
    .reduce((n, f) => n + (th.flags & f ? (f === TFHD_BASE_DATA_OFFSET ? 8 : 4) : 0), 0);
  ensureInside(tfhd, o, need);
  const trackId = buf.readUInt32BE(o);
  o += 4;
  const take = (flag: number, bytes: 4 | 8): number | null => {
    if (!(th.flags & flag)) return null;
    const v = bytes === 8 ? readU64(buf, o, 'tfhd base data offset') : buf.readUInt32BE(o);
    o += bytes;
    return v;
  };
  const info: TrafInfo = {
    trackId,
    tfhdFlags: th.flags,
    baseDataOffset: take(TFHD_BASE_DATA_OFFSET, 8),
    sampleDescriptionIndex: take(TFHD_SAMPLE_DESCRIPTION_INDEX, 4),
    defaultSampleDurationTicks: take(TFHD_DEFAULT_SAMPLE_DURATION, 4),
    defaultSampleSizeBytes: take(TFHD_DEFAULT_SAMPLE_SIZE, 4),
    defaultSampleFlags: take(TFHD_DEFAULT_SAMPLE_FLAGS, 4),
    decodeTime: null,
    truns: [],
  };
  const tfdt = kids.find((b) => b.type === 'tfdt');
  if (tfdt) {
    const h = fullBoxHeader(buf, tfdt);
    ensureInside(tfdt, h.bodyOffset, h.version === 1 ? 8 : 4);
    info.decodeTime = h.version === 1
      ? { version: 1, value: readU64(buf, h.bodyOffset, 'tfdt'), valueOffset: h.bodyOffset }
      : { version: 0, value: buf.readUInt32BE(h.bodyOffset), valueOffset: h.bodyOffset };
  }
  const defaults = trex.get(trackId) ?? NO_DEFAULTS;
  for (const trun of kids.filter((b) => b.type === 'trun')) info.truns.push(parseTrun(buf, trun, info, defaults));
  return info;
}

function parseTrun(buf: Buffer, trun: Mp4Box, traf: TrafInfo, trex: TrackDefaults): TrunInfo {
  const h = fullBoxHeader(buf, trun);
  let o = h.bodyOffset;
  ensureInside(trun, o, 4);
  const sampleCount = buf.readUInt32BE(o);
  o += 4;
  let dataOffset: number | null = null;
  let firstSampleFlags: number | null = null;
  if (h.flags & TRUN_DATA_OFFSET) {
    ensureInside(trun, o, 4);
    dataOffset = buf.readInt32BE(o);
    o += 4;
  }
  if (h.flags & TRUN_FIRST_SAMPLE_FLAGS) {
    ensureInside(trun, o, 4);
    firstSampleFlags = buf.readUInt32BE(o);
    o += 4;
  }
  const fields = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_COMPOSITION_OFFSET].filter((f) => h.flags & f);
  ensureInside(trun, o, sampleCount * fields.length * 4);
  const dur = traf.defaultSampleDurationTicks ?? trex.sampleDurationTicks;
  const size = traf.defaultSampleSizeBytes ?? trex.sampleSizeBytes;
  const flags = traf.defaultSampleFlags ?? trex.sampleFlags;
  const samples: SampleInfo[] = [];
  for (let i = 0; i < sampleCount; i++) {
    const s: SampleInfo = { durationTicks: dur, sizeBytes: size, flags: i === 0 && firstSampleFlags !== null ? firstSampleFlags : flags, compositionOffsetTicks: 0 };
    if (h.flags & TRUN_SAMPLE_DURATION) { s.durationTicks = buf.readUInt32BE(o); o += 4; }
    if (h.flags & TRUN_SAMPLE_SIZE) { s.sizeBytes = buf.readUInt32BE(o); o += 4; }
    if (h.flags & TRUN_SAMPLE_FLAGS) {
      const f = buf.readUInt32BE(o);
      o += 4;
      if (!(i === 0 && firstSampleFlags !== null)) s.flags = f;
    }
    if (h.flags & TRUN_SAMPLE_COMPOSITION_OFFSET) { s.compositionOffsetTicks = h.version === 0 ? buf.readUInt32BE(o) : buf.readInt32BE(o); o += 4; }
    samples.push(s);
  }
  return { version: h.version, flags: h.flags, sampleCount, dataOffset, firstSampleFlags, samples };
}

export function isSyncSample(flags: number): boolean {
  return (flags & SAMPLE_FLAG_NON_SYNC) === 0;
}

/** Sum of the sample durations of a traf (its span of decode time). */
export function trafDurationTicks(t: TrafInfo): number {
  let n = 0;
  for (const r of t.truns) for (const s of r.samples) n += s.durationTicks;
  return n;
}
