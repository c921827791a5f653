import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';
import { systemClock } from '../src/clock.ts';
import { createMetricsRegistry } from '../src/metrics.ts';
import { openDatabase } from '../src/db/database.ts';
import { createObjectStore } from '../src/store/object-store.ts';
import { Recorder } from '../recorder/recorder.ts';

/** Runs the recorder role until SIGINT/SIGTERM (simulated cameras: bin/simulated-cameras.ts). */
export async function runRecorderRole(o: { config: ResolvedConfig; log: Logger }): Promise<void> {
  const config = o.config;
  const store = createObjectStore(config);
  await store.ping();
  const db = await openDatabase(config.database);
  const registry = createMetricsRegistry({ defaultLabels: { role: 'recorder' } });
  const recorder = new Recorder({ config, clock: systemClock, log: o.log, registry, store, db });
  await recorder.start();
  o.log.info(
    { cameras: config.cameras.length, spool: config.recorder.spoolDir, storage: config.storage.driver === 'fs' ? config.storage.fsRoot : config.storage.minio?.endPoint, database: config.database.sqlitePath },
    'recorder running; segments appear under the storage folder every segment period (Ctrl-C to stop)',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  o.log.info('stopping: finalising segments and draining uploads');
  await recorder.stop({ afterGroupSignal: true });
  await db.destroy();
}
