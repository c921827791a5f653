import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import type { LeasesRepo } from '../../src/db/leases-repo.ts';
import type { Fence } from '../../src/db/fenced-writes.ts';
import { actionsFor, planLeases, type CameraRow } from '../../src/leases/lease-plan.ts';
import type { RecorderMetrics } from '../recorder-metrics.ts';

/**
 * One recorder node's side of the camera leases (src/leases/lease-plan.ts decides, the lease
 * table settles races): every renewMs it heartbeats, renews its leases in one statement, plans
 * and takes or hands over cameras. The recorder is told through onGained/onLost and starts or
 * stops that camera's CameraRecorder.
 *
 * A lease is dropped locally, and the camera stopped at once, when the renewal shows it moved
 * on, or when its local deadline passes without a successful renewal (database unreachable,
 * process paused): sentAt + ttl − margin, before any other node may take it. Index writes are
 * fenced by epoch besides (src/db/fenced-writes.ts), so a late write is refused anyway.
 */
export type LossReason = 'moved' | 'expired' | 'released' | 'stopping';

export interface LeaseKeeperOptions {
  nodeId: string;
  sites: string[] | null;
  ttlMs: number;
  renewMs: number;
  cameras: CameraRow[];
  /** This node's live endpoint as API nodes reach it (live.advertiseUrl), published with each heartbeat. */
  liveUrl?: string | null;
  repo: LeasesRepo;
  clock: Clock;
  log: Logger;
  metrics?: RecorderMetrics;
  /** Start recording the camera under this fence. */
  onGained(cameraId: string, fence: Fence): Promise<void>;
  /** Stop recording the camera (finalise and, for a hand-over, upload what is in the spool). */
  onLost(cameraId: string, fence: Fence, reason: LossReason): Promise<void>;
}

interface Held {
  fence: Fence;
  deadlineMs: number;
  releasing: boolean;
}

export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  /** Per camera, start and stop run one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  private cancelTick: (() => void) | null = null;
  private cancelDeadline: (() => void) | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly startedMs: number;
  private readonly marginMs: number;
  private readonly log: Logger;

  constructor(private readonly o: LeaseKeeperOptions) {
    this.startedMs = o.clock.nowMs();
    this.marginMs = Math.min(2_000, Math.floor(o.ttlMs / 5));
    this.log = o.log.child({ nodeId: o.nodeId });
  }

  /** Cameras held now, with their epochs. */
  heldLeases(): Array<{ cameraId: string; epoch: number }> {
    return [...this.held.entries()].map(([cameraId, h]) => ({ cameraId, epoch: h.fence.epoch }));
  }

  /** First round at once; resolves when it is done (cameras it took are starting). */
  async start(): Promise<void> {
    this.ticking = this.tick();
    await this.ticking;
  }

  /** Stops renewing, stops every camera, then releases the leases so others take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.cancelDeadline?.();
    await this.ticking;
    const held = [...this.held.entries()];
    this.held.clear();
    this.o.metrics?.leasesHeld.set(0);
    await Promise.all(held.map(([cameraId, h]) => this.chain(cameraId, () => this.o.onLost(cameraId, h.fence, 'stopping'))));
    await Promise.all(held.map(([cameraId, h]) => this.o.repo.release(cameraId, this.o.nodeId, h.fence.epoch).catch(() => false)));
    await this.o.repo.leave(this.o.nodeId).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    const sentAt = this.o.clock.nowMs();
    this.dropOverdue(sentAt);
    try {
      await this.o.repo.heartbeat({ nodeId: this.o.nodeId, sites: this.o.sites, nowMs: sentAt, ttlMs: this.o.ttlMs, startedMs: this.startedMs, liveUrl: this.o.liveUrl ?? null });
      const renewed = new Map((await this.o.repo.renew(this.o.nodeId, sentAt, this.o.ttlMs)).map((r) => [r.cameraId, r.epoch]));
      for (const [cameraId, h] of [...this.held.entries()]) {
        if (renewed.get(cameraId) === h.fence.epoch) h.deadlineMs = sentAt + this.o.ttlMs - this.marginMs;
        else this.lose(cameraId, 'moved');
      }
      if (!this.stopped) await this.plan();
    } catch (e) {
      this.o.metrics?.leaseRenewFailures.inc();
      this.log.error({ err: (e as Error).message }, 'camera lease renewal failed; cameras stop when their lease runs out (check the PostgreSQL database)');
    } finally {
      this.dropOverdue(this.o.clock.nowMs());
      this.schedule(sentAt);
    }
  }

  private async plan(): Promise<void> {
    const nowMs = this.o.clock.nowMs();
    const [nodes, leases] = await Promise.all([this.o.repo.nodes(), this.o.repo.leases()]);
    const plan = planLeases(nodes, leases, this.o.cameras, nowMs);
    for (const a of actionsFor(plan, this.o.nodeId)) {
      if (this.stopped) return;
      const mine = this.held.get(a.cameraId);
      if (a.type === 'release') {
        if (mine && !mine.releasing) this.handOver(a.cameraId, mine, a.toNodeId);
        continue;
      }
      // 'take', or 'keep' of a lease this process does not know (its previous run's): take anew.
      if (mine) continue;
      const at = this.o.clock.nowMs();
      const got = await this.o.repo.take(a.cameraId, this.o.nodeId, at, this.o.ttlMs);
      if (!got) continue; // another node was quicker
      const fence: Fence = { nodeId: this.o.nodeId, epoch: got.epoch };
      this.held.set(a.cameraId, { fence, deadlineMs: at + this.o.ttlMs - this.marginMs, releasing: false });
      this.o.metrics?.leasesHeld.set(this.held.size);
      if (got.previousNodeId !== null && got.previousNodeId !== this.o.nodeId) this.o.metrics?.leaseTakeovers.inc();
      this.log.info({ cameraId: a.cameraId, epoch: got.epoch, from: got.previousNodeId }, 'camera lease taken; recording the camera here');
      void this.chain(a.cameraId, () => this.o.onGained(a.cameraId, fence));
    }
  }

  /** Rebalancing: stop the camera (its last segments uploaded), then release the lease. */
  private handOver(cameraId: string, h: Held, toNodeId: string): void {
    h.releasing = true;
    this.log.info({ cameraId, epoch: h.fence.epoch, to: toNodeId }, 'handing the camera over to balance the nodes');
    void this.chain(cameraId, async () => {
      await this.o.onLost(cameraId, h.fence, 'released');
      if (this.held.get(cameraId) !== h) return; // lost meanwhile
      this.held.delete(cameraId);
      this.o.metrics?.leasesHeld.set(this.held.size);
      this.o.metrics?.leasesLost.inc({ reason: 'released' });
      await this.o.repo.release(cameraId, this.o.nodeId, h.fence.epoch).catch((e: unknown) => this.log.warn({ cameraId, err: (e as Error).message }, 'lease release failed; it expires by itself'));
    });
  }

  private lose(cameraId: string, reason: 'moved' | 'expired'): void {
    const h = this.held.get(cameraId);
    if (!h) return;
    this.held.delete(cameraId);
    this.o.metrics?.leasesHeld.set(this.held.size);
    this.o.metrics?.leasesLost.inc({ reason });
    this.log.warn({ cameraId, epoch: h.fence.epoch, reason }, reason === 'moved'
      ? 'camera lease lost: another node records this camera now; stopped recording it here'
      : 'camera lease ran out without renewal; stopped recording it here (another node may take it)');
    void this.chain(cameraId, () => this.o.onLost(cameraId, h.fence, reason));
  }

  private dropOverdue(nowMs: number): void {
    for (const [cameraId, h] of [...this.held.entries()]) if (h.deadlineMs <= nowMs) this.lose(cameraId, 'expired');
  }

  private schedule(sentAt: number): void {
    if (this.stopped) return;
    const delay = Math.max(0, sentAt + this.o.renewMs - this.o.clock.nowMs());
    this.cancelTick = this.o.clock.setTimer(delay, () => {
      this.ticking = this.tick();
    });
    // A renewal that hangs must not keep a camera past its lease.
    this.cancelDeadline?.();
    const deadlines = [...this.held.values()].map((h) => h.deadlineMs);
    if (deadlines.length) {
      this.cancelDeadline = this.o.clock.setTimer(Math.max(0, Math.min(...deadlines) - this.o.clock.nowMs()), () => this.dropOverdue(this.o.clock.nowMs()));
    }
  }

  private chain(cameraId: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(cameraId) ?? Promise.resolve())
      .then(fn)
      .catch((e: unknown) => this.log.error({ cameraId, err: (e as Error).message }, 'starting or stopping the camera failed'));
    this.chains.set(cameraId, next);
    return next;
  }
}
