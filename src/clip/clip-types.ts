import type { Readable } from 'node:stream';
import type { SegmentSource } from '../db/schema.ts';

/**
 * What a clip is, as the API, evidence exports and benchmarks see it. The planner and the
 * assembler (src/clip/) produce these; callers never look inside the MP4.
 */
export interface ClipRequest {
  cameraId: string;
  /** Asked range, half-open [startMs, endMs), epoch ms UTC. */
  startMs: number;
  endMs: number;
}

export interface ClipGap {
  startMs: number;
  endMs: number;
  reason: string;
}

export interface ClipSourceSegment {
  objectKey: string;
  sha256: string;
  startMs: number;
  durationMs: number;
  /** 'backfill': recovered afterwards from the camera's own storage; absent: recorded live. */
  source?: SegmentSource;
}

export interface ClipInfo {
  cameraId: string;
  askedStartMs: number;
  askedEndMs: number;
  /** What the file really covers: from the keyframe at or before the asked start. */
  actualStartMs: number;
  actualEndMs: number;
  /** Gaps inside [actualStartMs, actualEndMs), with their reasons, in order. */
  gaps: ClipGap[];
  /** The stored segments the clip is cut from, in order. */
  segments: ClipSourceSegment[];
  /** Parts of [actualStartMs, actualEndMs) made of backfilled segments (src/clip/backfilled-ranges.ts), in order; absent or empty: none. */
  backfilled?: Array<{ startMs: number; endMs: number }>;
  /**
   * How the file was made: `fragment_copy` (the stored fragments, decode times rewritten) or
   * `ffmpeg_concat` (ffmpeg's concat demuxer with stream copy, when timescales change).
   */
  assembly?: 'fragment_copy' | 'ffmpeg_concat';
}

/** An inclusive byte range [start, end] of the clip file, as in an HTTP Range header. */
export interface ClipByteRange {
  start: number;
  end: number;
}

export interface PreparedClip {
  info: ClipInfo;
  /** Exact size of the whole MP4, known before streaming (Content-Length, Range). */
  sizeBytes: number;
  contentType: 'video/mp4';
  /** Streams the whole file, or only the given byte range of it. */
  open(range?: ClipByteRange): Readable;
  /** Frees what the clip holds on disk (only the ffmpeg concat fallback holds anything). */
  dispose?(): Promise<void>;
}
