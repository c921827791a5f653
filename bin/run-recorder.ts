import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';
import { systemClock } from '../src/clock.ts';
import { createMetricsRegistry } from '../src/metrics.ts';
import { openDatabase } from '../src/db/database.ts';
import { createObjectStore } from '../src/store/object-store.ts';
import { Recorder } from '../recorder/recorder.ts';
import { CameraSimulator } from '../recorder/sim/simulator.ts';

/**
 * Runs the recorder role until SIGINT/SIGTERM. With `simulate` > 0, that many simulated
 * cameras are started first and added to the configuration as ONVIF cameras, so a newcomer
 * sees recording without owning a camera.
 */
export async function runRecorderRole(o: { config: ResolvedConfig; log: Logger; simulate: number }): Promise<void> {
  let config = o.config;
  let sim: CameraSimulator | null = null;
  if (o.simulate > 0) {
    o.log.info({ cameras: o.simulate }, 'starting simulated cameras (first run prepares media loops with ffmpeg)');
    sim = await CameraSimulator.start({ cameras: o.simulate, discoveryPort: null, logger: o.log });
    const simulated = sim.cameras.map((c) => ({
      id: c.spec.id, name: c.spec.name, audio: 'auto' as const, enabled: true,
      onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password },
    }));
    config = { ...config, cameras: [...config.cameras.filter((c) => !simulated.some((s) => s.id === c.id)), ...simulated] };
  }
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
  await sim?.stop();
}
