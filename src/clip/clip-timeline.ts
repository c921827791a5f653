import { compareTimes, rescaleCeil, rescaleFloor, type MediaTiming, type TrackSpan } from '../fmp4/track-timing.ts';

/**
 * Decode times of a clip assembled from stored fragments. Each stored segment restarts every
 * track at decode time 0, so the clip shifts each part's fragments (the `tfdt`s) by a constant
 * per track. Pure.
 *
 *  - The first part is moved so that its earliest track starts at 0 (the others keep their
 *    offset to it).
 *  - A part that continues the previous segment in time (same recording run) continues every
 *    track exactly where that track ended: audio and video keep the timing they had in the
 *    camera's stream, with no hole and no overlap at the join.
 *  - A part after a gap starts all its tracks together at the latest end of any track before
 *    it: the gap is squashed (the clip plays straight through; ClipInfo.gaps says where it
 *    was) and a drift between tracks cannot build up across gaps.
 */
export interface TimelinePart {
  timing: MediaTiming;
  /** This part follows the previous one without a gap (contiguous in the index). */
  continuesPrevious: boolean;
}

/** Ticks to add to every tfdt of a part, per track id. */
export type TrackShifts = Map<number, number>;

export function decodeShifts(parts: readonly TimelinePart[]): TrackShifts[] {
  const timeline = new ClipTimeline();
  return parts.map((p) => timeline.next(p));
}

/** The same, one part at a time (a stream learns the parts as it goes). */
export class ClipTimeline {
  private readonly ends = new Map<number, { endTicks: number; timescale: number; presentationEndTicks?: number }>();
  private count = 0;

  next(part: TimelinePart): TrackShifts {
    const shifts: TrackShifts = new Map();
    const tracks = part.timing.tracks;
    const i = this.count++;
    if (tracks.length === 0) return shifts;
    const origin = earliest(tracks);
    if (i === 0) {
      for (const t of tracks) shifts.set(t.trackId, 0 - rescaleFloor(origin.firstTicks, origin.timescale, t.timescale));
    } else {
      const latestEnd = latest([...this.ends.values()]);
      const allContinue = part.continuesPrevious && tracks.every((t) => this.ends.has(t.trackId));
      if (allContinue) {
        for (const t of tracks) shifts.set(t.trackId, this.ends.get(t.trackId)!.endTicks - t.firstTicks);
      } else {
        // Start the part's earliest track at the latest end so far, keep the others' offsets;
        // later still if a track would otherwise be shown before the previous part's frames
        // finish showing (B-frames: presentation runs ahead of decode; a new run's first GOP
        // may have no composition offset at all).
        const base = latestEnd ? this.gapBase(latestEnd, tracks, origin) : { ticks: 0, timescale: origin.timescale };
        for (const t of tracks) shifts.set(t.trackId, rescaleCeil(base.ticks, base.timescale, t.timescale) - rescaleFloor(origin.firstTicks, origin.timescale, t.timescale));
      }
    }
    for (const t of tracks) {
      const shift = shifts.get(t.trackId)!;
      const presentationEndTicks = t.presentationEndTicks === undefined ? undefined : t.presentationEndTicks + shift;
      this.ends.set(t.trackId, { endTicks: t.endTicks + shift, timescale: t.timescale, ...(presentationEndTicks === undefined ? {} : { presentationEndTicks }) });
    }
    return shifts;
  }

  /** Where the origin track of a part after a gap starts, in the latest end's timescale. */
  private gapBase(latestEnd: { endTicks: number; timescale: number }, tracks: readonly TrackSpan[], origin: TrackSpan): { ticks: number; timescale: number } {
    const ts = latestEnd.timescale;
    let ticks = latestEnd.endTicks;
    for (const t of tracks) {
      const prev = this.ends.get(t.trackId);
      if (prev?.presentationEndTicks === undefined || t.firstPresentationTicks === undefined) continue;
      // Shifted first presentation ≥ previous presentation end, for this track:
      // base(t) − origin(t) + firstPresentation ≥ prevPresentationEnd.
      const needInT = prev.presentationEndTicks - t.firstPresentationTicks + rescaleFloor(origin.firstTicks, origin.timescale, t.timescale);
      ticks = Math.max(ticks, rescaleCeil(needInT, t.timescale, ts));
    }
    return { ticks, timescale: ts };
  }
}

function earliest(tracks: readonly TrackSpan[]): TrackSpan {
  return tracks.reduce((a, b) => (compareTimes(b.firstTicks, b.timescale, a.firstTicks, a.timescale) < 0 ? b : a));
}

function latest(ends: ReadonlyArray<{ endTicks: number; timescale: number }>): { endTicks: number; timescale: number } | undefined {
  if (ends.length === 0) return undefined;
  return ends.reduce((a, b) => (compareTimes(b.endTicks, b.timescale, a.endTicks, a.timescale) > 0 ? b : a));
}
