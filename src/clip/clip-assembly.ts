import type { InitInfo } from '../fmp4/init-info.ts';

/**
 * How a clip's segments can be put in one MP4. Pure.
 *
 *  - `fragment_copy` (the normal case): every segment has the first one's layout (tracks,
 *    codecs, timescales, audio format). The first segment's moov heads the file and the stored
 *    fragments follow. A later segment whose moov differs only in its sample entries (new
 *    resolution or parameter sets) is joined when its samples carry their own parameter sets,
 *    which decoders follow (checked on H.264 and H.265 with ffmpeg and Chromium). The
 *    recorder's own resolution switch does not even change the moov: ffmpeg keeps the first
 *    parameter sets there and the new ones travel in-band.
 *  - `ffmpeg_concat`: only the video timescale differs (a camera re-set to another frame rate
 *    between two runs). Fragments cannot be joined without rewriting every sample duration, so
 *    ffmpeg remuxes them by stream copy (clip-concat.ts) into one fragmented MP4.
 *  - `refuse`: a codec, track or audio-format change. One MP4 track cannot switch codec, and
 *    ffmpeg's concat would silently keep only the first file's streams or make a file that
 *    does not decode; the caller is told where the change is so two clips can be cut.
 */
export type AssemblyDecision =
  | { kind: 'fragment_copy' }
  | { kind: 'ffmpeg_concat'; atIndex: number; reason: string }
  | { kind: 'refuse'; atIndex: number; reason: string };

export interface SegmentLayout {
  init: InitInfo;
  /** Whether the segment's first video sample carries parameter sets (undefined: not checked). */
  inBandParameterSets?: boolean;
}

/** Segments (by index) whose moov differs from the first one's in sample entries only: they need the in-band check. */
export function configChanges(inits: readonly InitInfo[]): number[] {
  const first = inits[0];
  if (!first) return [];
  return inits.flatMap((init, i) => (i > 0 && init.layoutFingerprint === first.layoutFingerprint && init.configFingerprint !== first.configFingerprint ? [i] : []));
}

export function decideAssembly(layouts: readonly SegmentLayout[]): AssemblyDecision {
  const first = layouts[0]?.init;
  if (!first) return { kind: 'fragment_copy' };
  let concatAt: { atIndex: number; reason: string } | null = null;
  for (let i = 1; i < layouts.length; i++) {
    const { init, inBandParameterSets } = layouts[i]!;
    if (init.layoutFingerprint === first.layoutFingerprint) {
      if (init.configFingerprint !== first.configFingerprint && inBandParameterSets !== true) {
        return { kind: 'refuse', atIndex: i, reason: 'the video settings change and the stream carries no parameter sets of its own to follow the change' };
      }
      continue;
    }
    const change = describeChange(first, init);
    if (change.kind === 'timescale') concatAt ??= { atIndex: i, reason: change.text };
    else return { kind: 'refuse', atIndex: i, reason: change.text };
  }
  return concatAt ? { kind: 'ffmpeg_concat', ...concatAt } : { kind: 'fragment_copy' };
}

function describeChange(a: InitInfo, b: InitInfo): { kind: 'timescale' | 'other'; text: string } {
  const ids = (i: InitInfo) => i.tracks.map((t) => `${t.handler}`).join('+');
  if (a.tracks.length !== b.tracks.length || ids(a) !== ids(b)) {
    return { kind: 'other', text: `the tracks change from ${ids(a)} to ${ids(b)}` };
  }
  for (let k = 0; k < a.tracks.length; k++) {
    const x = a.tracks[k]!;
    const y = b.tracks[k]!;
    if (x.trackId !== y.trackId) return { kind: 'other', text: `track ids change (${x.trackId} → ${y.trackId})` };
    if (x.codec !== y.codec) return { kind: 'other', text: `the ${x.handler === 'vide' ? 'video' : 'audio'} codec changes from ${x.codec} to ${y.codec}` };
    if (x.channels !== y.channels || x.sampleRateHz !== y.sampleRateHz) {
      return { kind: 'other', text: `the audio format changes from ${x.channels} ch ${x.sampleRateHz} Hz to ${y.channels} ch ${y.sampleRateHz} Hz` };
    }
  }
  const changed = a.tracks.filter((x, k) => x.timescale !== b.tracks[k]!.timescale);
  const text = changed.map((x) => `the ${x.handler === 'vide' ? 'video' : 'audio'} timescale changes from ${x.timescale} to ${b.tracks.find((y) => y.trackId === x.trackId)!.timescale}`).join(' and ');
  // Only a video timescale can be remuxed to the first one's (clip-concat.ts).
  return { kind: changed.every((x) => x.handler === 'vide') ? 'timescale' : 'other', text };
}
