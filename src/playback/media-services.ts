import { VigilError } from '../errors.ts';
import type { GapsRepo } from '../db/gaps-repo.ts';
import type { SegmentsRepo } from '../db/segments-repo.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { isValidRange, type TimeRange } from '../time.ts';
import { formatInstant, type ClipLimits } from '../clip/clip-plan.ts';
import { prepareClip } from '../clip/prepare-clip.ts';
import type { ClipRequest, PreparedClip } from '../clip/clip-types.ts';
import { SegmentFacts } from '../fmp4/segment-facts.ts';
import { ThumbnailService, type Thumbnail } from '../thumbnail/thumbnail-service.ts';
import { buildHlsPlaylist, type PlaylistSegment, type SegmentUrlContext } from './hls-playlist.ts';
import { preparePlaybackSegment, type PlaybackSegment } from './playback-segment.ts';

/**
 * Clips, HLS playback and thumbnails wired once per process over one store and one cache of
 * segment facts, which is what the API holds (AppDeps.media). Every call says which camera it
 * is about, so the API's camera/site authorisation is the only gate needed.
 */
export interface MediaServicesDeps {
  store: ObjectStore;
  segments: Pick<SegmentsRepo, 'overlapping' | 'byObjectKey'>;
  gaps: Pick<GapsRepo, 'overlapping'>;
  limits?: ClipLimits & { maxPlaylistMs?: number };
  timeZone?: string;
  workDir?: string;
  ffmpegPath?: string;
  facts?: SegmentFacts;
}

export const DEFAULT_MAX_PLAYLIST_MS = 24 * 3_600_000;

export interface MediaServices {
  facts: SegmentFacts;
  prepareClip(request: ClipRequest): Promise<PreparedClip>;
  /** VOD playlist of a camera's footage overlapping the range; URLs from the caller. */
  hlsPlaylist(cameraId: string, range: TimeRange, segmentUrl: (segment: PlaylistSegment, ctx: SegmentUrlContext) => string): Promise<string>;
  /** One segment as the playlist refers to it (run start and first-in-run come from its URL). */
  playbackSegment(cameraId: string, objectKey: string, placement: { runStartMs: number; firstInRun: boolean }): Promise<PlaybackSegment>;
  thumbnailAt(cameraId: string, atMs: number, opts?: { widthPx?: number }): Promise<Thumbnail>;
}

export function createMediaServices(deps: MediaServicesDeps): MediaServices {
  const facts = deps.facts ?? new SegmentFacts(deps.store);
  const optional = { ...(deps.timeZone ? { timeZone: deps.timeZone } : {}), ...(deps.ffmpegPath ? { ffmpegPath: deps.ffmpegPath } : {}) };
  const thumbnails = new ThumbnailService({ store: deps.store, segments: deps.segments, facts, ...optional });
  const zone = deps.timeZone ?? 'UTC';
  return {
    facts,
    prepareClip: (request) =>
      prepareClip({ store: deps.store, segments: deps.segments, gaps: deps.gaps, facts, ...optional, ...(deps.limits ? { limits: deps.limits } : {}), ...(deps.workDir ? { workDir: deps.workDir } : {}) }, request),
    async hlsPlaylist(cameraId, range, segmentUrl) {
      const max = deps.limits?.maxPlaylistMs ?? DEFAULT_MAX_PLAYLIST_MS;
      if (!isValidRange(range)) throw new VigilError('invalid_range', `playback range ${range.startMs}–${range.endMs} is empty, reversed or not whole milliseconds`);
      if (range.endMs - range.startMs > max) throw new VigilError('invalid_range', `a playlist may cover at most ${max / 3_600_000} h`, { hint: 'Ask for a shorter range; the player asks for the next one as it goes.' });
      const rows = await deps.segments.overlapping(cameraId, range);
      if (rows.length === 0) throw new VigilError('not_found', `camera ${cameraId} has no footage from ${formatInstant(range.startMs, zone)} to ${formatInstant(range.endMs, zone)}`);
      return buildHlsPlaylist({ segments: rows, segmentUrl, timeZone: zone });
    },
    async playbackSegment(cameraId, objectKey, placement) {
      const seg = await deps.segments.byObjectKey(objectKey);
      if (!seg || seg.cameraId !== cameraId) throw new VigilError('not_found', `camera ${cameraId} has no segment ${objectKey}`);
      return preparePlaybackSegment({ store: deps.store, facts }, { segment: seg, ...placement });
    },
    thumbnailAt: (cameraId, atMs, opts) => thumbnails.thumbnailAt(cameraId, atMs, opts),
  };
}
