import { Readable } from 'node:stream';
import { VigilError } from '../errors.ts';
import type { GapsRepo } from '../db/gaps-repo.ts';
import type { SegmentsRepo } from '../db/segments-repo.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { codecFamily, sampleHasParameterSets } from '../fmp4/parameter-sets.ts';
import { readFirstVideoSampleHead } from '../fmp4/segment-reader.ts';
import { SegmentFacts } from '../fmp4/segment-facts.ts';
import { timingOfFragments, type MediaTiming } from '../fmp4/track-timing.ts';
import type { InitInfo } from '../fmp4/init-info.ts';
import { configChanges, decideAssembly } from './clip-assembly.ts';
import { endFragmentIndex, fragmentWallTimes, startFragmentIndex } from '../fmp4/fragment-times.ts';
import { clampClipRange, layoutParts, type PartSource } from './clip-parts.ts';
import { formatInstant, gapsWithin, planClip, validateClipRequest, type ClipLimits, type ClipPlan } from './clip-plan.ts';
import { streamClipRange, type ClipStreamContext } from './clip-stream.ts';
import { prepareConcatClip } from './clip-concat.ts';
import { mapWithLimit } from './parallel-map.ts';
import type { ClipInfo, ClipRequest, PreparedClip } from './clip-types.ts';
import { backfilledRanges } from './backfilled-ranges.ts';

/**
 * Builds ONE fragmented MP4 for a clip straight from the stored fragments, by stream copy:
 * the first segment's init (ftyp + moov), then the fragments from the keyframe at or before
 * the asked start to the fragment holding the asked end, with every `tfdt` shifted so decode
 * time runs on across joins and squashed gaps (clip-timeline.ts), and `mfhd` renumbered.
 *
 * Before the first byte it reads: the index rows, each segment's init part (to check they can
 * be joined; cached), and the fragment structure of the first and last segments. Middle
 * segments are sent whole minus their init, so the size is known from the index. See
 * clip-assembly.ts for when ffmpeg's concat demuxer is used instead, and when a clip is refused.
 */
export interface ClipDeps {
  store: ObjectStore;
  segments: Pick<SegmentsRepo, 'overlapping'>;
  gaps: Pick<GapsRepo, 'overlapping'>;
  limits?: ClipLimits;
  /** Shared cache of segment facts (init parts, timings); one per process is best. */
  facts?: SegmentFacts;
  /** IANA zone for times in error messages (default UTC). */
  timeZone?: string;
  /** Folder for the temp files of the ffmpeg concat fallback (default: the OS temp dir). */
  workDir?: string;
  ffmpegPath?: string;
  /** Parallel reads of small parts (inits, timings); default 16. */
  readConcurrency?: number;
}

export async function prepareClip(deps: ClipDeps, req: ClipRequest): Promise<PreparedClip> {
  validateClipRequest(req, deps.limits);
  const asked = { startMs: req.startMs, endMs: req.endMs };
  const [segments, gaps] = await Promise.all([deps.segments.overlapping(req.cameraId, asked), deps.gaps.overlapping(req.cameraId, asked)]);
  const zone = deps.timeZone ?? 'UTC';
  const plan = planClip({ request: req, segments, gaps, ...deps.limits, timeZone: zone });
  const facts = deps.facts && deps.facts.store === deps.store ? deps.facts : new SegmentFacts(deps.store);
  const concurrency = deps.readConcurrency ?? 16;
  const first = plan.segments[0]!;
  const last = plan.segments[plan.segments.length - 1]!;
  const single = plan.segments.length === 1;
  const maps = Promise.all([facts.fragmentMap(first), single ? null : facts.fragmentMap(last)]);
  maps.catch(() => undefined); // awaited below unless the clip is refused first
  let { inits, assumed } = await readInits(facts, plan, concurrency);
  let decision = decideAssembly(await layoutsWithInBandCheck(deps.store, plan, inits, concurrency));
  if (decision.kind === 'ffmpeg_concat' && assumed.size > 0) {
    // The rare remux path reads every init: no assumption may decide how ffmpeg is driven.
    inits = await mapWithLimit(plan.segments, concurrency, (x) => facts.init(x));
    assumed = new Set();
    decision = decideAssembly(await layoutsWithInBandCheck(deps.store, plan, inits, concurrency));
  }
  if (decision.kind === 'refuse') throw refusal(plan, decision.atIndex, decision.reason, zone);
  const [firstMap, lastMap] = await maps;
  const firstTimes = fragmentWallTimes(inits[0]!, firstMap.fragments, first.startMs);
  const startIdx = startFragmentIndex(firstMap.fragments, firstTimes, req.startMs);
  if (startIdx === null) throw new VigilError('internal', `segment ${first.objectKey} has no fragment that starts with a keyframe`, { hint: 'Check the segment with ffprobe; it may be damaged.' });
  const endMap = lastMap ?? firstMap;
  const endTimes = lastMap ? fragmentWallTimes(inits[inits.length - 1]!, lastMap.fragments, last.startMs) : firstTimes;
  const endIdx = endFragmentIndex(endTimes, req.endMs, single ? startIdx : 0);
  // Fragment wall times come from media time and may pass the indexed segment bounds by a
  // millisecond (rounding); the index is the authority on wall time, so stay inside it.
  const actualStartMs = Math.max(firstTimes[startIdx]!.startMs, first.startMs);
  const actualEndMs = Math.min(endTimes[endIdx]!.endMs, last.startMs + last.durationMs);
  const info: ClipInfo = {
    cameraId: req.cameraId,
    askedStartMs: req.startMs,
    askedEndMs: req.endMs,
    actualStartMs,
    actualEndMs,
    gaps: gapsWithin(plan.gaps, actualStartMs, actualEndMs),
    segments: plan.segments.map((s) => ({ objectKey: s.objectKey, sha256: s.sha256, startMs: s.startMs, durationMs: s.durationMs, ...(s.source === 'backfill' ? { source: 'backfill' as const } : {}) })),
    backfilled: backfilledRanges(plan.segments, { startMs: actualStartMs, endMs: actualEndMs }),
    assembly: decision.kind === 'ffmpeg_concat' ? 'ffmpeg_concat' : 'fragment_copy',
  };

  if (decision.kind === 'ffmpeg_concat') {
    const videoTs = (init: InitInfo) => init.tracks.find((t) => t.handler === 'vide')?.timescale ?? 0;
    return prepareConcatClip({ store: deps.store, workDir: deps.workDir, ffmpegPath: deps.ffmpegPath }, plan, info, {
      firstInpointSec: (actualStartMs - first.startMs) / 1000,
      lastOutpointSec: (actualEndMs - last.startMs) / 1000,
      videoTimescale: videoTs(inits[0]!),
      segmentVideoTimescales: inits.map(videoTs),
    });
  }

  const startFrag = firstMap.fragments[startIdx]!;
  const endFrag = endMap.fragments[endIdx]!;
  const sources: PartSource[] = [{ kind: 'init', segmentIndex: 0, objectKey: first.objectKey, sourceStart: 0, sourceEnd: first.initBytes }];
  plan.segments.forEach((s, i) => {
    const from = i === 0 ? startFrag.startOffset : s.initBytes;
    const to = i === plan.segments.length - 1 ? endFrag.endOffset : i === 0 ? firstMap.endOffset : s.sizeBytes;
    sources.push({ kind: 'fragments', segmentIndex: i, objectKey: s.objectKey, sourceStart: from, sourceEnd: to });
  });
  const { parts, sizeBytes } = layoutParts(sources);
  const known = new Map<number, MediaTiming>();
  known.set(0, timingOfFragments(inits[0]!, firstMap.fragments.slice(startIdx, single ? endIdx + 1 : undefined)));
  if (lastMap) known.set(plan.segments.length - 1, timingOfFragments(inits[inits.length - 1]!, lastMap.fragments.slice(0, endIdx + 1)));
  const initBytes = (await facts.initPart(first)).bytes;

  const ctx: ClipStreamContext = { store: deps.store, facts, plan, inits, assumedInits: assumed, parts, sizeBytes, knownTimings: known, initBytes, concurrency };
  return {
    info,
    sizeBytes,
    contentType: 'video/mp4',
    open(range) {
      clampClipRange(range, sizeBytes); // a bad range throws here, before any byte (HTTP 416)
      return Readable.from(streamClipRange(ctx, range), { objectMode: false });
    },
  };
}

/**
 * Init parts needed before the first byte: the first and last segment's, and every segment's
 * that does not plainly continue the one before it (a gap before it, or another init length).
 * Inside such a stretch one ffmpeg wrote every segment from the same stream, so its moov is
 * the one before it; the stream checks this as it reaches each segment (clip-stream.ts) and
 * fails loudly, never silently, should it not hold. Inits already known are always used.
 */
async function readInits(facts: SegmentFacts, plan: ClipPlan, concurrency: number): Promise<{ inits: InitInfo[]; assumed: Set<number> }> {
  const segs = plan.segments;
  const must = segs.map((s, i) => i === 0 || i === segs.length - 1 || !s.continuesPrevious || s.initBytes !== segs[i - 1]!.initBytes || facts.hasInit(s));
  const read = await mapWithLimit(segs.map((s, i) => ({ s, i })).filter(({ i }) => must[i]), concurrency, async ({ s, i }) => ({ i, init: await facts.init(s) }));
  const byIndex = new Map(read.map((r) => [r.i, r.init]));
  const inits: InitInfo[] = [];
  const assumed = new Set<number>();
  segs.forEach((_, i) => {
    const known = byIndex.get(i);
    if (known) inits.push(known);
    else {
      inits.push(inits[i - 1]!);
      assumed.add(i);
    }
  });
  return { inits, assumed };
}

async function layoutsWithInBandCheck(store: ObjectStore, plan: ClipPlan, inits: readonly InitInfo[], concurrency: number) {
  const inBand = new Map<number, boolean>();
  await mapWithLimit(configChanges(inits), concurrency, async (i) => {
    const init = inits[i]!;
    const video = init.tracks.find((t) => t.handler === 'vide');
    const head = await readFirstVideoSampleHead(store, plan.segments[i]!, init);
    inBand.set(i, !!video && !!head && sampleHasParameterSets(head, codecFamily(video.codec), video.nalLengthSize ?? 4));
  });
  return inits.map((init, i) => ({ init, ...(inBand.has(i) ? { inBandParameterSets: inBand.get(i)! } : {}) }));
}

function refusal(plan: ClipPlan, atIndex: number, reason: string, zone: string): VigilError {
  const at = plan.segments[atIndex]!.startMs;
  const iso = (ms: number) => formatInstant(ms, zone);
  const req = plan.request;
  return new VigilError('invalid_range', `camera ${req.cameraId}: ${reason} at ${iso(at)}, so one MP4 cannot hold the whole range`, {
    hint: `Cut two clips: ${iso(req.startMs)} to ${iso(at)}, and ${iso(at)} to ${iso(req.endMs)}.`,
    changeAtMs: at,
  });
}
