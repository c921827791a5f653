import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { HeldFootage } from '../src/cases/held-footage.ts';
import { ManualClock } from '../src/clock.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';
import { segmentKey } from '../src/object-keys.ts';
import { planRetention } from '../src/retention/retention-plan.ts';
import { RetentionRepo } from '../src/db/retention-repo.ts';
import { runRetention } from '../src/retention/retention-run.ts';
import { FsObjectStore } from '../src/store/fs-store.ts';
import { machineFacts } from './proc-stats.ts';

/**
 * Retention at scale: plan and delete over an index of N segments (default 1,000,000: 100
 * cameras × 10,000 ten-second segments ≈ 28 h each), half of them past their age, with 100
 * holds. The objects themselves are absent (the fs store's delete of a missing key is a real
 * unlink that fails fast), so "delete" measures the index work and the store calls, not disk
 * speed; figures only.
 *   npm run bench:retention -- 1000000
 */
const total = Number(process.argv[2] ?? 1_000_000);
const cameras = 100;
const perCamera = Math.ceil(total / cameras);
const DAY = 86_400_000;
const now = Date.UTC(2026, 5, 1, 3, 0, 0);

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-ret-'));
const dbFile = path.join(dir, 'vigil.db');
const db = await openDatabase({ driver: 'sqlite', sqlitePath: dbFile });
await db.destroy();
const raw = new SQLite(dbFile);
const insert = raw.prepare('insert into segments (camera_id, start_ms, duration_ms, size_bytes, sha256, object_key, init_bytes, created_ms) values (?, ?, ?, ?, ?, ?, ?, ?)');
const t0 = performance.now();
raw.transaction(() => {
  for (let c = 0; c < cameras; c++) {
    const cam = `cam-${c}`;
    // Half of each camera's footage lies 31+ days back, half within the last days.
    const oldStart = now - 35 * DAY;
    const newStart = now - 2 * DAY;
    for (let i = 0; i < perCamera; i++) {
      const start = i < perCamera / 2 ? oldStart + i * 10_000 : newStart + (i - perCamera / 2) * 10_000;
      insert.run(cam, start, 10_000, 2_500_000, 'x'.repeat(64), segmentKey(cam, start, 10_000), 800, now);
    }
  }
})();
const holdsInsert = raw.prepare("insert into holds (case_id, camera_id, start_ms, end_ms, created_by_id, created_by_name, created_ms) values ('c', ?, ?, ?, 'u', 'bench', ?)");
raw.prepare("insert into cases (id, reference, title, description, site_id, status, created_by_id, created_by_name, created_ms, updated_ms) values ('c', 'B-1', 'bench', '', null, 'open', 'u', 'bench', 0, 0)").run();
for (let c = 0; c < cameras; c++) holdsInsert.run(`cam-${c}`, now - 35 * DAY + 3_600_000, now - 35 * DAY + 7_200_000, now);
raw.close();
const fillS = (performance.now() - t0) / 1000;

const db2 = await openDatabase({ driver: 'sqlite', sqlitePath: dbFile });
const repo = new RetentionRepo(db2, () => now);
const policy = { cameras: new Map(), defaultKeepDays: 30, timeZone: 'Asia/Ho_Chi_Minh', quotaBytes: null, siteQuotas: [] };
const heapBefore = process.memoryUsage().rss;
const p0 = performance.now();
const live = await repo.live();
const loadS = (performance.now() - p0) / 1000;
const p1 = performance.now();
const holds = (await new HeldFootage(db2).allActive()).map((h) => ({ ...h, why: 'case' }));
const plan = planRetention({ nowMs: now, segments: live, holds, policy });
const planS = (performance.now() - p1) / 1000;
const rssPlan = process.memoryUsage().rss;

const store = new FsObjectStore(path.join(dir, 'objects'));
const d0 = performance.now();
const outcome = await runRetention({ db: db2, store, clock: new ManualClock(now), log: createLogger({ level: 'silent' }), policy, held: new HeldFootage(db2), warnAtFraction: 0.9, batchSize: 1_000 });
const runS = (performance.now() - d0) / 1000;
const rssRun = process.memoryUsage().rss;
await db2.destroy();
rmSync(dir, { recursive: true, force: true });

console.log(`\n### Retention over ${total.toLocaleString('en')} indexed segments (${cameras} cameras, 100 holds)`);
console.log(`machine: ${machineFacts()}\n`);
console.log('| step | time | note |');
console.log('|---|---|---|');
console.log(`| fill index | ${fillS.toFixed(1)} s | raw inserts, one transaction |`);
console.log(`| load live segments | ${loadS.toFixed(2)} s | ${live.length.toLocaleString('en')} rows |`);
console.log(`| plan (pure) | ${planS.toFixed(2)} s | ${plan.deletions.length.toLocaleString('en')} to delete |`);
console.log(`| whole run (load + plan + mark/delete/finish in batches of 1000) | ${runS.toFixed(1)} s | ${outcome.deletedSegments.toLocaleString('en')} deleted, ${(outcome.deletedSegments / runS).toFixed(0)} segments/s |`);
console.log(`\nRSS: ${(heapBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssPlan / 2 ** 20).toFixed(0)} MiB after planning, ${(rssRun / 2 ** 20).toFixed(0)} MiB after the run.`);
