import { intersectRanges, mergeRanges, subtractRanges, type TimeRange } from '../../src/time.ts';
import type { BackfillJob, BackfillState } from '../../src/db/backfill-repo.ts';
import type { EdgeSupport } from './edge-fetch-types.ts';

/**
 * Edge backfill decisions, pure: which gaps get a job, what to ask the camera for, and what an
 * attempt's outcome means for the job (done, partial, retry later, give up). The runner
 * (backfill-runner.ts) does the I/O around them.
 */
export interface BackfillPolicy {
  minGapMs: number;
  /** A gap that ended longer ago than this is not tried (again). */
  giveUpAfterMs: number;
  retryFirstMs: number;
  retryMaxMs: number;
}

/**
 * Reasons whose footage the camera's own storage may hold: all of them. Whatever kept the
 * footage from Vigil (network cut or stalled, the stream broke, the recorder was down, the
 * recorder's spool was full, or the camera refused our password), the camera kept recording to
 * its card. A cause that persists (a password still wrong) makes the attempt fail, and the job
 * retries with backoff until the give-up age, so once it is fixed the footage still comes back.
 */
export const BACKFILL_REASONS: ReadonlySet<string> = new Set(['camera_unreachable', 'stream_stalled', 'stream_error', 'recorder_down', 'spool_full', 'auth_failed']);

export interface GapView extends TimeRange {
  reason: string;
}

export type GapVerdict = { job: true } | { job: false; why: string };

/** Whether a stored gap deserves a backfill job now. */
export function judgeGap(gap: GapView, edge: EdgeSupport | null, nowMs: number, p: BackfillPolicy): GapVerdict {
  if (!edge?.profileG) return { job: false, why: edge ? 'the camera has no ONVIF Profile G recording search and replay' : 'the camera has not been checked for edge storage' };
  if (!BACKFILL_REASONS.has(gap.reason)) return { job: false, why: `a ${gap.reason} gap is not footage the camera's storage would hold` };
  if (gap.endMs - gap.startMs < p.minGapMs) return { job: false, why: `shorter than ${p.minGapMs} ms` };
  if (nowMs - gap.endMs > p.giveUpAfterMs) return { job: false, why: 'older than the give-up age' };
  return { job: true };
}

/**
 * Outages: gaps that touch one another joined into one interval, named by the reason of its
 * longest piece. A network cut is stored as a second or so of `stream_error` (the stream broke)
 * followed by `camera_unreachable` (reconnects refused); one job per gap row left the short
 * first piece unasked (under minGap) and started the replay of the second at its own first
 * keyframe: up to a second plus a GOP lost where at most a GOP need be. Only backfillable
 * reasons join; others are left out.
 */
export function outagesOf(gaps: readonly GapView[]): GapView[] {
  const sorted = gaps.filter((g) => BACKFILL_REASONS.has(g.reason) && g.startMs < g.endMs).sort((a, b) => a.startMs - b.startMs);
  const out: Array<GapView & { longestMs: number }> = [];
  for (const g of sorted) {
    const last = out[out.length - 1];
    if (last && g.startMs <= last.endMs) {
      last.endMs = Math.max(last.endMs, g.endMs);
      if (g.endMs - g.startMs > last.longestMs) Object.assign(last, { longestMs: g.endMs - g.startMs, reason: g.reason });
    } else {
      out.push({ ...g, longestMs: g.endMs - g.startMs });
    }
  }
  return out.map((o) => ({ startMs: o.startMs, endMs: o.endMs, reason: o.reason }));
}

/**
 * The outages that should get a new job: their parts not already inside a job's range (a job
 * whose gap was partly recovered leaves pieces with new starts; they belong to that job; a
 * later gap touching a job's range gets its own), each judged as a gap.
 */
export function gapsNeedingJobs(gaps: readonly GapView[], jobs: readonly TimeRange[], edge: EdgeSupport | null, nowMs: number, p: BackfillPolicy): GapView[] {
  return outagesOf(gaps)
    .flatMap((o) => subtractRanges(o, jobs).map((r) => ({ ...r, reason: o.reason })))
    .filter((g) => judgeGap(g, edge, nowMs, p).job);
}

/** Wait before attempt n+1 after n failed attempts (n ≥ 1): first, doubling, capped. */
export function retryDelayMs(failedAttempts: number, p: BackfillPolicy): number {
  const n = Math.max(1, failedAttempts);
  return Math.min(p.retryMaxMs, p.retryFirstMs * 2 ** Math.min(n - 1, 30));
}

/**
 * What to ask the camera for: the job's range minus what is no longer a gap (what is already
 * recovered), as the pieces still stored as gaps of a backfillable reason (a job's range may
 * hold pieces of several reasons: outagesOf).
 */
export function rangesToFetch(job: Pick<BackfillJob, 'gapStartMs' | 'gapEndMs'>, currentGaps: readonly GapView[]): TimeRange[] {
  const within = { startMs: job.gapStartMs, endMs: job.gapEndMs };
  return mergeRanges(
    currentGaps
      .filter((g) => BACKFILL_REASONS.has(g.reason))
      .map((g) => intersectRanges(g, within))
      .filter((r): r is TimeRange => r !== null),
  );
}

export type AttemptOutcome =
  /** The fetcher answered: what the camera said it holds in the asked ranges. */
  | { kind: 'fetched'; edgeHas: readonly TimeRange[]; detail: string }
  /** The fetcher failed (camera unreachable again, replay refused, timeout …). */
  | { kind: 'failed'; error: string }
  /** The camera answered with something Vigil cannot fetch (e.g. an MJPEG replay): asking again gives the same. */
  | { kind: 'unsupported'; error: string };

export interface JobDecision {
  state: BackfillState;
  attempts: number;
  nextAttemptMs: number;
  recoveredMs: number;
  detail: string;
  /** Plain words for the gaps left, when the job is final and something is left. */
  remainingDetail: string | null;
}

/**
 * After an attempt: `asked` are the ranges requested, `remaining` what is still a gap of the
 * job after the upload, `recoveredMs` all footage backfilled inside the job's gap so far.
 *  - nothing remaining → done;
 *  - the remaining part is not on the camera (its search says so) → partial if something was
 *    recovered, else given_up: "the camera's storage has nothing for this part";
 *  - the camera holds some of it but the attempt did not bring it (or failed) → retry after a
 *    backoff, unless the gap is past the give-up age → given_up;
 *  - but a successful attempt that brought nothing new, or left only pieces shorter than
 *    minGap, ends the job: a replay starts at a keyframe, so the first second or so of a gap
 *    the camera "holds" may never come, and asking again would give the same answer.
 */
export function decideAfterAttempt(
  job: Pick<BackfillJob, 'gapEndMs' | 'attempts'> & { recoveredMs?: number },
  remaining: readonly TimeRange[],
  recoveredMs: number,
  outcome: AttemptOutcome,
  nowMs: number,
  p: BackfillPolicy,
): JobDecision {
  const attempts = job.attempts + 1;
  const recovered = `recovered ${fmtSec(recoveredMs)} from the camera's storage`;
  if (remaining.length === 0) {
    return { state: 'done', attempts, nextAttemptMs: nowMs, recoveredMs, detail: `${recovered}; nothing of the gap is left`, remainingDetail: null };
  }
  const tooOld = nowMs - job.gapEndMs > p.giveUpAfterMs;
  if (outcome.kind === 'fetched') {
    const stillThere = mergeRanges(remaining.flatMap((r) => outcome.edgeHas.map((h) => intersectRanges(r, h)).filter((x): x is TimeRange => x !== null)));
    const noProgress = recoveredMs <= (job.recoveredMs ?? 0);
    const onlyCrumbs = stillThere.every((r) => r.endMs - r.startMs < p.minGapMs);
    if (stillThere.length === 0 || noProgress || onlyCrumbs) {
      const why = stillThere.length === 0
        ? "the camera's storage has nothing for this part"
        : noProgress
          ? "the camera's replay gave nothing more for this part"
          : `the camera's replay did not give this part (under ${p.minGapMs} ms; a replay starts at a keyframe)`;
      return {
        state: recoveredMs > 0 ? 'partial' : 'given_up', attempts, nextAttemptMs: nowMs, recoveredMs,
        detail: `${recovered}; ${why}${outcome.detail ? ` (${outcome.detail})` : ''}`,
        remainingDetail: recoveredMs > 0 ? `backfill ${recovered}; ${why}` : `backfill: ${why}`,
      };
    }
    if (tooOld) return giveUp(attempts, nowMs, recoveredMs, recovered, 'the camera holds footage not yet fetched, but the gap is past the give-up age');
    return {
      state: 'pending', attempts, nextAttemptMs: nowMs + retryDelayMs(attempts, p), recoveredMs,
      detail: `${recovered}; ${fmtSec(sumMs(stillThere))} the camera holds is not fetched yet, will retry${outcome.detail ? ` (${outcome.detail})` : ''}`,
      remainingDetail: null,
    };
  }
  if (outcome.kind === 'unsupported') return giveUp(attempts, nowMs, recoveredMs, recovered, `the camera's footage cannot be fetched by this Vigil: ${outcome.error}`);
  if (tooOld) return giveUp(attempts, nowMs, recoveredMs, recovered, `the last attempt failed (${outcome.error}) and the gap is past the give-up age`);
  return {
    state: 'pending', attempts, nextAttemptMs: nowMs + retryDelayMs(attempts, p), recoveredMs,
    detail: `attempt ${attempts} failed: ${outcome.error}; will retry`,
    remainingDetail: null,
  };
}

/** A job found past the give-up age before any attempt (e.g. after a long recorder outage). */
export function expiredBeforeAttempt(job: Pick<BackfillJob, 'gapEndMs'>, nowMs: number, p: BackfillPolicy): boolean {
  return nowMs - job.gapEndMs > p.giveUpAfterMs;
}

function giveUp(attempts: number, nowMs: number, recoveredMs: number, recovered: string, why: string): JobDecision {
  return {
    state: recoveredMs > 0 ? 'partial' : 'given_up', attempts, nextAttemptMs: nowMs, recoveredMs,
    detail: `${recovered}; gave up: ${why}`,
    remainingDetail: `backfill ${recovered}; gave up: ${why}`,
  };
}

function sumMs(rs: readonly TimeRange[]): number {
  return rs.reduce((s, r) => s + r.endMs - r.startMs, 0);
}

function fmtSec(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The detail of a gap piece left by backfill: its original words, then in brackets what
 * backfill found (a note always starts with "backfill"; an earlier note is replaced).
 */
export function annotateGapDetail(original: string, note: string): string {
  const i = original.startsWith('(backfill') ? 0 : original.indexOf(NOTE_MARK);
  const base = (i >= 0 ? original.slice(0, i) : original).trimEnd();
  return base ? `${base} (${note})` : `(${note})`;
}
const NOTE_MARK = ' (backfill';
