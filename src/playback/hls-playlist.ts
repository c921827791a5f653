import { VigilError } from '../errors.ts';
import { toIsoInZone } from '../time.ts';
import type { SegmentSource } from '../db/schema.ts';

/**
 * A VOD HLS playlist over stored segments, built from index rows alone. Pure.
 *
 * Every segment is one object served twice by byte range: its init part (ftyp + moov) as the
 * `EXT-X-MAP` and the rest as the media, so nothing is re-encoded or re-muxed. A run is a
 * stretch of segments that follow one another without a gap and with the same moov length;
 * each run begins with `EXT-X-PROGRAM-DATE-TIME` and every run after the first with
 * `EXT-X-DISCONTINUITY` (a gap, or a new moov: resolution or codec change). The segment URL
 * is the caller's; it is given the run's start so the server can rewrite decode times
 * (playback-decode-time.ts) without any state.
 *
 * Footage recovered from the camera's own storage (source 'backfill') plays like any other; each
 * stretch of it is marked by `EXT-X-DATERANGE` with CLASS="org.vigil.backfill" (START-DATE,
 * END-DATE) before its first segment, which players ignore and scripts and the UI can read.
 */
export const BACKFILL_DATERANGE_CLASS = 'org.vigil.backfill';

export interface PlaylistSegment {
  objectKey: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
  initBytes: number;
  /** Optional: anything that changes when the video format changes (e.g. width×height). */
  formatKey?: string;
  /** 'backfill': recovered from the camera's own storage; marked by an EXT-X-DATERANGE. */
  source?: SegmentSource;
}

export interface SegmentUrlContext {
  /** Start of the run this segment belongs to (epoch ms). */
  runStartMs: number;
  /** The first segment of its run (its decode time is anchored to its end). */
  firstInRun: boolean;
  runIndex: number;
}

export interface HlsPlaylistInput {
  segments: readonly PlaylistSegment[];
  /** URL of the segment's object (the same for the map and the media). */
  segmentUrl(segment: PlaylistSegment, ctx: SegmentUrlContext): string;
  /** Zone of EXT-X-PROGRAM-DATE-TIME (default UTC, written with Z). */
  timeZone?: string;
}

export interface PlaylistRun {
  startMs: number;
  segments: PlaylistSegment[];
}

/** Splits segments (any order) into runs. */
export function playlistRuns(segments: readonly PlaylistSegment[]): PlaylistRun[] {
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs);
  const runs: PlaylistRun[] = [];
  let prev: PlaylistSegment | undefined;
  for (const s of sorted) {
    const joins = prev !== undefined && prev.startMs + prev.durationMs === s.startMs && prev.initBytes === s.initBytes && prev.formatKey === s.formatKey;
    if (!joins) runs.push({ startMs: s.startMs, segments: [] });
    runs[runs.length - 1]!.segments.push(s);
    prev = s;
  }
  return runs;
}

export function buildHlsPlaylist(input: HlsPlaylistInput): string {
  const runs = playlistRuns(input.segments);
  const zone = input.timeZone ?? 'UTC';
  const maxSec = Math.max(1, ...input.segments.map((s) => s.durationMs / 1000));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${Math.ceil(maxSec)}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS'];
  runs.forEach((run, runIndex) => {
    if (runIndex > 0) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${programDateTime(run.startMs, zone)}`);
    run.segments.forEach((s, i) => {
      const prev = i > 0 ? run.segments[i - 1] : undefined;
      if (s.source === 'backfill' && prev?.source !== 'backfill') {
        let endMs = s.startMs + s.durationMs;
        for (let j = i + 1; j < run.segments.length && run.segments[j]!.source === 'backfill'; j++) endMs = run.segments[j]!.startMs + run.segments[j]!.durationMs;
        lines.push(`#EXT-X-DATERANGE:ID="backfill-${s.startMs}",CLASS="${BACKFILL_DATERANGE_CLASS}",START-DATE="${programDateTime(s.startMs, zone)}",END-DATE="${programDateTime(endMs, zone)}",X-VIGIL-SOURCE="backfill"`);
      }
      const url = input.segmentUrl(s, { runStartMs: run.startMs, firstInRun: i === 0, runIndex });
      if (/["\r\n]/.test(url)) throw new VigilError('internal', `segment URL for ${s.objectKey} contains a quote or a line break`);
      lines.push(`#EXT-X-MAP:URI="${url}",BYTERANGE="${s.initBytes}@0"`);
      lines.push(`#EXTINF:${(s.durationMs / 1000).toFixed(3)},`);
      lines.push(`#EXT-X-BYTERANGE:${s.sizeBytes - s.initBytes}@${s.initBytes}`);
      lines.push(url);
    });
  });
  lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

function programDateTime(ms: number, zone: string): string {
  return zone === 'UTC' ? new Date(ms).toISOString() : toIsoInZone(ms, zone);
}
