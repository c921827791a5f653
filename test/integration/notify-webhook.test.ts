import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import type { Notifier } from '../../src/notify/notifier.ts';
import { createObjectStore } from '../../src/store/object-store.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { createNotifier } from '../../bin/ops-services.ts';
import { waitFor } from '../helpers/wait.ts';

// A camera outage on the real recorder (real ffmpeg, simulator camera refusing connections
// for 6 s) reaches a local webhook receiver as "down" then "up" for that camera, signed, in
// Vietnamese; the receiver fails its first answers and the messages are retried and arrive.
const SECRET = 'office-webhook-secret-0123456789';
const TOKEN = 'zalo-bridge-token-Zx81';

interface Hit {
  path: string;
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  atMs: number;
}

describe('webhook notifications of a camera outage', () => {
  let sim: CameraSimulator;
  let recorder: Recorder;
  let notifier: Notifier;
  let db: Kysely<Database>;
  let receiver: Server;
  let dataDir: string;
  let objectsDir: string;
  let registry: Registry;
  const hits: Hit[] = [];
  const logLines: string[] = [];
  let failFirst = 2;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = failFirst-- > 0 ? 500 : 204;
        hits.push({ path: req.url ?? '', status, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, atMs: Date.now() });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const hookUrl = `${base}/bridge/${TOKEN}?token=${TOKEN}`;

    sim = await CameraSimulator.start({
      cameras: [defaultSpec(0, { id: 'ward-x-counter-3', video: 'h264', audio: 'none' }), defaultSpec(1, { id: 'ward-y-counter-1', video: 'h264', audio: 'none' })],
      discoveryPort: null,
      media: { loopSeconds: 4 },
    });
    dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-notify-'));
    const config = validateConfig(
      {
        dataDir,
        recorder: { segmentMs: 4_000, stallTimeoutMs: 5_000 },
        sites: [{ id: 'district-1', name: 'Quận 1' }, { id: 'ward-x', name: 'Phường X', parent: 'district-1' }, { id: 'ward-y', name: 'Phường Y' }],
        cameras: sim.cameras.map((c, i) => ({
          id: c.spec.id,
          name: i === 0 ? 'Quầy số 3' : 'Quầy số 1',
          site: i === 0 ? 'ward-x' : 'ward-y',
          onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password },
        })),
        notify: {
          cameraDownAfterMs: 1_500,
          storeDownAfterMs: 1_500,
          webhooks: [
            // The district's chat group: every camera of its wards, and nothing of ward-y.
            { id: 'zalo-district-1', url: hookUrl, secret: SECRET, sites: ['district-1'] },
            // The operations team: the whole install's storage problems.
            { id: 'ops', url: `${base}/ops`, secret: SECRET, events: ['store_unreachable', 'store_recovered', 'spool_full'] },
          ],
        },
      },
      { env: {}, cwd: dataDir },
    );
    const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (logLines.push(...String(c).trim().split('\n')), cb()) }) });
    registry = createMetricsRegistry({ defaultMetrics: false });
    objectsDir = config.storage.fsRoot;
    db = await openDatabase(config.database);
    notifier = createNotifier(config, { clock: systemClock, log, registry, retryBaseMs: 300 })!;
    recorder = new Recorder({ config, clock: systemClock, log, registry, store: createObjectStore(config), db, notify: notifier.handle });
    await recorder.start();
    await waitFor('both cameras recording', () => recorder.cameraStates().every((c) => c.state === 'recording') || undefined, { timeoutMs: 30_000, intervalMs: 100 });
  }, 90_000);

  afterAll(async () => {
    await recorder?.stop();
    notifier?.close();
    await db?.destroy();
    await sim?.stop();
    await new Promise<void>((r) => receiver?.close(() => r()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells the outage as down then up, for the right camera, signed, retried through receiver failures', async () => {
    expect(hits).toEqual([]); // starting up is not news
    const cam = sim.camera('ward-x-counter-3');
    const faultAt = Date.now();
    cam.faults.set({ refuse: true }, 6_000);
    cam.faults.dropSessions();

    const delivered = (kind: string) => hits.filter((h) => h.status === 204 && JSON.parse(h.body).kind === kind);
    await waitFor('camera_up delivered', () => delivered('camera_up').length === 1 || undefined, { timeoutMs: 45_000, intervalMs: 100 });
    await notifier.idle();

    // The receiver answered 500 twice: the down message was sent three times, the same each time.
    const downAttempts = hits.filter((h) => JSON.parse(h.body).kind === 'camera_down');
    expect(downAttempts.map((h) => h.status)).toEqual([500, 500, 204]);
    expect(new Set(downAttempts.map((h) => h.body)).size).toBe(1);
    expect(new Set(downAttempts.map((h) => h.headers['x-vigil-delivery'])).size).toBe(1);
    expect(downAttempts[2]!.atMs - downAttempts[0]!.atMs).toBeGreaterThanOrEqual(300); // backed off (0.15–0.3 s, then 0.3–0.6 s)

    // Accepted messages, in order: down, then up; nothing about the other camera.
    const accepted = hits.filter((h) => h.status === 204).map((h) => JSON.parse(h.body) as { id: string; kind: string; camera: { id: string; name: string; site: string; siteName: string }; text: string; data: { sinceMs: number; downSinceMs: number; upAtMs: number }; language: string; at: string });
    expect(accepted.map((m) => `${m.kind}:${m.camera.id}`)).toEqual(['camera_down:ward-x-counter-3', 'camera_up:ward-x-counter-3']);
    const [down, up] = accepted as [(typeof accepted)[0], (typeof accepted)[0]];
    expect(down.camera).toEqual({ id: 'ward-x-counter-3', name: 'Quầy số 3', site: 'ward-x', siteName: 'Phường X' });
    expect(down.language).toBe('vi');
    expect(down.text).toMatch(/^🔴 \[Vigil\] Camera Quầy số 3 \(Phường X\) mất kết nối từ \d{2}:\d{2}:\d{2} \d{2}\/\d{2}\/\d{4}/);
    expect(up.text).toMatch(/^🟢 \[Vigil\] Camera Quầy số 3 \(Phường X\) đã ghi hình trở lại lúc .*, sau \d+ giây mất kết nối/);
    expect(down.at).toMatch(/\+07:00$/);
    // Down since the fault (the session was cut at once), announced after cameraDownAfterMs.
    expect(down.data.sinceMs).toBeGreaterThanOrEqual(faultAt - 1_000);
    expect(down.data.sinceMs).toBeLessThan(faultAt + 3_000);
    expect(up.data.upAtMs - up.data.downSinceMs).toBeGreaterThanOrEqual(5_000);
    expect(up.data.downSinceMs).toBe(down.data.sinceMs);

    // Every attempt is signed over "<timestamp>.<body>" with the webhook secret (checked here
    // with node:crypto directly) and stamped near the time it was sent.
    for (const h of hits) {
      const ts = String(h.headers['x-vigil-timestamp']);
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${h.body}`).digest('hex')}`);
      const given = Buffer.from(String(h.headers['x-vigil-signature']));
      expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);
      expect(Math.abs(Number(ts) * 1000 - h.atMs)).toBeLessThan(2_000);
      expect(h.headers['x-vigil-event']).toBe(JSON.parse(h.body).kind);
    }

    // The URL's token never reached a log line; the retries were logged by webhook id.
    expect(logLines.some((l) => l.includes('webhook delivery failed; will retry') && l.includes('"webhook":"zalo-district-1"') && l.includes('"status":500'))).toBe(true);
    expect(logLines.filter((l) => l.includes(TOKEN))).toEqual([]);
  }, 90_000);

  it('tells the operations webhook when the object store stops taking segments, and when it is back', async () => {
    // The fs store's root replaced by a plain file: every put fails (even for root).
    renameSync(objectsDir, `${objectsDir}.away`);
    writeFileSync(objectsDir, 'not a folder');
    const opsHits = () => hits.filter((h) => h.path === '/ops' && h.status === 204).map((h) => JSON.parse(h.body) as { kind: string; text: string; data: { failures: number } });
    try {
      await waitFor('store_unreachable delivered', () => opsHits().some((m) => m.kind === 'store_unreachable') || undefined, { timeoutMs: 30_000, intervalMs: 100 });
      expect(await registry.metrics()).toMatch(/^vigil_upload_consecutive_failures [1-9]\d*$/m);
    } finally {
      rmSync(objectsDir);
      renameSync(`${objectsDir}.away`, objectsDir);
      mkdirSync(objectsDir, { recursive: true });
    }
    await waitFor('store_recovered delivered', () => opsHits().some((m) => m.kind === 'store_recovered') || undefined, { timeoutMs: 30_000, intervalMs: 100 });
    const [down, back] = opsHits();
    expect(down!.text).toMatch(/^🔴 \[Vigil\] Không lưu được video vào kho lưu trữ từ .* \(\d+ lần thử lỗi\)\. Video đang được giữ tạm trên máy ghi hình\./);
    expect(down!.data.failures).toBeGreaterThanOrEqual(2);
    expect(back!.text).toMatch(/^🟢 \[Vigil\] Kho lưu trữ hoạt động trở lại lúc /);
    expect(await registry.metrics()).toMatch(/^vigil_upload_consecutive_failures 0$/m);
    // Install-wide notices never reach the site-scoped chat group.
    expect(hits.filter((h) => h.path !== '/ops' && /store_/.test(JSON.parse(h.body).kind))).toEqual([]);
  }, 60_000);
});
