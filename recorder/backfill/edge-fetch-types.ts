import type { Logger } from '../../src/logger.ts';
import type { TimeRange } from '../../src/time.ts';

/**
 * The contract between the backfill engine (backfill-runner.ts) and the edge client
 * (edge-fetch.ts): fetch one interval of footage from a camera's own storage (ONVIF Profile G
 * search + RTSP replay) and leave it as segment files shaped like live ones.
 */

export interface EdgeCameraAccess {
  /** ONVIF device service host and port (as in the camera's config). */
  host: string;
  port: number;
  username: string;
  password: string;
}

export interface EdgeFetchRequest {
  cameraId: string;
  onvif: EdgeCameraAccess;
  /** Camera clock minus the recorder's, ms (cameras.details.clockOffsetMs): camera frame times are corrected by it. */
  clockOffsetMs: number;
  /** The wanted interval on the recorder's clock. */
  range: TimeRange;
  /** Target segment length, ms (segments are cut at the first keyframe at or after it). */
  segmentTargetMs: number;
  /** Finished segments are written here, named `<startMs>-<durationMs>.mp4` (recorder-clock ms), each by temp name + rename. */
  outDir: string;
  /** Upper bound of bytes per second read from the camera; null = unbounded. */
  maxBytesPerSec: number | null;
  /** Bound of each ONVIF/RTSP request (not of the whole replay). */
  requestTimeoutMs: number;
  signal: AbortSignal;
  log: Logger;
  /** The camera's audio setting (as live recording uses it); default 'auto': audio as live segments carry it. */
  audio?: 'auto' | 'off';
  /** ffmpeg for G.711 → AAC (default 'ffmpeg'). */
  ffmpegPath?: string;
}

export interface FetchedSegment {
  path: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
}

export interface EdgeFetchResult {
  /** Segment files written, in time order (already renamed into outDir). */
  segments: FetchedSegment[];
  /** What the written segments cover, recorder clock, merged. */
  recovered: TimeRange[];
  /** What the camera's recording search said it holds within the range (recorder clock). */
  edgeHas: TimeRange[];
  /** Plain words for what happened (e.g. "the camera holds nothing before 10:31:05"). */
  detail: string;
}

export type EdgeFetcher = (req: EdgeFetchRequest) => Promise<EdgeFetchResult>;

/** What onboarding learns about a camera's edge storage; kept as cameras.details.edge. */
export interface EdgeSupport {
  /** The camera answers ONVIF Profile G recording search and replay. */
  profileG: boolean;
  /** The recording to search and replay (first one with a video track), when profileG. */
  recordingToken?: string;
  /** When this was checked, recorder clock ms. */
  checkedMs: number;
  detail: string;
  /** The camera could not be asked (timeout, refused): no answer either way, so checked again sooner. */
  probeFailed?: boolean;
}
