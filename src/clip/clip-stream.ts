import { VigilError } from '../errors.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { rewriteFragments } from '../fmp4/fragment-stream.ts';
import { trexMap } from '../fmp4/fragments.ts';
import type { InitInfo } from '../fmp4/init-info.ts';
import { trafDurationTicks } from '../fmp4/moof-info.ts';
import type { SegmentFacts } from '../fmp4/segment-facts.ts';
import type { MediaTiming } from '../fmp4/track-timing.ts';
import { clampClipRange, slicesForRange, type ClipPart } from './clip-parts.ts';
import type { ClipPlan } from './clip-plan.ts';
import { ClipTimeline, type TrackShifts } from './clip-timeline.ts';
import type { ClipByteRange } from './clip-types.ts';

/**
 * Streams a byte range of an assembled clip. Every byte is a function of the stored objects
 * only, so any range equals the same slice of the whole file. A fragment part's decode-time
 * shift depends on the timing of all parts before it: the first and last are known from
 * preparation, the others are read (mfra + two moofs each, cached) ahead of need.
 */
export interface ClipStreamContext {
  store: ObjectStore;
  facts: SegmentFacts;
  plan: ClipPlan;
  inits: readonly InitInfo[];
  /** Segments whose init was taken to be the one before theirs; checked on arrival. */
  assumedInits: ReadonlySet<number>;
  parts: readonly ClipPart[];
  sizeBytes: number;
  /** Timings of fragment parts known at preparation (first and last segment), by segment index. */
  knownTimings: ReadonlyMap<number, MediaTiming>;
  initBytes: Buffer;
  concurrency: number;
}

/** mfhd numbers: part i's fragments are i·65536 + 1, + 2, …; strictly increasing, no state. */
const FRAGMENTS_PER_PART = 65_536;

export async function* streamClipRange(ctx: ClipStreamContext, range?: ClipByteRange): AsyncGenerator<Buffer> {
  const r = clampClipRange(range, ctx.sizeBytes);
  const slices = slicesForRange(ctx.parts, r);
  const timings = new Timings(ctx);
  const timeline = new ClipTimeline();
  let shiftedUpTo = -1;
  const shifts: TrackShifts[] = [];
  const shiftsFor = async (segIndex: number): Promise<TrackShifts> => {
    if (shiftedUpTo < segIndex) {
      const needed = Array.from({ length: segIndex - shiftedUpTo }, (_, k) => shiftedUpTo + 1 + k);
      const got = await timings.many(needed);
      needed.forEach((i, k) => {
        shifts[i] = timeline.next({ timing: got[k]!, continuesPrevious: ctx.plan.segments[i]!.continuesPrevious });
      });
      shiftedUpTo = segIndex;
    }
    return shifts[segIndex]!;
  };

  // The next part's object is opened while the current one streams (hides a request's latency).
  let prefetched: { partIndex: number; source: Promise<AsyncIterable<Buffer>> } | undefined;
  const open = (partIndex: number) => {
    const p = ctx.parts[partIndex]!;
    return ctx.store.get(p.objectKey, { start: p.sourceStart, end: p.sourceEnd - 1 }) as Promise<AsyncIterable<Buffer>>;
  };
  try {
    for (const [k, slice] of slices.entries()) {
      const part = ctx.parts[slice.partIndex]!;
      if (part.kind === 'init') {
        yield ctx.initBytes.subarray(slice.skipBytes, slice.skipBytes + slice.takeBytes);
        continue;
      }
      const seg = part.segmentIndex;
      timings.prefetch(seg + 1);
      if (ctx.assumedInits.has(seg + 1)) void ctx.facts.init(ctx.plan.segments[seg + 1]!).catch(() => undefined);
      const shift = await shiftsFor(seg);
      await checkAssumedInit(ctx, seg);
      const source = prefetched?.partIndex === slice.partIndex ? prefetched.source : open(slice.partIndex);
      prefetched = undefined;
      const next = slices[k + 1];
      if (next && ctx.parts[next.partIndex]!.kind === 'fragments') {
        prefetched = { partIndex: next.partIndex, source: open(next.partIndex) };
        prefetched.source.catch(() => undefined);
      }
      yield* streamPart(ctx, part, await source, shift, slice.skipBytes, slice.takeBytes, timings.expected(seg));
    }
  } finally {
    if (prefetched) void prefetched.source.then((r) => (r as unknown as { destroy?(): void }).destroy?.(), () => undefined);
  }
}

async function checkAssumedInit(ctx: ClipStreamContext, seg: number): Promise<void> {
  if (!ctx.assumedInits.has(seg)) return;
  const real = await ctx.facts.init(ctx.plan.segments[seg]!);
  if (real.configFingerprint !== ctx.inits[seg]!.configFingerprint) {
    throw new VigilError('internal', `segment ${ctx.plan.segments[seg]!.objectKey} continues the one before it but its format differs; the clip stops here`, {
      hint: 'Ask for the clip again: its format change is known now and will be handled.',
    });
  }
}

async function* streamPart(ctx: ClipStreamContext, part: ClipPart, source: AsyncIterable<Buffer>, shift: TrackShifts, skip: number, take: number, expected: Promise<MediaTiming>): AsyncGenerator<Buffer> {
  const init = ctx.inits[part.segmentIndex]!;
  const length = part.sourceEnd - part.sourceStart;
  let ordinal = 0;
  const seen = new Map<number, { first: number; end: number }>();
  const out = rewriteFragments(source, {
    trex: trexMap(init),
    lengthBytes: length,
    onMoof(moof) {
      ordinal++;
      if (ordinal >= FRAGMENTS_PER_PART) throw new VigilError('internal', `segment ${part.objectKey} has more than ${FRAGMENTS_PER_PART - 1} fragments`);
      const decodeTimes = new Map<number, number>();
      for (const traf of moof.trafs) {
        const orig = traf.decodeTime?.value ?? 0;
        const s = seen.get(traf.trackId);
        const end = orig + trafDurationTicks(traf);
        seen.set(traf.trackId, { first: s?.first ?? orig, end });
        decodeTimes.set(traf.trackId, orig + (shift.get(traf.trackId) ?? 0));
      }
      return { sequenceNumber: part.segmentIndex * FRAGMENTS_PER_PART + ordinal, decodeTimes };
    },
  });
  let pos = 0;
  let sent = 0;
  for await (const chunk of out) {
    const from = Math.max(0, skip - pos);
    pos += chunk.length;
    if (from >= chunk.length) continue;
    const piece = chunk.subarray(from, from + (take - sent));
    sent += piece.length;
    yield piece;
    if (sent >= take) break;
  }
  if (sent < take) throw new VigilError('internal', `segment ${part.objectKey} ended ${take - sent} bytes early while streaming a clip`, { hint: 'The stored object is shorter than the index says; check it with ffprobe.' });
  if (skip === 0 && take === length) {
    // A whole part went by: its timing must be the one the later parts were shifted by.
    const want = await expected;
    const same = want.tracks.length === seen.size && want.tracks.every((t) => seen.get(t.trackId)?.first === t.firstTicks && seen.get(t.trackId)?.end === t.endTicks);
    if (!same) throw new VigilError('internal', `segment ${part.objectKey}: its fragments do not match the timing read from its mfra`, { hint: 'The segment may be damaged; check it with ffprobe.' });
  }
}

/** Timings of fragment parts: known ones, or read (cached) with bounded parallelism. */
class Timings {
  private readonly pending = new Map<number, Promise<MediaTiming>>();
  constructor(private readonly ctx: ClipStreamContext) {}

  expected(i: number): Promise<MediaTiming> {
    let p = this.pending.get(i);
    if (!p) {
      const known = this.ctx.knownTimings.get(i);
      p = known ? Promise.resolve(known) : this.ctx.facts.timing(this.ctx.plan.segments[i]!);
      p.catch(() => undefined);
      this.pending.set(i, p);
    }
    return p;
  }

  prefetch(i: number): void {
    if (i < this.ctx.plan.segments.length) void this.expected(i);
  }

  async many(indexes: readonly number[]): Promise<MediaTiming[]> {
    const out: MediaTiming[] = [];
    for (let k = 0; k < indexes.length; k += this.ctx.concurrency) {
      out.push(...(await Promise.all(indexes.slice(k, k + this.ctx.concurrency).map((i) => this.expected(i)))));
    }
    return out;
  }
}
