import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { checkReadiness } from '../../src/health/readiness.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { createObjectStore } from '../../src/store/object-store.ts';
import { createRetentionMetrics } from '../../src/retention/retention-metrics.ts';
import { createRecorderMetrics } from '../../recorder/recorder-metrics.ts';
import { startMetricsServer, type RunningMetricsServer } from '../../bin/metrics-server.ts';
import { startOpsServer } from '../../bin/ops-services.ts';

// /metrics, /healthz and /readyz of roles without the API, over real HTTP, against a real
// SQLite file, the fs store, MinIO on a closed port (unreachable) and the real ffmpeg.
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('metrics server and readiness', () => {
  let dir: string;
  let db: Kysely<Database>;
  let server: RunningMetricsServer;
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const TOKEN = 'metrics-token-0123456789abcdef';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-health-'));
    db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
    const recorder = createMetricsRegistry({ defaultLabels: { role: 'recorder' } });
    const m = createRecorderMetrics(recorder);
    m.setState('ward-x-counter-3', 'recording');
    const retention = createMetricsRegistry({ defaultMetrics: false, defaultLabels: { role: 'retention' } });
    createRetentionMetrics(retention).lastRunSuccess.set(1);
    const deps = { db, store: createObjectStore({ storage: { driver: 'fs', fsRoot: path.join(dir, 'objects') } }), ffmpegPath: 'ffmpeg', clock: systemClock };
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registries: [recorder, retention], readiness: () => checkReadiness(deps), log, bearerToken: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/metrics serves every registry with its role label, behind the bearer token', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('vigil_camera_up{camera="ward-x-counter-3",role="recorder"} 1');
    expect(text).toContain('vigil_retention_last_run_success{role="retention"} 1');
    expect(text).toMatch(/^process_cpu_seconds_total\{role="recorder"\} /m);
    expect(text.match(/^# TYPE vigil_camera_up /gm)?.length).toBe(1);
  });

  it('/healthz answers without a token; /readyz checks database, store and ffmpeg', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    const body = (await ready.json()) as { status: string; checks: Array<{ name: string; ok: boolean; detail: string }> };
    expect(ready.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([['database', true], ['object_store', true], ['ffmpeg', true]]);
    expect(body.checks.find((c) => c.name === 'ffmpeg')!.detail).toMatch(/^ffmpeg version \S+/);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('not ready: store unreachable and ffmpeg missing, named in plain words without credentials', async () => {
    const store = createObjectStore(
      { storage: { driver: 'minio', fsRoot: '', minio: { endPoint: '127.0.0.1', port: await closedPort(), useSSL: false, accessKey: 'vigil-access', secretKey: 'super-secret-key-123', bucket: 'vigil' } } },
      { requestTimeoutMs: 2_000 },
    );
    const report = await checkReadiness({ db, store, ffmpegPath: path.join(dir, 'no-ffmpeg-here'), clock: systemClock, timeoutMs: 3_000 });
    expect(report.ready).toBe(false);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName.database!.ok).toBe(true);
    expect(byName.object_store!.ok).toBe(false);
    expect(byName.ffmpeg!).toMatchObject({ ok: false, detail: expect.stringMatching(/is not installed or not on PATH/) });
    expect(JSON.stringify(report)).not.toContain('super-secret-key-123');
  });

  it('a port already taken is logged and does not stop the role', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const config = validateConfig({ metrics: { port } }, { env: {}, cwd: dir });
      const s = await startOpsServer(config, { registries: [createMetricsRegistry({ defaultMetrics: false })], readiness: { clock: systemClock }, log });
      expect(s).toBeNull();
      expect(lines.some((l) => l.includes('metrics server cannot listen: the port is already in use'))).toBe(true);
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
  });

  it('refuses two registries that both hold a metric name', async () => {
    const a = createMetricsRegistry({ defaultMetrics: true });
    const b = createMetricsRegistry({ defaultMetrics: true });
    await expect(startMetricsServer({ host: '127.0.0.1', port: 0, registries: [a, b], readiness: () => checkReadiness({ clock: systemClock }), log })).rejects.toThrow(/registered in two registries/);
  });
});
