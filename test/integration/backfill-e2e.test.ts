import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { BackfillRepo } from '../../src/db/backfill-repo.ts';
import { checkAccounting, describeAccounting } from '../../src/accounting.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { fetchEdgeFootage } from '../../recorder/backfill/edge-fetch.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * End to end: real recorder, real ffmpeg, the simulator with an SD card on cam-1 (none on
 * cam-2), the real edge client (ONVIF Profile G search + RTSP replay). cam-1's network is cut
 * for 2 minutes while its card keeps recording; once it records again the gap must close by
 * backfill within a bound, and cam-2's live recording must have had no gap meanwhile.
 */
const CUT_MS = 120_000;
let sim: CameraSimulator;
let recorder: Recorder;
let db: Kysely<Database>;
let dataDir: string;
const logLines: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-bf-e2e-'));
  sim = await CameraSimulator.start({
    cameras: [
      defaultSpec(0, { video: 'h264', audio: 'none', edge: { retentionMs: 3_600_000 } }),
      defaultSpec(1, { video: 'h264', audio: 'none' }),
    ],
    discoveryPort: null,
    media: { loopSeconds: 4 },
  });
  const config = validateConfig({
    dataDir,
    storage: { driver: 'fs' },
    recorder: { segmentMs: 4_000, stallTimeoutMs: 5_000 },
    backfill: { settle: '1s', scanEvery: '10s', maxBytesPerSec: null },
    cameras: sim.cameras.map((c) => ({ id: c.spec.id, onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password } })),
  }, { env: {}, cwd: dataDir });
  db = await openDatabase(config.database);
  const log = createLogger({ destination: new Writable({ write: (c, _e, cb) => void (logLines.push(...String(c).trim().split('\n')), cb()) }), level: 'info' });
  recorder = new Recorder({ config, clock: systemClock, log, registry: createMetricsRegistry({ defaultMetrics: false }), store: new FsObjectStore(config.storage.fsRoot), db, fetchEdgeFootage });
  await recorder.start();
}, 60_000);

afterAll(async () => {
  await recorder?.stop();
  await db?.destroy();
  await sim?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function lookAt(cameraId: string, range: { startMs: number; endMs: number }) {
  const segs = await new SegmentsRepo(db, () => 0).overlapping(cameraId, range);
  const gaps = await new GapsRepo(db, () => 0).overlapping(cameraId, range);
  // Up to what is indexed: the live segment being recorded at range end is not a row yet.
  const indexedUntil = Math.max(...segs.map((s) => s.startMs + s.durationMs), ...gaps.map((g) => g.endMs));
  const problems = describeAccounting(checkAccounting({ startMs: range.startMs, endMs: Math.min(range.endMs, indexedUntil) }, [
    ...segs.map((s) => ({ kind: 'segment' as const, startMs: s.startMs, endMs: s.startMs + s.durationMs, label: s.objectKey })),
    ...gaps.map((g) => ({ kind: 'gap' as const, startMs: g.startMs, endMs: g.endMs, label: g.reason })),
  ]));
  return { segs, gaps, problems };
}

describe('edge backfill against the simulator', () => {
  it('a 2-minute network cut closes by backfill; the other camera had no gap', async () => {
    await waitFor('both cameras recording', () => recorder.cameraStates().every((c) => c.state === 'recording') && recorder.cameraStates().length === 2, { timeoutMs: 60_000 });
    await waitFor('cam-1 has segments', async () => (await new SegmentsRepo(db, () => 0).countAndBytes('cam-1')).count >= 2, { timeoutMs: 60_000 });
    const cutAt = Date.now();
    sim.cameras[0]!.faults.set({ networkCut: true }, CUT_MS);
    await waitFor('cam-1 records again after the cut', () => Date.now() > cutAt + CUT_MS && recorder.cameraStates().find((c) => c.cameraId === 'cam-1')?.state === 'recording', { timeoutMs: CUT_MS + 90_000, intervalMs: 500 });
    const backAt = Date.now();

    const window = { startMs: cutAt - 10_000, endMs: backAt };
    let seen = '';
    const jobs = await waitFor('the backfill job finishes', async () => {
      const js = await new BackfillRepo(db, () => 0).overlapping('cam-1', window);
      seen = JSON.stringify(js);
      return js.length > 0 && js.every((j) => j.state === 'done' || j.state === 'partial') ? js : null;
    }, { timeoutMs: 180_000, intervalMs: 500 }).catch((e: Error) => {
      const gaps = new GapsRepo(db, () => 0).overlapping('cam-1', window);
      return gaps.then((g) => {
        throw new Error(`${e.message}\njobs: ${seen}\ngaps: ${JSON.stringify(g)}\nlog:\n${logLines.filter((l) => /backfill|cam-1/.test(l)).slice(-40).join('\n')}`);
      });
    });
    const { segs, gaps, problems } = await lookAt('cam-1', window);
    const pieces = [...segs.map((x) => `seg ${x.source ?? 'live'} ${x.startMs}+${x.durationMs}=${x.startMs + x.durationMs}`), ...gaps.map((g) => `gap ${g.reason} ${g.startMs}-${g.endMs}`)].sort((x, y) => Number(x.split(' ')[2]!.split(/[+-]/)[0]) - Number(y.split(' ')[2]!.split(/[+-]/)[0]));
    expect(problems, pieces.join('\n')).toEqual([]);
    const backfilled = segs.filter((s) => s.source === 'backfill');
    const recoveredMs = backfilled.reduce((s, x) => s + x.durationMs, 0);
    const gapMs = gaps.reduce((s, g) => s + Math.min(g.endMs, window.endMs) - Math.max(g.startMs, window.startMs), 0);
    // What is left is at most the edges the replay could not place inside the gap (a segment
    // is indexed only when it lies wholly inside it): under two segments at each end.
    expect(recoveredMs).toBeGreaterThan(CUT_MS - 4 * 4_000 - 10_000);
    expect(gapMs).toBeLessThan(4 * 4_000 + 10_000);
    expect(jobs.reduce((s, j) => s + j.recoveredMs, 0)).toBe(recoveredMs);
    const probe = await ffprobe(path.join(dataDir, 'objects', backfilled[Math.floor(backfilled.length / 2)]!.objectKey));
    expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');

    const other = await lookAt('cam-2', { startMs: cutAt, endMs: backAt - 10_000 });
    expect(other.gaps).toEqual([]);
    expect(other.problems).toEqual([]);
    expect(other.segs.every((s) => s.source === undefined)).toBe(true);
  }, 480_000);
});
