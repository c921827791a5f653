import type { TimeRange } from '../../src/time.ts';

/**
 * Cutting rules for footage replayed from a camera's storage. Pure: frames in (decoding order,
 * camera clock), segments out (recorder clock).
 *
 *  - frame time = camera time − clockOffsetMs (the camera clock minus the recorder's);
 *  - the first segment starts at the first keyframe at or after range.startMs: frames before it
 *    cannot be decoded without the keyframe the live recording already holds, so they are
 *    not put in a new segment;
 *  - replay stops at the first frame (decoding order) at or after range.endMs;
 *  - a segment is cut at the first keyframe at or after segmentTargetMs from its start;
 *  - a discontinuity (the camera's D flag, lost packets, or a jump of the frame time by more
 *    than `maxJumpFrames` frame intervals either way) ends the segment; the next one starts at
 *    the next keyframe;
 *  - segment startMs = its first frame's time; durationMs = latest frame time + one frame
 *    interval − startMs.
 */

export interface SegmenterFrame {
  /** Capture time on the camera's clock, epoch ms. */
  cameraMs: number;
  keyframe: boolean;
  /** Something is missing before this frame (D flag, lost packets). */
  discontinuity: boolean;
}

export interface SegmenterConfig {
  /** Wanted interval, recorder clock. */
  range: TimeRange;
  segmentTargetMs: number;
  clockOffsetMs: number;
  /** Nominal frame interval (from the SDP frame rate, else 40 ms). */
  frameIntervalMs: number;
  /** A frame time further than this many intervals from the previous one is a discontinuity (default 5: B-frame reordering stays within it). */
  maxJumpFrames?: number;
}

export interface CutSegment<F> {
  startMs: number;
  durationMs: number;
  /** Frames with their recorder-clock time, in decoding order; the first is a keyframe. */
  frames: Array<{ frame: F; timeMs: number }>;
}

export class ReplaySegmenter<F extends SegmenterFrame> {
  private current: CutSegment<F>['frames'] = [];
  private startMs = 0;
  private latestMs = 0;
  private prevMs: number | null = null;
  private ended = false;
  /** Frames not used: before the range's first keyframe, after a discontinuity until a keyframe, at or after the end. */
  skippedFrames = 0;

  constructor(private readonly cfg: SegmenterConfig) {
    if (!(cfg.frameIntervalMs > 0) || !(cfg.segmentTargetMs > 0)) throw new RangeError('frame interval and segment target must be > 0');
  }

  /** True once a frame at or after range.endMs was seen: the replay can stop. */
  get done(): boolean {
    return this.ended;
  }

  /** Feeds one frame; returns the segments it closed. */
  push(frame: F): CutSegment<F>[] {
    const out: CutSegment<F>[] = [];
    if (this.ended) {
      this.skippedFrames++;
      return out;
    }
    const timeMs = frame.cameraMs - this.cfg.clockOffsetMs;
    if (timeMs >= this.cfg.range.endMs) {
      this.ended = true;
      this.skippedFrames++;
      this.close(out);
      return out;
    }
    const jump = this.prevMs !== null && Math.abs(timeMs - this.prevMs) > (this.cfg.maxJumpFrames ?? 5) * this.cfg.frameIntervalMs;
    this.prevMs = timeMs;
    if (frame.discontinuity || jump) this.close(out);
    if (this.current.length === 0) {
      if (!frame.keyframe || timeMs < this.cfg.range.startMs) {
        this.skippedFrames++;
        return out;
      }
      this.startMs = timeMs;
      this.latestMs = timeMs;
    } else if (frame.keyframe && timeMs - this.startMs >= this.cfg.segmentTargetMs) {
      this.close(out);
      this.startMs = timeMs;
      this.latestMs = timeMs;
    }
    this.current.push({ frame, timeMs });
    this.latestMs = Math.max(this.latestMs, timeMs);
    return out;
  }

  /** The replay ended (BYE, end of range, socket closed): closes the open segment. */
  end(): CutSegment<F>[] {
    const out: CutSegment<F>[] = [];
    this.close(out);
    this.ended = true;
    return out;
  }

  private close(out: CutSegment<F>[]): void {
    if (this.current.length === 0) return;
    const durationMs = Math.min(this.latestMs + this.cfg.frameIntervalMs, this.cfg.range.endMs) - this.startMs;
    out.push({ startMs: this.startMs, durationMs, frames: this.current });
    this.current = [];
  }
}

/** All segments of a whole frame list (the streaming class, at once). */
export function cutReplay<F extends SegmenterFrame>(frames: readonly F[], cfg: SegmenterConfig): CutSegment<F>[] {
  const s = new ReplaySegmenter<F>(cfg);
  const out: CutSegment<F>[] = [];
  for (const f of frames) {
    out.push(...s.push(f));
    if (s.done) break;
  }
  out.push(...s.end());
  return out;
}
