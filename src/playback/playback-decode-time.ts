import { MAX_SEGMENT_DURATION_MS } from '../db/segments-repo.ts';
import { compareTimes, msToTicks, rescaleFloor, type MediaTiming, type TrackSpan } from '../fmp4/track-timing.ts';

/**
 * Decode times of a segment served for HLS playback, derived from the index alone so the
 * server keeps no state. ffmpeg starts every segment's tracks at decode time 0; hls.js then
 * finds a hole at each join (two frames with B-frames) and stalls. Here a segment's tracks
 * start at its wall-clock offset from its run's start:
 *
 *   decode start = startMs − (runStartMs − LEAD)            (ms, then ticks of each track)
 *
 * In a steady run the index is chained from the stream's own times, so consecutive segments
 * meet exactly (a refined clock anchor can only make a segment's indexed length shorter than
 * its media, which gives a small overlap that MSE resolves, never a hole). The first segment
 * of a run is the exception: its indexed start is an estimate and its media length may differ
 * from its indexed length (ffmpeg's first GOP), so it is anchored to its END instead:
 *
 *   decode start = (startMs + durationMs − (runStartMs − LEAD)) − its own media length
 *
 * LEAD (the longest segment) keeps every decode time positive. Pure.
 */
export const PLAYBACK_LEAD_MS = MAX_SEGMENT_DURATION_MS;

export interface PlaybackPlacement {
  startMs: number;
  durationMs: number;
  runStartMs: number;
  firstInRun: boolean;
}

/** Ticks to add to every tfdt of the segment, per track id. */
export function playbackShifts(p: PlaybackPlacement, timing: MediaTiming, clockTrackId?: number): Map<number, number> {
  const shifts = new Map<number, number>();
  const tracks = timing.tracks;
  if (tracks.length === 0) return shifts;
  const originMs = p.runStartMs - PLAYBACK_LEAD_MS;
  const origin = earliest(tracks);
  // The clock track: video when there is one (the first track otherwise); its length anchors a run's first segment.
  const clock = tracks.find((t) => t.trackId === clockTrackId) ?? tracks[0]!;
  let startTicks: number; // in the clock track's timescale
  if (p.firstInRun) {
    const endTicks = msToTicks(p.startMs + p.durationMs - originMs, clock.timescale);
    startTicks = Math.max(0, endTicks - (clock.endTicks - rescaleFloor(origin.firstTicks, origin.timescale, clock.timescale)));
  } else {
    startTicks = msToTicks(p.startMs - originMs, clock.timescale);
  }
  for (const t of tracks) {
    const base = rescaleFloor(startTicks, clock.timescale, t.timescale);
    shifts.set(t.trackId, base - rescaleFloor(origin.firstTicks, origin.timescale, t.timescale));
  }
  return shifts;
}

function earliest(tracks: readonly TrackSpan[]): TrackSpan {
  return tracks.reduce((a, b) => (compareTimes(b.firstTicks, b.timescale, a.firstTicks, a.timescale) < 0 ? b : a));
}
