import { VigilError } from '../errors.ts';
import { toIsoInZone } from '../time.ts';

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
 */
export interface PlaylistSegment {
  objectKey: string;
  startMs: number;
  durationMs: number;
  sizeBytes: number;
  initBytes: number;
  /** Optional: anything that changes when the video format changes (e.g. width×height). */
  formatKey?: string;
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
