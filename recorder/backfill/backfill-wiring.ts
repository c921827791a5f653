import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import type { Database } from '../../src/db/schema.ts';
import type { ResolvedConfig } from '../../src/config/load.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import type { Spool } from '../spool.ts';
import type { EdgeFetcher } from './edge-fetch-types.ts';
import { BackfillUploader } from './backfill-uploader.ts';
import { createBackfillMetrics } from './backfill-metrics.ts';
import { BackfillRunner, type BackfillTarget } from './backfill-runner.ts';

/**
 * Builds the recorder's backfill runner from its parts (null when backfill.enabled is false or
 * no edge fetcher is given). `cameras` lists what the recorder records now: id, watchdog
 * state and lease epoch (lease mode).
 */
export function createRecorderBackfill(d: {
  config: ResolvedConfig;
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  registry: Registry;
  store: ObjectStore;
  spool: Spool;
  fetcher: EdgeFetcher | undefined;
  nodeId: string | null;
  cameras: () => Array<{ cameraId: string; state: string; epoch: number | null }>;
  /** The camera's clock offset measured now (see BackfillRunnerOptions.freshClockOffset). */
  freshClockOffset?: (cameraId: string) => Promise<number | null>;
  /** Why no new backfill job may start now, or null (see BackfillRunnerOptions.holdBack). */
  holdBack?: () => string | null;
}): BackfillRunner | null {
  if (!d.config.backfill.enabled || !d.fetcher) return null;
  const leases = d.nodeId !== null;
  const log = d.log.child({ part: 'backfill' });
  const targets = (): BackfillTarget[] =>
    d.cameras().map((c) => {
      const cam = d.config.cameras.find((x) => x.id === c.cameraId);
      return {
        cameraId: c.cameraId,
        fence: leases && c.epoch !== null ? { nodeId: d.nodeId!, epoch: c.epoch } : null,
        access: cam?.onvif ? { host: cam.onvif.host, port: cam.onvif.port, username: cam.onvif.username, password: cam.onvif.password } : null,
        recording: c.state === 'recording',
        audio: cam?.audio ?? 'auto',
      };
    });
  return new BackfillRunner({
    db: d.db, clock: d.clock, log, config: d.config.backfill, fetcher: d.fetcher,
    uploader: new BackfillUploader({ spool: d.spool, store: d.store, db: d.db, clock: d.clock, log, leases }),
    metrics: createBackfillMetrics(d.registry),
    spoolRoot: d.spool.root, segmentTargetMs: d.config.recorder.segmentMs, ffmpegPath: d.config.recorder.ffmpegPath, targets, leases,
    ...(d.freshClockOffset ? { freshClockOffset: d.freshClockOffset } : {}),
    ...(d.holdBack ? { holdBack: d.holdBack } : {}),
  });
}
