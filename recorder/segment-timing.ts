/**
 * Wall-clock placement of segments, from stream time anchored to when the run started.
 *
 * ffmpeg reports media time (seconds since the run's first packet) for progress and closed
 * segments. The anchor is the wall time of media time 0, estimated as the minimum over
 * progress reports of (arrival wall time − media time): delivery delays only ever add, so the
 * minimum is the best estimate. Segments of one run are chained end to start, so they are
 * contiguous and never overlap; the first segment of a run never starts before what is
 * already accounted for (the previous run's footage or gap).
 */
export interface RunClock {
  anchorMs: number | null;
  /** End of the last segment placed in this run, ms; null before the first. */
  lastEndMs: number | null;
  /** The same end in stream seconds (for chaining a salvaged remainder). */
  lastEndSec?: number | null;
}

export function newRunClock(): RunClock {
  return { anchorMs: null, lastEndMs: null, lastEndSec: null };
}

export function observeProgress(run: RunClock, p: { mediaMs: number; atMs: number }): RunClock {
  const estimate = p.atMs - p.mediaMs;
  return { ...run, anchorMs: run.anchorMs === null ? estimate : Math.min(run.anchorMs, estimate) };
}

export interface Placement {
  startMs: number;
  durationMs: number;
  run: RunClock;
}

/**
 * Places a closed segment [startSec, endSec) of stream time. `coveredUntilMs` is the end of
 * everything already accounted for on this camera (null for a camera with no history).
 * `nowMs` is used only when no progress was seen yet.
 */
export function placeSegment(
  run: RunClock,
  seg: { startSec: number; endSec: number },
  coveredUntilMs: number | null,
  nowMs: number,
): Placement {
  const anchorMs = run.anchorMs ?? nowMs - Math.round(seg.endSec * 1000);
  const wallEnd = anchorMs + Math.round(seg.endSec * 1000);
  const lengthMs = Math.max(1, Math.round((seg.endSec - seg.startSec) * 1000));
  let startMs: number;
  if (run.lastEndMs !== null) startMs = run.lastEndMs;
  else {
    startMs = anchorMs + Math.round(seg.startSec * 1000);
    if (coveredUntilMs !== null && startMs < coveredUntilMs) startMs = coveredUntilMs;
  }
  // Chaining keeps the run contiguous; the anchor decides where it ends, but a segment never
  // shrinks below a sane share of its own stream length because of anchor refinement.
  let endMs = wallEnd;
  if (endMs <= startMs || Math.abs(endMs - startMs - lengthMs) > Math.max(1000, lengthMs / 2)) endMs = startMs + lengthMs;
  return { startMs, durationMs: endMs - startMs, run: { anchorMs, lastEndMs: endMs } };
}
