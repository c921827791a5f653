import { createHash } from 'node:crypto';
import { scanTopLevelBoxes, type Mp4Box } from '../mp4-boxes.ts';
import { childBoxes, damaged, ensureInside, findChild, findPath, fullBoxHeader, requireChild } from './box-tree.ts';

/**
 * What the init part (ftyp + moov) of a fragmented MP4 says about its tracks. Pure.
 *
 * Two fingerprints decide how segments may be joined in one file:
 *  - `layout`: track ids, handlers, codec four-character codes, timescales and audio format.
 *    Segments with the same layout can follow one another under one moov.
 *  - `config`: layout plus each sample entry's bytes (parameter sets, width, height). A
 *    different config under the same layout is a resolution or parameter change that decoders
 *    follow from the parameter sets carried in the samples themselves.
 */
export type TrackHandler = 'vide' | 'soun' | string;

export interface TrackDefaults {
  sampleDescriptionIndex: number;
  sampleDurationTicks: number;
  sampleSizeBytes: number;
  sampleFlags: number;
}

export interface InitTrack {
  trackId: number;
  handler: TrackHandler;
  /** mdhd timescale: ticks per second of this track's decode and composition times. */
  timescale: number;
  /** Four-character code of the first sample entry: avc1, avc3, hvc1, hev1, mp4a, … */
  codec: string;
  width?: number;
  height?: number;
  channels?: number;
  sampleRateHz?: number;
  /** Bytes of each NAL unit's length prefix in samples (from avcC / hvcC), for H.264/H.265. */
  nalLengthSize?: number;
  /** Defaults from mvex/trex, used when a fragment does not override them. */
  defaults: TrackDefaults;
  /** First edit's media_time (ticks), when an edit list shifts presentation (B-frames). */
  editMediaTimeTicks: number | null;
}

export interface InitInfo {
  /** Bytes of ftyp + moov (everything before the first moof). */
  initBytes: number;
  movieTimescale: number;
  tracks: InitTrack[];
  layoutFingerprint: string;
  configFingerprint: string;
}

/** Parses ftyp + moov. The buffer must hold at least the whole moov. */
export function parseInit(buf: Buffer): InitInfo {
  const top = scanTopLevelBoxes(buf).boxes;
  const moov = top.find((b) => b.type === 'moov');
  if (!moov || moov.truncated) throw damaged('no complete moov box in the init part');
  const firstMoof = top.find((b) => b.type === 'moof');
  const initBytes = firstMoof ? firstMoof.offset : moov.offset + moov.size;
  const mvhd = requireChild(buf, moov, 'mvhd');
  const mvhdHead = fullBoxHeader(buf, mvhd);
  const movieTimescale = buf.readUInt32BE(mvhdHead.bodyOffset + (mvhdHead.version === 1 ? 16 : 8));
  const trexById = new Map<number, TrackDefaults>();
  const mvex = findChild(buf, moov, 'mvex');
  for (const trex of mvex ? childBoxes(buf, mvex).filter((b) => b.type === 'trex') : []) {
    const o = fullBoxHeader(buf, trex).bodyOffset;
    ensureInside(trex, o, 20);
    trexById.set(buf.readUInt32BE(o), {
      sampleDescriptionIndex: buf.readUInt32BE(o + 4),
      sampleDurationTicks: buf.readUInt32BE(o + 8),
      sampleSizeBytes: buf.readUInt32BE(o + 12),
      sampleFlags: buf.readUInt32BE(o + 16),
    });
  }
  const tracks: InitTrack[] = [];
  const entries: Buffer[] = [];
  for (const trak of childBoxes(buf, moov).filter((b) => b.type === 'trak')) {
    const { track, sampleEntry } = parseTrak(buf, trak, trexById);
    tracks.push(track);
    entries.push(sampleEntry);
  }
  if (tracks.length === 0) throw damaged('the moov box has no tracks');
  const layoutFingerprint = tracks
    .map((t) => [t.trackId, t.handler, t.codec, t.timescale, t.channels ?? '', t.sampleRateHz ?? ''].join(':'))
    .join('|');
  const hash = createHash('sha256').update(layoutFingerprint);
  for (const e of entries) hash.update(e);
  return { initBytes, movieTimescale, tracks, layoutFingerprint, configFingerprint: `${layoutFingerprint}#${hash.digest('hex').slice(0, 16)}` };
}

function parseTrak(buf: Buffer, trak: Mp4Box, trexById: Map<number, TrackDefaults>): { track: InitTrack; sampleEntry: Buffer } {
  const tkhd = requireChild(buf, trak, 'tkhd');
  const tk = fullBoxHeader(buf, tkhd);
  const trackId = buf.readUInt32BE(tk.bodyOffset + (tk.version === 1 ? 16 : 8));
  const mdia = requireChild(buf, trak, 'mdia');
  const mdhd = requireChild(buf, mdia, 'mdhd');
  const md = fullBoxHeader(buf, mdhd);
  const timescale = buf.readUInt32BE(md.bodyOffset + (md.version === 1 ? 16 : 8));
  if (timescale === 0) throw damaged(`track ${trackId} has a zero timescale`);
  const hdlr = requireChild(buf, mdia, 'hdlr');
  const handler = buf.toString('latin1', fullBoxHeader(buf, hdlr).bodyOffset + 4, fullBoxHeader(buf, hdlr).bodyOffset + 8);
  const stsd = findPath(buf, mdia, ['minf', 'stbl', 'stsd']);
  if (!stsd) throw damaged(`track ${trackId} has no sample description (stsd)`);
  const entriesAt = fullBoxHeader(buf, stsd).bodyOffset + 4;
  const entry = scanTopLevelBoxes(buf.subarray(entriesAt, stsd.offset + stsd.size)).boxes[0];
  if (!entry) throw damaged(`track ${trackId} has an empty sample description`);
  const e = entry.offset + entriesAt;
  const track: InitTrack = {
    trackId,
    handler,
    timescale,
    codec: entry.type,
    defaults: trexById.get(trackId) ?? { sampleDescriptionIndex: 1, sampleDurationTicks: 0, sampleSizeBytes: 0, sampleFlags: 0 },
    editMediaTimeTicks: editMediaTime(buf, trak),
  };
  if (handler === 'vide' && entry.size >= 36) {
    track.width = buf.readUInt16BE(e + 32);
    track.height = buf.readUInt16BE(e + 34);
    const nal = nalLengthSize(buf, { type: entry.type, offset: e, size: entry.size, headerSize: 8, truncated: false });
    if (nal !== undefined) track.nalLengthSize = nal;
  }
  if (handler === 'soun' && entry.size >= 36) {
    track.channels = buf.readUInt16BE(e + 24);
    track.sampleRateHz = buf.readUInt32BE(e + 32) >>> 16;
  }
  return { track, sampleEntry: buf.subarray(e, e + entry.size) };
}

/** VisualSampleEntry fields take 78 bytes after the box header; codec config boxes follow. */
const VISUAL_SAMPLE_ENTRY_BYTES = 78;

function nalLengthSize(buf: Buffer, entry: Mp4Box): number | undefined {
  const config = entry.type.startsWith('avc') ? 'avcC' : entry.type === 'hvc1' || entry.type === 'hev1' ? 'hvcC' : null;
  if (!config || entry.size < 8 + VISUAL_SAMPLE_ENTRY_BYTES + 8) return undefined;
  const box = findChild(buf, entry, config, VISUAL_SAMPLE_ENTRY_BYTES);
  if (!box) return undefined;
  const at = box.offset + box.headerSize + (config === 'avcC' ? 4 : 21);
  if (at >= box.offset + box.size) return undefined;
  return (buf.readUInt8(at) & 3) + 1;
}

function editMediaTime(buf: Buffer, trak: Mp4Box): number | null {
  const elst = findPath(buf, trak, ['edts', 'elst']);
  if (!elst) return null;
  const h = fullBoxHeader(buf, elst);
  const count = buf.readUInt32BE(h.bodyOffset);
  // An empty edit (media_time −1) delays the track; report the first real edit's media time.
  const entrySize = h.version === 1 ? 20 : 12;
  for (let i = 0; i < count; i++) {
    const o = h.bodyOffset + 4 + i * entrySize;
    ensureInside(elst, o, entrySize);
    const mediaTime = h.version === 1 ? Number(buf.readBigInt64BE(o + 8)) : buf.readInt32BE(o + 4);
    if (mediaTime >= 0) return mediaTime;
  }
  return null;
}

/** The video track (the one clips and playback align on), or undefined for audio-only. */
export function videoTrack(init: InitInfo): InitTrack | undefined {
  return init.tracks.find((t) => t.handler === 'vide');
}
