import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';
import { systemClock } from '../src/clock.ts';
import { createMetricsRegistry } from '../src/metrics.ts';
import { openDatabase } from '../src/db/database.ts';
import { createObjectStore } from '../src/store/object-store.ts';
import { Recorder } from '../recorder/recorder.ts';
import type { Registry } from 'prom-client';
import { closeNotifier, createNotifier, startDailyReport, startOpsServer, watchRetentionMetrics } from './ops-services.ts';

/** Runs the recorder role until SIGINT/SIGTERM (simulated cameras: bin/simulated-cameras.ts). */
/**
 * With `retentionRegistry` (the all-in-one `vigil`), retention's series are served beside the
 * recorder's, its runs become notices and the daily report is scheduled here.
 */
export async function runRecorderRole(o: { config: ResolvedConfig; log: Logger; retentionRegistry?: Registry }): Promise<void> {
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
  const recorder = new Recorder({ config, clock: systemClock, log: o.log, registry, store, db, ...(notifier ? { notify: notifier.handle } : {}) });
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
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  o.log.info('stopping: finalising segments and draining uploads');
  await server?.close();
  await daily?.stop();
  stopWatch?.();
  await recorder.stop({ afterGroupSignal: true });
  // Up to 2 s for the last notices (a camera stopping is not one); then undelivered ones are logged.
  await closeNotifier(notifier);
  await db.destroy();
}
