import { describe, expect, it } from 'vitest';
import {
  annotateGapDetail, decideAfterAttempt, expiredBeforeAttempt, gapsNeedingJobs, judgeGap, outagesOf, rangesToFetch, retryDelayMs,
  type AttemptOutcome, type BackfillPolicy, type GapView,
} from '../../recorder/backfill/backfill-plan.ts';
import type { EdgeSupport } from '../../recorder/backfill/edge-fetch-types.ts';
import type { TimeRange } from '../../src/time.ts';

const P: BackfillPolicy = { minGapMs: 2_000, giveUpAfterMs: 7 * 86_400_000, retryFirstMs: 30_000, retryMaxMs: 30 * 60_000 };
const T = Date.UTC(2026, 0, 5, 2, 0, 0);
const G: EdgeSupport = { profileG: true, checkedMs: T, detail: '' };
const NO_G: EdgeSupport = { profileG: false, checkedMs: T, detail: 'GetServices lists no recording search service' };
const gap = (startMs: number, endMs: number, reason = 'camera_unreachable'): GapView => ({ startMs, endMs, reason });

describe('judgeGap: which gaps deserve a backfill job', () => {
  const now = T + 600_000;
  it.each<[string, GapView, EdgeSupport | null, boolean, string | null]>([
    ['unreachable, Profile G', gap(T, T + 120_000), G, true, null],
    ['stalled, Profile G', gap(T, T + 120_000, 'stream_stalled'), G, true, null],
    ['recorder down (the card kept recording)', gap(T, T + 120_000, 'recorder_down'), G, true, null],
    ['auth failed (the card kept recording; retried until the password is fixed)', gap(T, T + 120_000, 'auth_failed'), G, true, null],
    ['stream error (the stream broke, the card did not)', gap(T, T + 120_000, 'stream_error'), G, true, null],
    ['spool full (our disk, not the camera\'s)', gap(T, T + 120_000, 'spool_full'), G, true, null],
    ['a reason this version does not know', gap(T, T + 120_000, 'retention'), G, false, 'retention'],
    ['exactly the minimum length', gap(T, T + 2_000), G, true, null],
    ['shorter than the minimum', gap(T, T + 1_999), G, false, 'shorter'],
    ['camera without Profile G', gap(T, T + 120_000), NO_G, false, 'Profile G'],
    ['camera never checked', gap(T, T + 120_000), null, false, 'not been checked'],
    ['ended exactly at the give-up age', gap(now - P.giveUpAfterMs - 60_000, now - P.giveUpAfterMs), G, true, null],
    ['older than the give-up age', gap(now - P.giveUpAfterMs - 60_000, now - P.giveUpAfterMs - 1), G, false, 'older'],
  ])('%s', (_name, g, edge, job, why) => {
    const v = judgeGap(g, edge, now, P);
    expect(v.job).toBe(job);
    if (!v.job && why) expect(v.why).toContain(why);
  });
});

describe('gapsNeedingJobs', () => {
  it.each<[string, GapView[], TimeRange[], number[]]>([
    ['new gaps get jobs', [gap(T, T + 60_000), gap(T + 100_000, T + 200_000)], [], [T, T + 100_000]],
    ['a gap already with a job gets none', [gap(T, T + 60_000)], [{ startMs: T, endMs: T + 60_000 }], []],
    ['pieces left of a partly recovered gap belong to its job', [gap(T + 10_000, T + 20_000), gap(T + 40_000, T + 60_000)], [{ startMs: T, endMs: T + 60_000 }], []],
    ['a later gap next to a job gets its own', [gap(T + 60_000, T + 90_000)], [{ startMs: T, endMs: T + 60_000 }], [T + 60_000]],
    ['ineligible ones are left out', [gap(T, T + 60_000, 'retention'), gap(T + 70_000, T + 71_000)], [], []],
    // A network cut: a second of stream_error, then camera_unreachable: one job from the first.
    ['a short piece touching the next joins its job', [gap(T, T + 1_035, 'stream_error'), gap(T + 1_035, T + 27_000)], [], [T]],
    ['two short touching pieces make one long enough', [gap(T, T + 1_200, 'stream_error'), gap(T + 1_200, T + 2_400)], [], [T]],
    ['a short piece alone gets none', [gap(T, T + 1_035, 'stream_error'), gap(T + 1_036, T + 1_900)], [], []],
    ['a piece after a job, touching it, gets its own', [gap(T, T + 60_000, 'stream_stalled'), gap(T + 60_000, T + 90_000)], [{ startMs: T, endMs: T + 60_000 }], [T + 60_000]],
  ])('%s', (_n, gaps, jobs, starts) => {
    expect(gapsNeedingJobs(gaps, jobs, G, T + 600_000, P).map((g) => g.startMs)).toEqual(starts);
  });
  it('joins touching gaps into outages named by their longest piece, and leaves other reasons out', () => {
    expect(outagesOf([gap(T + 1_035, T + 27_000), gap(T, T + 1_035, 'stream_error'), gap(T + 27_000, T + 27_500, 'retention'), gap(T + 30_000, T + 31_000, 'stream_stalled')])).toEqual([
      gap(T, T + 27_000, 'camera_unreachable'),
      gap(T + 30_000, T + 31_000, 'stream_stalled'),
    ]);
  });
  it('a camera without Profile G gets no job at all', () => {
    expect(gapsNeedingJobs([gap(T, T + 60_000)], [], NO_G, T + 600_000, P)).toEqual([]);
  });
});

describe('retryDelayMs: backoff with a cap', () => {
  it.each([
    [1, 30_000], [2, 60_000], [3, 120_000], [6, 960_000], [7, 1_800_000], [8, 1_800_000], [100, 1_800_000], [0, 30_000],
  ])('after %i failed attempts waits %i ms', (n, ms) => {
    expect(retryDelayMs(n, P)).toBe(ms);
  });
});

describe('rangesToFetch: the gap minus what is recovered', () => {
  const job = { gapStartMs: T, gapEndMs: T + 120_000, gapReason: 'camera_unreachable' };
  it.each<[string, GapView[], TimeRange[]]>([
    ['whole gap still there', [gap(T, T + 120_000)], [{ startMs: T, endMs: T + 120_000 }]],
    ['middle recovered', [gap(T, T + 30_000), gap(T + 90_000, T + 120_000)], [{ startMs: T, endMs: T + 30_000 }, { startMs: T + 90_000, endMs: T + 120_000 }]],
    ['everything recovered', [], []],
    ['gaps of other reasons or outside the job are not asked for', [gap(T - 10_000, T + 5_000), gap(T + 5_000, T + 10_000, 'retention'), gap(T + 120_000, T + 130_000)], [{ startMs: T, endMs: T + 5_000 }]],
    ['an outage of several reasons is asked for whole', [gap(T, T + 1_000, 'stream_error'), gap(T + 1_000, T + 120_000)], [{ startMs: T, endMs: T + 120_000 }]],
  ])('%s', (_n, gaps, want) => {
    expect(rangesToFetch(job, gaps)).toEqual(want);
  });
});

describe('decideAfterAttempt', () => {
  const job = { gapEndMs: T + 120_000, attempts: 0 };
  const now = T + 300_000;
  const all = [{ startMs: T, endMs: T + 120_000 }];
  const fetched = (edgeHas: TimeRange[], detail = ''): AttemptOutcome => ({ kind: 'fetched', edgeHas, detail });
  it.each<[string, TimeRange[], number, AttemptOutcome, number, string, number | null, string | null]>([
    ['all recovered → done', [], 120_000, fetched(all), now, 'done', null, null],
    ['the camera holds nothing of the rest, some recovered → partial', [{ startMs: T, endMs: T + 20_000 }], 100_000, fetched([{ startMs: T + 20_000, endMs: T + 120_000 }]), now, 'partial', null, "the camera's storage has nothing for this part"],
    ['the camera holds nothing at all → given_up', all, 0, fetched([]), now, 'given_up', null, "the camera's storage has nothing for this part"],
    ['the camera holds the rest but it did not come → retry', [{ startMs: T, endMs: T + 20_000 }], 100_000, fetched(all), now, 'pending', now + 30_000, null],
    ['fetch failed → retry with backoff', all, 0, { kind: 'failed', error: 'connect ECONNREFUSED' }, now, 'pending', now + 30_000, null],
    ['failed past the give-up age → given_up', all, 0, { kind: 'failed', error: 'timeout' }, T + 120_000 + P.giveUpAfterMs + 1, 'given_up', null, 'gave up'],
    ['unsupported (a replay codec Vigil cannot read) → given_up at once, no retry', all, 0, { kind: 'unsupported', error: 'replays JPEG' }, now, 'given_up', null, 'cannot be fetched'],
    ['unsupported after something recovered → partial', [{ startMs: T, endMs: T + 20_000 }], 100_000, { kind: 'unsupported', error: 'replays JPEG' }, now, 'partial', null, 'cannot be fetched'],
    ['failed past the age with something recovered → partial', [{ startMs: T, endMs: T + 20_000 }], 100_000, { kind: 'failed', error: 'timeout' }, T + 120_000 + P.giveUpAfterMs + 1, 'partial', null, 'gave up'],
  ])('%s', (_n, remaining, recoveredMs, outcome, at, state, next, remainingWords) => {
    const d = decideAfterAttempt(job, remaining, recoveredMs, outcome, at, P);
    expect(d.state).toBe(state);
    expect(d.attempts).toBe(1);
    expect(d.recoveredMs).toBe(recoveredMs);
    if (next !== null) expect(d.nextAttemptMs).toBe(next);
    if (remainingWords) expect(d.remainingDetail).toContain(remainingWords);
    else expect(d.remainingDetail).toBeNull();
  });
  it.each<[string, number, TimeRange[], string, string | null]>([
    ['an attempt that brought nothing new ends the job', 100_000, [{ startMs: T, endMs: T + 20_000 }], 'partial', 'gave nothing more'],
    ['only a crumb under minGap left (replay starts at a keyframe) ends the job', 0, [{ startMs: T, endMs: T + 1_300 }], 'partial', 'starts at a keyframe'],
    ['progress and a real piece left: retry', 50_000, [{ startMs: T, endMs: T + 20_000 }], 'pending', null],
  ])('%s', (_n, before, remaining, state, words) => {
    const d = decideAfterAttempt({ gapEndMs: T + 120_000, attempts: 1, recoveredMs: before }, remaining, 100_000, fetched(all), now, P);
    expect(d.state).toBe(state);
    if (words) expect(d.remainingDetail).toContain(words);
  });
  it('the wait grows with each failed attempt up to the cap', () => {
    const waits = [0, 1, 2, 3, 10].map((attempts) => decideAfterAttempt({ gapEndMs: T, attempts }, all, 0, { kind: 'failed', error: 'x' }, T + 1000, P).nextAttemptMs - (T + 1000));
    expect(waits).toEqual([30_000, 60_000, 120_000, 240_000, 1_800_000]);
  });
  it('expiredBeforeAttempt follows the give-up age', () => {
    expect(expiredBeforeAttempt({ gapEndMs: T }, T + P.giveUpAfterMs, P)).toBe(false);
    expect(expiredBeforeAttempt({ gapEndMs: T }, T + P.giveUpAfterMs + 1, P)).toBe(true);
  });
});

describe('annotateGapDetail', () => {
  it.each([
    ['camera refused connections', 'backfill: nothing', 'camera refused connections (backfill: nothing)'],
    ['camera refused connections (backfill: old note)', 'backfill: new', 'camera refused connections (backfill: new)'],
    ['', 'backfill: nothing', '(backfill: nothing)'],
    ['(backfill: old)', 'backfill: new', '(backfill: new)'],
  ])('%j + %j', (orig, note, want) => {
    expect(annotateGapDetail(orig, note)).toBe(want);
  });
});
