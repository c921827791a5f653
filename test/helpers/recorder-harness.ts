import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../../src/clock.ts';
import { validateConfig, type ResolvedConfig } from '../../src/config/load.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { checkAccounting, describeAccounting, type AccountingReport } from '../../src/accounting.ts';
import { createObjectStore, type ObjectStore } from '../../src/store/object-store.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import type { SimCameraSpec } from '../../recorder/sim/camera-spec.ts';
import type { MinioServer } from './minio.ts';

/**
 * A real recorder against simulated cameras: temp data dir, real SQLite, fs store or a real
 * MinIO, real ffmpeg. Cameras are declared as ONVIF cameras of the simulator. Log lines are
 * kept in memory for assertions.
 */
export interface RecorderHarness {
  sim: CameraSimulator;
  recorder: Recorder;
  db: Kysely<Database>;
  store: ObjectStore;
  config: ResolvedConfig;
  logLines: string[];
  dataDir: string;
  accounting(cameraId: string): Promise<{ report: AccountingReport; problems: string[]; segments: number; gaps: Array<{ reason: string; startMs: number; endMs: number }> }>;
  stop(): Promise<void>;
}

export async function startRecorderHarness(o: {
  cameras: SimCameraSpec[];
  minio?: MinioServer;
  bucket?: string;
  segmentMs?: number;
  spoolQuotaBytes?: number;
  quotaCheckMs?: number;
  sim?: CameraSimulator;
  /** The recorder's clock (chaos scenarios step it); the system clock by default. */
  clock?: Clock;
  /** Spool folder (e.g. a tiny tmpfs); under dataDir by default. */
  spoolDir?: string;
}): Promise<RecorderHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-rec-'));
  const sim = o.sim ?? (await CameraSimulator.start({ cameras: o.cameras, discoveryPort: null, media: { loopSeconds: 4 } }));
  const storage = o.minio
    ? { driver: 'minio', minio: { endPoint: o.minio.endPoint, port: o.minio.port, useSSL: false, accessKey: o.minio.accessKey, secretKey: o.minio.secretKey, bucket: o.bucket ?? `rec-${Math.random().toString(36).slice(2, 8)}` } }
    : { driver: 'fs' };
  const config = validateConfig(
    {
      dataDir,
      storage,
      recorder: { segmentMs: o.segmentMs ?? 4_000, stallTimeoutMs: 5_000, ...(o.spoolQuotaBytes ? { spoolQuotaBytes: o.spoolQuotaBytes } : {}), ...(o.spoolDir ? { spoolDir: o.spoolDir } : {}) },
      cameras: sim.cameras.map((c) => ({
        id: c.spec.id,
        name: c.spec.name,
        onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password },
      })),
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
  const log: Logger = createLogger({ destination: sink, level: 'debug' });
  const db = await openDatabase(config.database);
  const store = createObjectStore(config);
  await store.ping();
  const recorder = new Recorder({
    config, clock: o.clock ?? systemClock, log, registry: createMetricsRegistry({ defaultMetrics: false }), store, db,
    ...(o.quotaCheckMs ? { quotaCheckMs: o.quotaCheckMs } : {}),
  });
  await recorder.start();
  const segments = new SegmentsRepo(db, () => Date.now());
  const gaps = new GapsRepo(db, () => Date.now());
  return {
    sim, recorder, db, store, config, logLines, dataDir,
    async accounting(cameraId) {
      const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
      const segs = await segments.overlapping(cameraId, all);
      const gs = await gaps.overlapping(cameraId, all);
      const pieces = [
        ...segs.map((s) => ({ kind: 'segment' as const, startMs: s.startMs, endMs: s.startMs + s.durationMs, label: s.objectKey })),
        ...gs.map((g) => ({ kind: 'gap' as const, startMs: g.startMs, endMs: g.endMs, label: g.reason })),
      ];
      const startMs = Math.min(...pieces.map((p) => p.startMs));
      const endMs = Math.max(...pieces.map((p) => p.endMs));
      const report = checkAccounting({ startMs, endMs }, pieces);
      return { report, problems: describeAccounting(report), segments: segs.length, gaps: gs.map((g) => ({ reason: g.reason, startMs: g.startMs, endMs: g.endMs })) };
    },
    async stop() {
      await recorder.stop();
      await db.destroy();
      if (!o.sim) await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
