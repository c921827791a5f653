import type { ObjectStore } from '../store/object-store.ts';
import type { FragmentList } from './fragments.ts';
import type { InitInfo } from './init-info.ts';
import { MemoCache } from './memo-cache.ts';
import { readFragmentMap, readInit, readMediaTiming, type StoredSegment } from './segment-reader.ts';
import type { MediaTiming } from './track-timing.ts';

/**
 * Facts about stored segments, read once and kept in bounded LRUs: a stored segment never
 * changes (its key names its start and duration, the uploader never rewrites it), so clips,
 * playback and thumbnails of one process share one SegmentFacts. Keys include the size so a
 * re-recorded object under the same key (reindex after a restore) is never confused.
 */
export interface SegmentFactsOptions {
  maxInits?: number;
  maxTimings?: number;
  maxFragmentMaps?: number;
}

export class SegmentFacts {
  private readonly inits: MemoCache<{ info: InitInfo; bytes: Buffer }>;
  private readonly timings: MemoCache<MediaTiming>;
  private readonly maps: MemoCache<FragmentList>;

  constructor(
    readonly store: ObjectStore,
    opts: SegmentFactsOptions = {},
  ) {
    this.inits = new MemoCache(opts.maxInits ?? 2048);
    this.timings = new MemoCache(opts.maxTimings ?? 20_000);
    this.maps = new MemoCache(opts.maxFragmentMaps ?? 256);
  }

  /** The parsed init part and its bytes (ftyp + moov). */
  initPart(seg: StoredSegment): Promise<{ info: InitInfo; bytes: Buffer }> {
    return this.inits.get(keyOf(seg), () => readInit(this.store, seg));
  }

  /** Whether the init part of this segment was read (or is being read) already. */
  hasInit(seg: StoredSegment): boolean {
    return this.inits.has(keyOf(seg));
  }

  async init(seg: StoredSegment): Promise<InitInfo> {
    return (await this.initPart(seg)).info;
  }

  fragmentMap(seg: StoredSegment): Promise<FragmentList> {
    return this.maps.get(keyOf(seg), async () => readFragmentMap(this.store, seg, await this.init(seg)));
  }

  /** Decode-time span of every track over the whole segment. */
  timing(seg: StoredSegment): Promise<MediaTiming> {
    return this.timings.get(keyOf(seg), async () => readMediaTiming(this.store, seg, await this.init(seg)));
  }

  /** Remembers a timing learnt while streaming the whole segment. */
  rememberTiming(seg: StoredSegment, timing: MediaTiming): void {
    void this.timings.get(keyOf(seg), () => Promise.resolve(timing));
  }

  get stats(): { initReads: number; timingReads: number; fragmentMapReads: number } {
    return { initReads: this.inits.misses, timingReads: this.timings.misses, fragmentMapReads: this.maps.misses };
  }
}

function keyOf(seg: StoredSegment): string {
  return `${seg.objectKey}#${seg.sizeBytes}`;
}
