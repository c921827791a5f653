import type { Clock } from '../../src/clock.ts';
import { type EdgeHole, heldIntervals, type Interval } from './edge-storage.ts';
import type { CameraFaults, FaultSettings } from './faults.ts';

/**
 * The live side of a camera's edge storage: follows the edgeRecording fault to note holes, and
 * answers what the card holds now (edge-storage.ts decides). Recording needs no network, so
 * networkCut does not touch it. Holes older than the retention are forgotten.
 */
export class EdgeRecorder {
  private readonly holes: EdgeHole[] = [];
  private readonly onChange = (s: FaultSettings) => this.follow(s.edgeRecording);

  constructor(
    private readonly clock: Clock,
    private readonly faults: CameraFaults,
    /** When recording began: the main stream timeline's origin. */
    readonly startMs: number,
    readonly retentionMs: number,
  ) {
    this.follow(faults.get().edgeRecording);
    faults.on('change', this.onChange);
  }

  /** Whether the card is recording now. */
  get recording(): boolean {
    return this.holes.at(-1)?.endMs !== undefined || this.holes.length === 0;
  }

  held(): Interval[] {
    const nowMs = this.clock.nowMs();
    const oldest = nowMs - this.retentionMs;
    while (this.holes.length > 0 && this.holes[0]!.endMs !== undefined && this.holes[0]!.endMs < oldest) this.holes.shift();
    return heldIntervals({ startMs: this.startMs, nowMs, retentionMs: this.retentionMs, holes: this.holes });
  }

  stop(): void {
    this.faults.off('change', this.onChange);
  }

  private follow(recording: boolean): void {
    const now = this.clock.nowMs();
    const open = this.holes.at(-1);
    if (!recording && (open === undefined || open.endMs !== undefined)) this.holes.push({ startMs: now });
    else if (recording && open && open.endMs === undefined) open.endMs = now;
  }
}
