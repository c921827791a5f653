import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../src/clock.ts';
import { validateConfig, type ResolvedConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { createObjectStore, type ObjectStore } from '../../src/store/object-store.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import type { SimCameraSpec } from '../../recorder/sim/camera-spec.ts';
import type { MinioServer } from '../helpers/minio.ts';

/**
 * The real recorder in this process, like test/helpers/recorder-harness.ts, with what chaos
 * scenarios change besides: the recorder's Clock (a stepped clock), its spool folder (a tiny
 * tmpfs) and its quota check period.
 */
export interface ChaosRecorder {
  sim: CameraSimulator;
  recorder: Recorder;
  db: Kysely<Database>;
  store: ObjectStore;
  config: ResolvedConfig;
  logLines: string[];
  dataDir: string;
  stop(): Promise<void>;
}

export async function startChaosRecorder(o: {
  cameras: SimCameraSpec[];
  minio?: MinioServer;
  clock?: Clock;
  segmentMs?: number;
  spoolDir?: string;
  quotaCheckMs?: number;
}): Promise<ChaosRecorder> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-chaos-'));
  const sim = await CameraSimulator.start({ cameras: o.cameras, discoveryPort: null, media: { loopSeconds: 4 } });
  const storage = o.minio
    ? { driver: 'minio', minio: { endPoint: o.minio.endPoint, port: o.minio.port, useSSL: false, accessKey: o.minio.accessKey, secretKey: o.minio.secretKey, bucket: `chaos-${Math.random().toString(36).slice(2, 8)}` } }
    : { driver: 'fs' };
  const config = validateConfig(
    {
      dataDir,
      storage,
      recorder: { segmentMs: o.segmentMs ?? 2_000, stallTimeoutMs: 5_000, ...(o.spoolDir ? { spoolDir: o.spoolDir } : {}) },
      cameras: sim.cameras.map((c) => ({ id: c.spec.id, onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password } })),
    },
    { env: {}, cwd: dataDir },
  );
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      logLines.push(...String(chunk).trim().split('\n'));
      cb();
    },
  });
  const db = await openDatabase(config.database);
  const store = createObjectStore(config);
  await store.ping();
  const recorder = new Recorder({
    config, clock: o.clock ?? systemClock, log: createLogger({ destination: sink, level: 'debug' }),
    registry: createMetricsRegistry({ defaultMetrics: false }), store, db,
    ...(o.quotaCheckMs ? { quotaCheckMs: o.quotaCheckMs } : {}),
  });
  await recorder.start();
  return {
    sim, recorder, db, store, config, logLines, dataDir,
    async stop() {
      await recorder.stop();
      await db.destroy();
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
