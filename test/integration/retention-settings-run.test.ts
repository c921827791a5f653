import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { retentionOnce } from '../../bin/retention-command.ts';
import { ManualClock } from '../../src/clock.ts';
import { validateConfig, type ResolvedConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import { RetentionSettingsRepo } from '../../src/db/retention-settings-repo.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { segmentKey } from '../../src/object-keys.ts';

// Retention values saved in the web UI (retention_settings) are used by the next retention run
// of an unchanged configuration: the run reads them from the database each time (real SQLite,
// the real `vigil retention --dry-run` code path), and clearing them gives the file's value back.
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 2, 20, 5, 0, 0); // 12:00 in Hồ Chí Minh City

describe('retention run with values saved in the web UI', () => {
  let dir: string;
  let config: ResolvedConfig;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-ret-settings-'));
    config = validateConfig({ retention: { days: 30 }, sites: [{ id: 'bn', name: 'Bến Nghé' }], cameras: [{ id: 'bn-1', site: 'bn', rtspUrl: 'rtsp://10.0.0.1/a' }] }, { cwd: dir });
    const db = await openDatabase(config.database);
    const segments = new SegmentsRepo(db, () => NOW);
    // One 10 s segment per day, 1 to 12 days old.
    for (let d = 1; d <= 12; d++) {
      const startMs = NOW - d * DAY;
      await segments.insert({ cameraId: 'bn-1', startMs, durationMs: 10_000, sizeBytes: 1000, sha256: 'a'.repeat(64), objectKey: segmentKey('bn-1', startMs, 10_000), initBytes: 0 });
    }
    await db.destroy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const dryRun = async () => {
    const lines: string[] = [];
    const outcome = await retentionOnce({ config, clock: new ManualClock(NOW), log: createLogger({ level: 'silent' }), dryRun: true, print: (l) => lines.push(l) });
    return outcome.plan.deletions.length;
  };
  const save = async (changes: Parameters<RetentionSettingsRepo['apply']>[0]) => {
    const db = await openDatabase(config.database);
    await new RetentionSettingsRepo(db, () => NOW).apply(changes, 'quantri');
    await db.destroy();
  };

  it('keeps 30 days by the file, then what the page saved, then the file again', async () => {
    expect(await dryRun()).toBe(0);
    await save([{ scope: 'site', targetId: 'bn', days: 7 }]);
    // Whole local days: what ended before 13/03 00:00 (+07:00) goes: the segments 8–12 days old.
    expect(await dryRun()).toBe(5);
    await save([{ scope: 'camera', targetId: 'bn-1', days: 3 }]);
    expect(await dryRun()).toBe(9); // before 17/03 00:00: 4–12 days old
    await save([{ scope: 'site', targetId: 'bn', days: null }, { scope: 'camera', targetId: 'bn-1', days: null }]);
    expect(await dryRun()).toBe(0);
  });
});
