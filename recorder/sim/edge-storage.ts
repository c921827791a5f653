/**
 * The edge storage (SD card) of a simulated camera as a pure model. The camera records its main
 * stream continuously from startMs; it keeps the last retentionMs; while its recording is off
 * (the edgeRecording fault) nothing is written, so those intervals are holes. Because the
 * simulator's media is a deterministic loop on a timeline, nothing is stored: which intervals
 * are held follows from these few facts, and the frame at any held instant is computable.
 *
 * All times are the simulator's true clock, epoch ms, half-open [startMs, endMs). Callers
 * convert to and from the camera's own (skewed) clock at the edges.
 */

export interface Interval {
  startMs: number;
  endMs: number;
}

/** A period the card was not recording; endMs undefined = still not recording. */
export interface EdgeHole {
  startMs: number;
  endMs?: number;
}

export interface EdgeState {
  /** When recording began (the stream timeline's origin). */
  startMs: number;
  nowMs: number;
  retentionMs: number;
  holes: readonly EdgeHole[];
}

/** What the card holds now: [max(start, now - retention), now) minus the holes, sorted, merged. */
export function heldIntervals(s: EdgeState): Interval[] {
  const from = Math.max(s.startMs, s.nowMs - s.retentionMs);
  if (!(s.nowMs > from)) return [];
  const holes = s.holes
    .map((h) => ({ startMs: Math.max(h.startMs, from), endMs: Math.min(h.endMs ?? s.nowMs, s.nowMs) }))
    .filter((h) => h.endMs > h.startMs)
    .sort((a, b) => a.startMs - b.startMs);
  const held: Interval[] = [];
  let cursor = from;
  for (const h of holes) {
    if (h.startMs > cursor) held.push({ startMs: cursor, endMs: h.startMs });
    cursor = Math.max(cursor, h.endMs);
  }
  if (s.nowMs > cursor) held.push({ startMs: cursor, endMs: s.nowMs });
  return held;
}

/** The frame grid of a stream: frame k falls due at originMs + k * frameMs (decode order). */
export interface FrameGrid {
  originMs: number;
  frameMs: number;
  isKeyframe(k: number): boolean;
}

/** Consecutive frames [first, end) (global indexes) with no hole between them. */
export interface FrameRun {
  first: number;
  end: number;
}

/** First frame index due at or after ms. */
function firstDueAtOrAfter(grid: FrameGrid, ms: number): number {
  return Math.max(0, Math.ceil((ms - grid.originMs) / grid.frameMs - 1e-9));
}

/** Last keyframe at or before frame k (k itself if it is one); -1 if none. */
function keyframeAtOrBefore(grid: FrameGrid, k: number): number {
  for (let i = k; i >= 0; i--) if (grid.isKeyframe(i)) return i;
  return -1;
}

function keyframeAtOrAfter(grid: FrameGrid, k: number, limit: number): number {
  for (let i = Math.max(0, k); i < limit; i++) if (grid.isKeyframe(i)) return i;
  return limit;
}

/**
 * What a replay of [fromMs, toMs) sends: one run per held interval it touches. A run starts at a
 * keyframe (the card records whole GOPs: after a hole or the retention edge it holds from the
 * next keyframe on); the first run starts at the keyframe at or before fromMs when the card
 * holds it (else at the first held keyframe after it); each run ends with the last frame due
 * before toMs or before its interval ends. toMs undefined = up to what is held.
 */
export function replayRuns(held: readonly Interval[], grid: FrameGrid, fromMs: number, toMs?: number): FrameRun[] {
  const runs: FrameRun[] = [];
  const startFrame = keyframeAtOrBefore(grid, Math.max(0, Math.floor((fromMs - grid.originMs) / grid.frameMs)));
  const endLimit = toMs === undefined ? Infinity : firstDueAtOrAfter(grid, toMs);
  for (const iv of held) {
    const ivEnd = Math.min(firstDueAtOrAfter(grid, iv.endMs), endLimit);
    const ivFirst = keyframeAtOrAfter(grid, firstDueAtOrAfter(grid, iv.startMs), ivEnd);
    if (ivEnd <= ivFirst) continue;
    if (ivEnd <= startFrame) continue;
    const first = startFrame >= ivFirst ? startFrame : ivFirst;
    if (first >= ivEnd) continue;
    runs.push({ first, end: ivEnd });
  }
  return runs;
}
