import sharp from 'sharp';
import { VigilError } from '../errors.ts';
import type { SegmentsRepo } from '../db/segments-repo.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { formatInstant } from '../clip/clip-plan.ts';
import { MemoCache } from '../fmp4/memo-cache.ts';
import { SegmentFacts } from '../fmp4/segment-facts.ts';
import { readRange } from '../fmp4/segment-reader.ts';
import { fragmentWallTimes, startFragmentIndex } from '../fmp4/fragment-times.ts';
import { decodeFirstFrame } from './keyframe-decode.ts';

/**
 * The picture of a camera at an instant: the keyframe at or before it, decoded once. Only the
 * segment holding it is touched, and of it only the init part, the moofs (through its mfra)
 * and the one fragment the keyframe starts; ffmpeg decodes that frame from a pipe and sharp
 * resizes it to a JPEG. A bounded LRU keyed by segment + keyframe + width makes repeated and
 * concurrent asks (a timeline scrubbed by many viewers) cost one decode.
 */
export interface ThumbnailDeps {
  store: ObjectStore;
  segments: Pick<SegmentsRepo, 'overlapping'>;
  facts?: SegmentFacts;
  ffmpegPath?: string;
  /** Thumbnails kept in memory (default 512, about 10 KiB each at 320 px). */
  cacheEntries?: number;
  timeZone?: string;
}

export interface Thumbnail {
  jpeg: Buffer;
  widthPx: number;
  heightPx: number;
  /** Wall time of the keyframe shown (at or before the asked instant). */
  frameMs: number;
  objectKey: string;
}

export const DEFAULT_THUMBNAIL_WIDTH_PX = 320;
export const MAX_THUMBNAIL_WIDTH_PX = 1920;

export class ThumbnailService {
  private readonly cache: MemoCache<Thumbnail>;
  private readonly facts: SegmentFacts;

  constructor(private readonly deps: ThumbnailDeps) {
    this.cache = new MemoCache(deps.cacheEntries ?? 512);
    this.facts = deps.facts && deps.facts.store === deps.store ? deps.facts : new SegmentFacts(deps.store);
  }

  async thumbnailAt(cameraId: string, atMs: number, opts: { widthPx?: number } = {}): Promise<Thumbnail> {
    const widthPx = opts.widthPx ?? DEFAULT_THUMBNAIL_WIDTH_PX;
    if (!Number.isInteger(widthPx) || widthPx < 16 || widthPx > MAX_THUMBNAIL_WIDTH_PX) {
      throw new VigilError('invalid_range', `thumbnail width must be a whole number of pixels from 16 to ${MAX_THUMBNAIL_WIDTH_PX} (got ${opts.widthPx})`);
    }
    if (!Number.isSafeInteger(atMs)) throw new VigilError('invalid_time', `thumbnail time must be whole epoch milliseconds (got ${atMs})`);
    const [seg] = await this.deps.segments.overlapping(cameraId, { startMs: atMs, endMs: atMs + 1 });
    if (!seg) {
      throw new VigilError('not_found', `camera ${cameraId} has no footage at ${formatInstant(atMs, this.deps.timeZone)}`, {
        hint: 'Ask for a time inside a recorded span of the timeline.',
      });
    }
    const init = await this.facts.init(seg);
    const map = await this.facts.fragmentMap(seg);
    const times = fragmentWallTimes(init, map.fragments, seg.startMs);
    const k = startFragmentIndex(map.fragments, times, atMs);
    if (k === null) throw new VigilError('internal', `segment ${seg.objectKey} has no fragment that starts with a keyframe`);
    const frag = map.fragments[k]!;
    return this.cache.get(`${seg.objectKey}#${seg.sizeBytes}@${frag.startOffset}/${widthPx}`, async () => {
      const [initPart, body] = await Promise.all([this.facts.initPart(seg), readRange(this.deps.store, seg.objectKey, frag.startOffset, frag.endOffset)]);
      const frame = await decodeFirstFrame(Buffer.concat([initPart.bytes, body]), this.deps.ffmpegPath);
      const { data, info } = await sharp(frame.rgb, { raw: { width: frame.widthPx, height: frame.heightPx, channels: 3 } })
        .resize({ width: widthPx })
        .jpeg({ quality: 80, mozjpeg: false })
        .toBuffer({ resolveWithObject: true });
      return { jpeg: data, widthPx: info.width, heightPx: info.height, frameMs: times[k]!.startMs, objectKey: seg.objectKey };
    });
  }

  /** Decodes done so far (cache misses). */
  get decodes(): number {
    return this.cache.misses;
  }
}
