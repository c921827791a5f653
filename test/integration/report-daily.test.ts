import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { ManualClock } from '../../src/clock.ts';
import { validateConfig, type ResolvedConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import type { Database } from '../../src/db/schema.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { localDayStartMs } from '../../src/retention/local-day.ts';
import { createNotifier, startDailyReport } from '../../bin/ops-services.ts';
import { waitFor } from '../helpers/wait.ts';

// The daily report on its node-cron schedule (every second here), built from a real SQLite
// index and delivered through the notifier to a local webhook receiver. The report's "now" is
// a test clock at 12:00 on 03/03/2026 in Ho Chi Minh City.
const clock = new ManualClock(Date.UTC(2026, 2, 3, 5, 0, 0));
describe('daily report by webhook', () => {
  let dir: string;
  let db: Kysely<Database>;
  let config: ResolvedConfig;
  let receiver: Server;
  const bodies: Array<{ kind: string; text: string; data: { sites: Array<{ siteId: string; recordedFraction: number; low: unknown[] }> } }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-daily-'));
    const now = clock.nowMs();
    // Every day is a working day, all day, so "today" always has office time whenever this runs.
    config = validateConfig(
      {
        dataDir: dir,
        sites: [{ id: 'ward-x', name: 'Phường X' }],
        cameras: [
          { id: 'good', name: 'Quầy 1', site: 'ward-x', rtspUrl: 'rtsp://127.0.0.1:1/a' },
          { id: 'poor', name: 'Quầy 2', site: 'ward-x', rtspUrl: 'rtsp://127.0.0.1:1/b' },
        ],
        notify: { webhooks: [{ id: 'ward-x-group', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'daily-report-secret-0123', events: ['daily_report'] }] },
        report: { weekdays: [1, 2, 3, 4, 5, 6, 7], officeHours: [{ start: '00:00', end: '24:00' }], dailySchedule: '* * * * * *' },
      },
      { env: {}, cwd: dir },
    );
    db = await openDatabase(config.database);
    const dayStart = localDayStartMs(now, 'Asia/Ho_Chi_Minh');
    for (const id of ['good', 'poor']) await new CamerasRepo(db, () => dayStart).upsert({ id, name: null, siteId: 'ward-x', source: 'rtsp' });
    const segments = new SegmentsRepo(db, () => now);
    const seg = 10 * 60_000;
    // "good" recorded the whole day so far; "poor" only the first half of it.
    for (let t = dayStart; t < now + seg; t += seg) {
      await segments.insert({ cameraId: 'good', startMs: t, durationMs: seg, sizeBytes: 1, sha256: '0'.repeat(64), objectKey: segmentKey('good', t, seg), initBytes: 0 });
      if (t < dayStart + (now - dayStart) / 2) await segments.insert({ cameraId: 'poor', startMs: t, durationMs: seg, sizeBytes: 1, sha256: '0'.repeat(64), objectKey: segmentKey('poor', t, seg), initBytes: 0 });
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await new Promise<void>((r) => receiver?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends one line per site naming the cameras below 95 %', async () => {
    const log = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const notifier = createNotifier(config, { clock, log, registry: createMetricsRegistry({ defaultMetrics: false }) })!;
    const daily = startDailyReport(config, { db, notifier, clock, log })!;
    try {
      await waitFor('a daily report', () => bodies.length > 0 || undefined, { timeoutMs: 10_000 });
    } finally {
      await daily.stop();
      notifier.close();
    }
    const m = bodies[0]!;
    expect(m.kind).toBe('daily_report');
    expect(m.data.sites).toHaveLength(1);
    expect(m.data.sites[0]!.siteId).toBe('ward-x');
    expect(m.data.sites[0]!.recordedFraction).toBeCloseTo(0.75, 2); // 12 h + 6 h of 24 office hours so far
    expect(m.data.sites[0]!.low).toEqual([{ cameraId: 'poor', recordedFraction: expect.any(Number) }]);
    expect(m.text).toMatch(/^📊 \[Vigil\] Tỷ lệ hoạt động trong giờ hành chính ngày 03\/03\/2026:\n- Phường X: 75,0 % \(2 camera\); dưới 95 %: Quầy 2 50,0 %$/);
  });
});
