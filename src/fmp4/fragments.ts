import { scanTopLevelBoxes } from '../mp4-boxes.ts';
import { damaged } from './box-tree.ts';
import type { InitInfo, TrackDefaults } from './init-info.ts';
import { isSyncSample, parseMoof, trafDurationTicks, type MoofInfo, type TrafInfo } from './moof-info.ts';

/**
 * The fragments of a fragmented MP4: each `moof` with the boxes after it up to the next
 * `moof` (its `mdat`), and per track when it starts (decode time), how long it lasts and
 * whether the video's first sample is a sync sample (a keyframe a decoder can start from).
 * Trailing boxes that belong to no fragment (`mfra`) are left out. Pure.
 */
export interface FragmentTrack {
  trackId: number;
  decodeTimeTicks: number;
  durationTicks: number;
  sampleCount: number;
  /** Earliest presentation time of the track's samples (decode time + composition offset). */
  firstPresentationTicks?: number;
  /** Latest presentation end (decode time + composition offset + duration) of its samples. */
  presentationEndTicks?: number;
}

export interface Fragment {
  /** Byte range [startOffset, endOffset) of moof + mdat in the buffer given. */
  startOffset: number;
  endOffset: number;
  moof: MoofInfo;
  tracks: FragmentTrack[];
  /** The video track's first sample is a sync sample (true when the file has no video). */
  startsWithKeyframe: boolean;
}

export interface FragmentList {
  fragments: Fragment[];
  /** Offset where the fragments end (start of a trailing mfra, or the buffer's end). */
  endOffset: number;
}

/** Boxes that may sit between fragments and belong to the fragment before them. */
const FRAGMENT_TAIL_BOXES = new Set(['mdat', 'free', 'skip', 'uuid', 'emsg', 'prft']);

export function trexMap(init: InitInfo): Map<number, TrackDefaults> {
  return new Map(init.tracks.map((t) => [t.trackId, t.defaults]));
}

/**
 * Lists the fragments of `buf` from byte `fromOffset` (the init length for a whole segment).
 * A fragment cut short by the end of the buffer is not listed.
 */
export function listFragments(buf: Buffer, init: InitInfo, fromOffset = init.initBytes): FragmentList {
  const boxes = scanTopLevelBoxes(buf.subarray(fromOffset)).boxes.map((b) => ({ ...b, offset: b.offset + fromOffset }));
  const trex = trexMap(init);
  const fragments: Fragment[] = [];
  let endOffset = fromOffset;
  for (let i = 0; i < boxes.length; i++) {
    const box = boxes[i]!;
    if (box.truncated) break;
    if (box.type !== 'moof') {
      if (box.type === 'styp' || box.type === 'sidx') { endOffset = box.offset + box.size; continue; }
      break; // mfra, or anything that is no fragment: the fragments end here
    }
    let end = box.offset + box.size;
    let j = i + 1;
    let complete = false;
    while (j < boxes.length && FRAGMENT_TAIL_BOXES.has(boxes[j]!.type) && !boxes[j]!.truncated) {
      if (boxes[j]!.type === 'mdat') complete = true;
      end = boxes[j]!.offset + boxes[j]!.size;
      j++;
    }
    if (!complete) break;
    fragments.push(describeFragment(init, parseMoof(buf, box, trex), box.offset, end));
    endOffset = end;
    i = j - 1;
  }
  return { fragments, endOffset };
}

/**
 * Where a traf's samples are shown: with B-frames presentation runs ahead of decode by the
 * composition offsets, so the last frame shown can end after the decode end. A clip joining
 * two recording runs needs it (src/clip/clip-timeline.ts).
 */
function presentationSpan(t: TrafInfo): { firstPresentationTicks?: number; presentationEndTicks?: number } {
  let dts = t.decodeTime!.value;
  let first = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const r of t.truns) {
    for (const smp of r.samples) {
      first = Math.min(first, dts + smp.compositionOffsetTicks);
      end = Math.max(end, dts + smp.compositionOffsetTicks + smp.durationTicks);
      dts += smp.durationTicks;
    }
  }
  return Number.isFinite(first) ? { firstPresentationTicks: first, presentationEndTicks: end } : {};
}

/** A fragment from its parsed moof and its byte range [startOffset, endOffset). */
export function describeFragment(init: InitInfo, moof: MoofInfo, startOffset: number, endOffset: number): Fragment {
  const video = init.tracks.find((t) => t.handler === 'vide');
  const tracks = moof.trafs.map((t) => {
    if (!t.decodeTime) throw damaged(`fragment ${moof.sequenceNumber} (byte ${startOffset}) has no tfdt for track ${t.trackId}`);
    return { trackId: t.trackId, decodeTimeTicks: t.decodeTime.value, durationTicks: trafDurationTicks(t), sampleCount: t.truns.reduce((n, r) => n + r.sampleCount, 0), ...presentationSpan(t) };
  });
  const vtraf = video ? moof.trafs.find((t) => t.trackId === video.trackId) : undefined;
  const first = vtraf?.truns.find((r) => r.sampleCount > 0)?.samples[0];
  return { startOffset, endOffset, moof, tracks, startsWithKeyframe: video ? (first ? isSyncSample(first.flags) : false) : true };
}
