import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Registry } from 'prom-client';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createObjectStore } from '../../src/store/object-store.ts';
import type { AuditEntryInput, AuditSink } from '../../src/audit/audit-types.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { CameraSimulator, type SimCamera } from '../../recorder/sim/simulator.ts';
import type { SimCameraSpec } from '../../recorder/sim/camera-spec.ts';
import { LiveWsHandler } from '../../api/live/live-ws-handler.ts';
import { SnapshotHandler } from '../../api/live/snapshot-handler.ts';
import { createApiLiveMetrics } from '../../api/live/live-metrics.ts';
import type { LiveSource } from '../../api/live/live-source.ts';

/**
 * For the live suites: a real recorder (real ffmpeg, SQLite, fs store) on simulated cameras,
 * with live settings of the test's choosing, and an HTTP server with the API's live handlers
 * attached (authenticate: a `x-test-user` header; mayWatch: a set of allowed cameras).
 */
export interface LiveRig {
  sim: CameraSimulator;
  recorder: Recorder;
  registry: Registry;
  log: Logger;
  logLines: string[];
  stop(): Promise<void>;
}

export async function startLiveRecorder(o: {
  cameras: SimCameraSpec[];
  live?: Record<string, unknown>;
  sim?: CameraSimulator;
  /** How a simulated camera is configured (default: as an ONVIF camera). */
  cameraConfig?: (c: SimCamera) => Record<string, unknown>;
  logLevel?: 'debug' | 'info' | 'warn';
}): Promise<LiveRig> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-live-rec-'));
  const sim = o.sim ?? (await CameraSimulator.start({ cameras: o.cameras, discoveryPort: null, media: { loopSeconds: 4 } }));
  const config = validateConfig(
    {
      dataDir,
      recorder: { segmentMs: 4_000, stallTimeoutMs: 5_000 },
      live: o.live ?? {},
      cameras: sim.cameras.map((c) => o.cameraConfig?.(c) ?? { id: c.spec.id, name: c.spec.name, onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password } }),
    },
    { env: {}, cwd: dataDir },
  );
  const logLines: string[] = [];
  const log = createLogger({ destination: new Writable({ write(chunk, _e, cb) { logLines.push(...String(chunk).trim().split('\n')); cb(); } }), level: o.logLevel ?? 'debug' });
  const db = await openDatabase(config.database);
  const store = createObjectStore(config);
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const recorder = new Recorder({ config, clock: systemClock, log, registry, store, db });
  await recorder.start();
  return {
    sim, recorder, registry, log, logLines,
    async stop() {
      await recorder.stop();
      await db.destroy();
      if (!o.sim) await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestPrincipal {
  userId: string;
  username: string;
}

export interface LiveApiServer {
  server: Server;
  port: number;
  audit: AuditEntryInput[];
  registry: Registry;
  ws: LiveWsHandler<TestPrincipal>;
  snapshots: SnapshotHandler<TestPrincipal>;
  /** Cameras the test user may watch. */
  allowed: Set<string>;
  close(): Promise<void>;
}

/** node:http server with the api/live handlers; `extra` answers other requests (a test page). */
export async function startLiveApi(o: {
  source: LiveSource;
  log: Logger;
  allowed: string[];
  registry?: Registry;
  extra?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => boolean;
}): Promise<LiveApiServer> {
  const audit: AuditEntryInput[] = [];
  const sink: AuditSink = { append: async (e) => void audit.push(e) };
  const allowed = new Set(o.allowed);
  const registry = o.registry ?? createMetricsRegistry({ defaultMetrics: false });
  const metrics = createApiLiveMetrics(registry);
  const authenticate = (req: import('node:http').IncomingMessage): TestPrincipal | null => {
    const u = req.headers['x-test-user'] ?? new URL(req.url ?? '/', 'http://x').searchParams.get('user');
    return typeof u === 'string' && u ? { userId: `u-${u}`, username: u } : null;
  };
  const common = { source: o.source, authenticate, mayWatch: (_p: TestPrincipal, id: string) => allowed.has(id), actorOf: (p: TestPrincipal) => p, audit: sink, clock: systemClock, log: o.log, metrics };
  const ws = new LiveWsHandler<TestPrincipal>(common);
  const snapshots = new SnapshotHandler<TestPrincipal>(common);
  const server = createServer((req, res) => {
    void snapshots.handle(req, res).then((done) => {
      if (done) return;
      if (o.extra?.(req, res)) return;
      res.writeHead(404).end();
    });
  });
  ws.attach(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    server, port, audit, registry, ws, snapshots, allowed,
    async close() {
      await ws.close();
      await snapshots.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The sum of a metric's series matching the labels (0 when absent); `x_count` / `x_sum` of a histogram x. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum)$/, '');
  const m = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (!m) return 0;
  const data = await m.get();
  return data.values
    .filter((v) => (v as { metricName?: string }).metricName === undefined || (v as { metricName?: string }).metricName === name)
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((n, v) => n + v.value, 0);
}
