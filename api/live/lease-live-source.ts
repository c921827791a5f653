import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { resolveLiveRoute, sameHolder, type LiveHolderRow, type LiveRoute } from '../../src/leases/live-route.ts';
import { LIVE_CLOSE_CODES, type LiveSink, type LiveSnapshotResult, type LiveSource, type LiveWatch } from './live-source.ts';

/**
 * Live view with many recorder nodes (PostgreSQL leases): each viewer goes to the node that
 * holds the camera's lease now, found through its heartbeat's live URL
 * (src/leases/live-route.ts decides; `lookup` reads camera_leases + recorder_nodes). Routes
 * are cached for cacheMs (bounded to maxCached cameras) so a wall of snapshots does not query
 * the index per picture.
 *
 * Following the lease: every followMs the routes of the cameras being watched are read again
 * (one query); a viewer whose camera moved to another node, or is held by nobody, is ended
 * with close code 4503 and a reason in plain words. The browser's player shows "ended" with its
 * retry button, and the new view goes to the new holder. A node that dies ends its viewers
 * sooner (4502, its connection breaks); one that is paused or cut off is caught here.
 * A failed lookup keeps viewers as they are (the index may be back at the next round).
 */
export interface LeaseLiveSourceOptions {
  /** Lease holder and live URL per camera (LeasesRepo.liveHolders); cameras without a row are absent. */
  lookup(cameraIds: string[]): Promise<Map<string, LiveHolderRow>>;
  /** This process's own recorder hub and node id (the all-in-one `vigil`), if any. */
  local: { nodeId: string; source: LiveSource } | null;
  /** A source for a remote node's live endpoint; null when this API has no live.secret. */
  remote: ((url: string) => LiveSource) | null;
  clock: Clock;
  log: Logger;
  cacheMs?: number;
  maxCached?: number;
  followMs?: number;
}

interface Viewer {
  cameraId: string;
  route: LiveRoute | null;
  inner: LiveWatch | null;
  pendingAck: number | null;
  stopped: boolean;
  /** Ends the viewer towards the browser (once). */
  end(code: number, reason: string): void;
}

export class LeaseLiveSource implements LiveSource {
  private readonly cache = new Map<string, { atMs: number; route: Promise<LiveRoute> }>();
  private readonly viewers = new Set<Viewer>();
  private readonly told = new Set<string>();
  private cancelFollow: (() => void) | null = null;
  private closed = false;

  constructor(private readonly o: LeaseLiveSourceOptions) {
    this.scheduleFollow();
  }

  watch(cameraId: string, sink: LiveSink): LiveWatch {
    let ended = false;
    const v: Viewer = {
      cameraId, route: null, inner: null, pendingAck: null, stopped: false,
      end: (code, reason) => {
        if (ended) return;
        ended = true;
        this.viewers.delete(v);
        if (!v.stopped) sink.close(code, reason);
      },
    };
    this.viewers.add(v);
    const relay: LiveSink = {
      sendMedia: (b) => sink.sendMedia(b),
      sendControl: (m) => sink.sendControl(m),
      bufferedBytes: () => sink.bufferedBytes(),
      close: (code, reason) => v.end(code, reason),
    };
    this.route(cameraId).then(
      (route) => {
        if (v.stopped || ended) return;
        const source = this.sourceFor(route);
        if (route.kind === 'none' || !source) return v.end(LIVE_CLOSE_CODES.recorderUnreachable, route.kind === 'none' ? route.reason : 'live view is not available here');
        v.route = route;
        v.inner = source.watch(cameraId, relay);
        if (v.pendingAck !== null) v.inner.ack(v.pendingAck);
      },
      (e: unknown) => {
        this.o.log.error({ cameraId, err: (e as Error).message }, 'live view: the index database did not say which recorder holds the camera');
        v.end(LIVE_CLOSE_CODES.recorderUnreachable, 'Vigil could not find the recorder of this camera (index database unreachable)');
      },
    );
    return {
      ack: (count) => {
        if (v.inner) v.inner.ack(count);
        else if (v.route === null) v.pendingAck = count;
      },
      stop: () => {
        if (v.stopped) return;
        v.stopped = true;
        this.viewers.delete(v);
        stopInner(v);
      },
    };
  }

  async snapshot(cameraId: string, opts: { widthPx: number }): Promise<LiveSnapshotResult> {
    const route = await this.route(cameraId).catch((e: unknown) => {
      throw new VigilError('camera_unreachable', `Vigil could not find the recorder of camera ${cameraId} (${(e as Error).message})`, { hint: 'Check the index database (PostgreSQL).', cameraId });
    });
    const source = this.sourceFor(route);
    if (route.kind === 'none' || !source) {
      throw new VigilError('camera_unreachable', route.kind === 'none' ? route.reason : 'live view is not available here', {
        hint: 'Check that a recorder node records this camera and that live.advertiseUrl and live.secret are set on every node.',
        cameraId,
      });
    }
    return source.snapshot(cameraId, opts);
  }

  /** Stops following; viewers still open stay with their node until they end. */
  close(): void {
    this.closed = true;
    this.cancelFollow?.();
  }

  private sourceFor(route: LiveRoute): LiveSource | null {
    if (route.kind === 'none') {
      if (route.misconfigured && !this.told.has(route.reason)) {
        if (this.told.size > 1_000) this.told.clear();
        this.told.add(route.reason);
        this.o.log.error({ nodeId: route.nodeId }, `live view: ${route.reason}`);
      }
      return null;
    }
    if (route.kind === 'local') return this.o.local?.source ?? null;
    return this.o.remote?.(route.url) ?? null;
  }

  private route(cameraId: string): Promise<LiveRoute> {
    const now = this.o.clock.nowMs();
    const hit = this.cache.get(cameraId);
    if (hit && now - hit.atMs < (this.o.cacheMs ?? 1_000)) return hit.route;
    const route = this.o.lookup([cameraId]).then((rows) => this.resolve(cameraId, rows.get(cameraId) ?? null));
    this.remember(cameraId, now, route);
    return route;
  }

  private resolve(cameraId: string, row: LiveHolderRow | null): LiveRoute {
    return resolveLiveRoute(cameraId, row, { nowMs: this.o.clock.nowMs(), selfNodeId: this.o.local?.nodeId ?? null, canReachRemote: this.o.remote !== null });
  }

  private remember(cameraId: string, atMs: number, route: Promise<LiveRoute>): void {
    this.cache.delete(cameraId);
    this.cache.set(cameraId, { atMs, route });
    route.catch(() => {
      if (this.cache.get(cameraId)?.route === route) this.cache.delete(cameraId);
    });
    const max = this.o.maxCached ?? 10_000;
    while (this.cache.size > max) this.cache.delete(this.cache.keys().next().value!);
  }

  private scheduleFollow(): void {
    if (this.closed) return;
    this.cancelFollow = this.o.clock.setTimer(this.o.followMs ?? 2_000, () => {
      void this.follow().finally(() => this.scheduleFollow());
    });
  }

  /** One round: the watched cameras' routes read again; viewers whose holder changed are ended. */
  private async follow(): Promise<void> {
    const watched = [...new Set([...this.viewers].filter((v) => v.route !== null).map((v) => v.cameraId))];
    if (watched.length === 0) return;
    let rows: Map<string, LiveHolderRow>;
    try {
      rows = await this.o.lookup(watched);
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'live view: could not check which recorders hold the watched cameras; viewers stay where they are');
      return;
    }
    const at = this.o.clock.nowMs();
    for (const cameraId of watched) {
      const now = this.resolve(cameraId, rows.get(cameraId) ?? null);
      this.remember(cameraId, at, Promise.resolve(now));
      for (const v of [...this.viewers]) {
        if (v.cameraId !== cameraId || v.route === null || sameHolder(v.route, now)) continue;
        const reason = now.kind === 'none' ? now.reason : `camera ${cameraId} moved to recorder node ${now.nodeId}; connect again to watch it there`;
        this.o.log.info({ cameraId, from: v.route.nodeId, to: now.nodeId }, 'live view: the camera changed recorder; ending the viewer so it reconnects');
        stopInner(v);
        v.end(LIVE_CLOSE_CODES.recorderChanged, reason);
      }
    }
  }
}

function stopInner(v: Viewer): void {
  const inner = v.inner;
  v.inner = null;
  inner?.stop();
}
