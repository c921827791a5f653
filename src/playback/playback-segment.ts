import { Readable } from 'node:stream';
import type { SegmentRecord } from '../db/segments-repo.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { clampByteRange, type ByteRange } from '../store/byte-range.ts';
import { rewriteFragments } from '../fmp4/fragment-stream.ts';
import { trexMap } from '../fmp4/fragments.ts';
import { SegmentFacts } from '../fmp4/segment-facts.ts';
import { playbackShifts } from './playback-decode-time.ts';

/**
 * Serves one stored segment for HLS playback: the same bytes, except that every moof's tfdt
 * is moved to the segment's place in its run (playback-decode-time.ts). Sizes never change,
 * so the playlist's byte ranges (init, media) are the object's own. The init range is sent as
 * stored; a range that reaches into the fragments is read from the first moof on (moofs must
 * be whole to be patched) and cut.
 */
export interface PlaybackSegmentDeps {
  store: ObjectStore;
  facts?: SegmentFacts;
}

export interface PlaybackSegmentRequest {
  segment: Pick<SegmentRecord, 'objectKey' | 'startMs' | 'durationMs' | 'sizeBytes' | 'initBytes'>;
  /** From the playlist's URL (SegmentUrlContext). */
  runStartMs: number;
  firstInRun: boolean;
}

export interface PlaybackSegment {
  sizeBytes: number;
  contentType: 'video/mp4';
  open(range?: ByteRange): Readable;
}

export async function preparePlaybackSegment(deps: PlaybackSegmentDeps, req: PlaybackSegmentRequest): Promise<PlaybackSegment> {
  const facts = deps.facts && deps.facts.store === deps.store ? deps.facts : new SegmentFacts(deps.store);
  const seg = req.segment;
  const init = await facts.init(seg);
  const video = init.tracks.find((t) => t.handler === 'vide');
  let shifts: Promise<Map<number, number>> | undefined;
  const shiftsNow = () =>
    (shifts ??= facts.timing(seg).then((timing) => playbackShifts({ startMs: seg.startMs, durationMs: seg.durationMs, runStartMs: req.runStartMs, firstInRun: req.firstInRun }, timing, video?.trackId)));
  return {
    sizeBytes: seg.sizeBytes,
    contentType: 'video/mp4',
    open(range) {
      const r = range ? clampByteRange(range, seg.sizeBytes, seg.objectKey) : { start: 0, end: seg.sizeBytes - 1 };
      return Readable.from(streamSegment(deps.store, seg, r, init, shiftsNow));
    },
  };

  async function* streamSegment(store: ObjectStore, s: PlaybackSegmentRequest['segment'], r: ByteRange, initInfo: typeof init, getShifts: () => Promise<Map<number, number>>): AsyncGenerator<Buffer> {
    if (r.start < s.initBytes) {
      const end = Math.min(r.end, s.initBytes - 1);
      for await (const c of await store.get(s.objectKey, { start: r.start, end })) yield c as Buffer;
      if (r.end < s.initBytes) return;
    }
    const shift = await getShifts();
    const from = Math.max(r.start, s.initBytes);
    const source = await store.get(s.objectKey, { start: s.initBytes, end: s.sizeBytes - 1 });
    const out = rewriteFragments(source as AsyncIterable<Buffer>, {
      trex: trexMap(initInfo),
      lengthBytes: r.end + 1 - s.initBytes,
      onMoof: (moof) => ({
        decodeTimes: new Map(moof.trafs.map((t) => [t.trackId, (t.decodeTime?.value ?? 0) + (shift.get(t.trackId) ?? 0)])),
      }),
    });
    let pos = s.initBytes;
    for await (const chunk of out) {
      const skip = Math.max(0, from - pos);
      pos += chunk.length;
      if (skip < chunk.length) yield chunk.subarray(skip);
    }
  }
}
