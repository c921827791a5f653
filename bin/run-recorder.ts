import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';
import { systemClock } from '../src/clock.ts';
import { createMetricsRegistry } from '../src/metrics.ts';
import { openDatabase } from '../src/db/database.ts';
import { createObjectStore } from '../src/store/object-store.ts';
import { Recorder } from '../recorder/recorder.ts';
import { fetchEdgeFootage } from '../recorder/backfill/edge-fetch.ts';
import { startLiveEndpointFromConfig } from '../recorder/live/live-endpoint.ts';
import type { Registry } from 'prom-client';
import { hostname } from 'node:os';
import { defaultNodeId } from '../src/leases/node-id.ts';
import { advertisedLiveUrl } from './live-advertise.ts';
import { closeNotifier, createNotifier, startDailyReport, startOpsServer, watchRetentionMetrics } from './ops-services.ts';

/**
 * The recorder role (simulated cameras: bin/simulated-cameras.ts). With `retentionRegistry`
 * (the all-in-one `vigil`), retention's series are served beside the recorder's, its runs
 * become notices and the daily report is scheduled here. startRecorderRole() returns once it
 * records (the all-in-one process gives its live hub to the API); runRecorderRole() records
 * until SIGINT/SIGTERM.
 */
export interface RunningRecorder {
  recorder: Recorder;
  /** The node id on PostgreSQL (leases), null on SQLite. */
  nodeId: string | null;
  close(): Promise<void>;
}

export async function runRecorderRole(o: { config: ResolvedConfig; log: Logger; retentionRegistry?: Registry }): Promise<void> {
  const running = await startRecorderRole(o);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
}

export async function startRecorderRole(o: { config: ResolvedConfig; log: Logger; retentionRegistry?: Registry }): Promise<RunningRecorder> {
  const config = o.config;
  const store = createObjectStore(config);
  // A store that does not answer at start-up must not stop recording: footage waits in the
  // spool (up to its quota) and the uploader retries; the error says what to fix.
  await store.ping().catch((e: unknown) => {
    o.log.error({ err: (e as Error).message }, 'the object store does not answer; recording into the spool until it does (check storage settings and that the store is up)');
  });
  const db = await openDatabase(config.database);
  const registry = createMetricsRegistry({ defaultLabels: { role: 'recorder' } });
  const notifier = createNotifier(config, { clock: systemClock, log: o.log, registry });
  // On PostgreSQL many recorders may share the index: each records the cameras it holds a lease on.
  const leases = config.database.driver === 'postgres'
    ? { nodeId: config.recorder.nodeId ?? defaultNodeId(hostname(), config.dataDir), sites: config.recorder.sites ?? null, ttlMs: config.recorder.leaseTtlMs, renewMs: config.recorder.leaseRenewMs, liveUrl: advertisedLiveUrl(config, o.log) }
    : undefined;
  if (leases) o.log.info({ nodeId: leases.nodeId, leaseTtlMs: leases.ttlMs }, 'recorder node: recording the cameras it holds a lease on (PostgreSQL)');
  const recorder = new Recorder({ config, clock: systemClock, log: o.log, registry, store, db, fetchEdgeFootage, ...(notifier ? { notify: notifier.handle } : {}), ...(leases ? { leases } : {}) });
  await recorder.start();
  const retentionRegistry = o.retentionRegistry;
  const stopWatch = retentionRegistry && notifier
    ? watchRetentionMetrics({ registry: retentionRegistry, clock: systemClock, warnAtFraction: config.retention.warnAtFraction, onRun: notifier.handle })
    : null;
  const daily = retentionRegistry ? startDailyReport(config, { db, notifier, clock: systemClock, log: o.log }) : null;
  const server = await startOpsServer(config, {
    registries: [registry, ...(retentionRegistry ? [retentionRegistry] : [])],
    readiness: { db, store, ffmpegPath: config.recorder.ffmpegPath, clock: systemClock },
    log: o.log,
  });
  o.log.info(
    { cameras: config.cameras.length, spool: config.recorder.spoolDir, storage: config.storage.driver === 'fs' ? config.storage.fsRoot : config.storage.minio?.endPoint, database: config.database.sqlitePath },
    'recorder running; segments appear under the storage folder every segment period (Ctrl-C to stop)',
  );
  // Live view from another process (a separate `vigil api`) through the recorder's endpoint.
  const liveEndpoint = await startLiveEndpointFromConfig(config.live, recorder.live, o.log);
  return {
    recorder,
    nodeId: leases?.nodeId ?? null,
    async close() {
      o.log.info('stopping: finalising segments and draining uploads');
      await liveEndpoint?.close();
      await server?.close();
      await daily?.stop();
      stopWatch?.();
      await recorder.stop({ afterGroupSignal: true });
      // Up to 2 s for the last notices (a camera stopping is not one); then undelivered ones are logged.
      await closeNotifier(notifier);
      await db.destroy();
    },
  };
}
