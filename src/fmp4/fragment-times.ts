import type { Fragment } from './fragments.ts';
import type { InitInfo } from './init-info.ts';

/**
 * Wall-clock times of a segment's fragments, and the keyframe fragment at or before an instant
 * (where clips start and thumbnails are taken). Pure.
 * A fragment's wall time is the segment's indexed start plus the decode time elapsed since the
 * segment's first fragment, on the video track (the first track when there is no video).
 */
export interface FragmentTimes {
  startMs: number;
  endMs: number;
}

export function fragmentWallTimes(init: InitInfo, fragments: readonly Fragment[], segmentStartMs: number): FragmentTimes[] {
  const clockTrack = init.tracks.find((t) => t.handler === 'vide') ?? init.tracks[0];
  if (!clockTrack) return [];
  const ts = clockTrack.timescale;
  const first = fragments.map((f) => f.tracks.find((t) => t.trackId === clockTrack.trackId)).find((t) => t !== undefined);
  const origin = first?.decodeTimeTicks ?? 0;
  let lastEnd = segmentStartMs;
  return fragments.map((f) => {
    const t = f.tracks.find((x) => x.trackId === clockTrack.trackId);
    if (!t) return { startMs: lastEnd, endMs: lastEnd };
    const startMs = segmentStartMs + Math.round(((t.decodeTimeTicks - origin) * 1000) / ts);
    const endMs = segmentStartMs + Math.round(((t.decodeTimeTicks + t.durationTicks - origin) * 1000) / ts);
    lastEnd = endMs;
    return { startMs, endMs };
  });
}

/**
 * Index of the fragment to start from: the last one that begins with a keyframe at or before
 * `askedStartMs`; when the asked start lies before every keyframe, the first keyframe fragment.
 * Null when the segment has no keyframe fragment at all.
 */
export function startFragmentIndex(fragments: readonly Fragment[], times: readonly FragmentTimes[], askedStartMs: number): number | null {
  let best: number | null = null;
  let firstKey: number | null = null;
  fragments.forEach((f, i) => {
    if (!f.startsWithKeyframe) return;
    if (firstKey === null) firstKey = i;
    if (times[i]!.startMs <= askedStartMs) best = i;
  });
  return best ?? firstKey;
}

/** Index of the last fragment that begins before `askedEndMs` (at least `fromIndex`). */
export function endFragmentIndex(times: readonly FragmentTimes[], askedEndMs: number, fromIndex = 0): number {
  let end = fromIndex;
  for (let i = fromIndex; i < times.length; i++) if (times[i]!.startMs < askedEndMs) end = i;
  return end;
}
