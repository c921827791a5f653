/**
 * What to do with the next live fragment for one viewer: send it, skip it, or drop the
 * viewer. Pure; the table is in test/unit/live-delivery-policy.test.ts.
 *
 * A viewer is "behind" when the oldest fragment it has not acknowledged was sent more than
 * maxLagMs ago (the browser acknowledges each piece once appended to its MediaSource, so this
 * is the viewer's real lag, whatever the kernel buffers hold), or when more than
 * maxBufferedBytes wait in its connection (the memory bound, acks or not). While behind,
 * fragments are skipped; once it has caught up it resumes at the next keyframe, so it never
 * gets a fragment it cannot decode. Behind for dropAfterMs without a break: dropped.
 * A stalled viewer therefore costs the others nothing: nothing is ever queued for it beyond
 * maxBufferedBytes, and nothing waits for it.
 */
export interface DeliveryPolicy {
  maxLagMs: number;
  maxBufferedBytes: number;
  dropAfterMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { maxLagMs: 1_500, maxBufferedBytes: 4 * 1024 * 1024, dropAfterMs: 10_000 };

export interface ViewerFlow {
  /** Skipping until a keyframe: what follows a skipped fragment cannot be decoded. */
  needKeyframe: boolean;
  /** Since when the viewer has been behind without a break, or null. */
  behindSinceMs: number | null;
}

export const NEW_VIEWER_FLOW: ViewerFlow = { needKeyframe: true, behindSinceMs: null };

export interface DeliveryInput {
  keyframe: boolean;
  nowMs: number;
  /** When the oldest unacknowledged piece was sent, or null when everything is acknowledged. */
  oldestUnackedSentMs: number | null;
  /** Bytes waiting in the viewer's connection. */
  bufferedBytes: number;
}

export type DropReason = 'lagging' | 'buffer_full';

export type DeliveryAction =
  | { action: 'send' }
  /** newlyBehind: this fragment starts a skip (the viewer is told, the skip counted). */
  | { action: 'skip'; newlyBehind: boolean }
  | { action: 'drop'; reason: DropReason };

export function decideDelivery(flow: ViewerFlow, input: DeliveryInput, policy: DeliveryPolicy): { next: ViewerFlow; decision: DeliveryAction } {
  const lagMs = input.oldestUnackedSentMs === null ? 0 : Math.max(0, input.nowMs - input.oldestUnackedSentMs);
  const overBuffer = input.bufferedBytes > policy.maxBufferedBytes;
  const behind = overBuffer || lagMs > policy.maxLagMs;
  if (behind) {
    const since = flow.behindSinceMs ?? input.nowMs;
    if (input.nowMs - since >= policy.dropAfterMs) {
      return { next: { needKeyframe: true, behindSinceMs: since }, decision: { action: 'drop', reason: overBuffer ? 'buffer_full' : 'lagging' } };
    }
    return { next: { needKeyframe: true, behindSinceMs: since }, decision: { action: 'skip', newlyBehind: flow.behindSinceMs === null } };
  }
  if (flow.needKeyframe && !input.keyframe) return { next: { needKeyframe: true, behindSinceMs: null }, decision: { action: 'skip', newlyBehind: false } };
  return { next: { needKeyframe: false, behindSinceMs: null }, decision: { action: 'send' } };
}
