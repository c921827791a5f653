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
const GOP_MS = 2_000; // the simulator's keyframe interval
const FRAME_MS = 40; // 25 fps
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
      defaultSpec(2, { video: 'h264', audio: 'none' }), // no SD card either: its outage stays a gap
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
  it('a 2-minute network cut closes by backfill; the other camera had no gap; one without a card keeps its gap', async () => {
    await waitFor('the cameras recording', () => recorder.cameraStates().every((c) => c.state === 'recording') && recorder.cameraStates().length === 3, { timeoutMs: 60_000 });
    await waitFor('cam-1 has segments', async () => (await new SegmentsRepo(db, () => 0).countAndBytes('cam-1')).count >= 2, { timeoutMs: 60_000 });
    await waitFor('cam-3 has segments', async () => (await new SegmentsRepo(db, () => 0).countAndBytes('cam-3')).count >= 2, { timeoutMs: 60_000 });
    // Profile G calls reaching cam-3 (the camera without edge storage): there must be none.
    const profileG = new Set(['FindRecordings', 'GetRecordingSearchResults', 'GetRecordingSummary', 'GetRecordings', 'GetReplayUri', 'GetRecordingInformation']);
    let cam3Calls = 0;
    sim.camera('cam-3').onvif.on('request', (e: { action: string }) => void (profileG.has(e.action) && cam3Calls++));
    const cutAt = Date.now();
    sim.cameras[0]!.faults.set({ networkCut: true }, CUT_MS);
    sim.cameras[2]!.faults.set({ networkCut: true }, 15_000);
    await waitFor('cam-1 records again after the cut', () => Date.now() > cutAt + CUT_MS && recorder.cameraStates().find((c) => c.cameraId === 'cam-1')?.state === 'recording', { timeoutMs: CUT_MS + 90_000, intervalMs: 500 });
    const backAt = Date.now();

    // Accounting of a camera seen for the first time begins at its first footage, which may be
    // less than 10 s before the cut: the window starts there then, not in unaccounted time.
    const [first] = await new SegmentsRepo(db, () => 0).overlapping('cam-1', { startMs: 0, endMs: cutAt });
    const window = { startMs: Math.max(cutAt - 10_000, first!.startMs), endMs: backAt };
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
    const closedAfterMs = Date.now() - backAt;
    const { segs, gaps, problems } = await lookAt('cam-1', window);
    const pieces = [...segs.map((x) => `seg ${x.source ?? 'live'} ${x.startMs}+${x.durationMs}=${x.startMs + x.durationMs}`), ...gaps.map((g) => `gap ${g.reason} ${g.startMs}-${g.endMs}`)].sort((x, y) => Number(x.split(' ')[2]!.split(/[+-]/)[0]) - Number(y.split(' ')[2]!.split(/[+-]/)[0]));
    expect(problems, pieces.join('\n')).toEqual([]);
    const backfilled = segs.filter((s) => s.source === 'backfill');
    const recoveredMs = backfilled.reduce((s, x) => s + x.durationMs, 0);
    const gapMs = gaps.reduce((s, g) => s + Math.min(g.endMs, window.endMs) - Math.max(g.startMs, window.startMs), 0);
    // What a replay cannot bring back: the frames between the gap's start and the card's next
    // keyframe (a segment must begin with one; GOP 2 s), so at most one GOP and a frame.
    expect(gapMs, pieces.join('\n')).toBeLessThanOrEqual(GOP_MS + FRAME_MS);
    expect(recoveredMs).toBeGreaterThan(CUT_MS - GOP_MS - FRAME_MS);
    // The footage sits where the camera took it: every backfilled segment begins with a
    // keyframe, and the camera's keyframes fall every GOP from its timeline's origin (skew 0,
    // the simulator runs on the recorder's clock), so each start is on that grid within one
    // frame interval: the offset came from an RTCP sender report, not ONVIF's whole seconds.
    const originMs = sim.camera('cam-1').edge!.startMs;
    for (const b of backfilled) {
      const phaseMs = (((b.startMs - originMs) % GOP_MS) + GOP_MS) % GOP_MS;
      expect(Math.min(phaseMs, GOP_MS - phaseMs), `${b.startMs} is ${phaseMs} ms past a keyframe of the camera`).toBeLessThanOrEqual(FRAME_MS);
    }
    expect(jobs.reduce((s, j) => s + j.recoveredMs, 0)).toBe(recoveredMs);
    console.log(`[figures] backfill of a ${CUT_MS / 1000} s network cut: ${(recoveredMs / 1000).toFixed(1)} s recovered in ${backfilled.length} segments, ${gapMs} ms left as gap, job ended ≤ ${(closedAfterMs / 1000).toFixed(1)} s after recording resumed`);
    const probe = await ffprobe(path.join(dataDir, 'objects', backfilled[Math.floor(backfilled.length / 2)]!.objectKey));
    expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');

    const other = await lookAt('cam-2', { startMs: cutAt, endMs: backAt - 10_000 });
    expect(other.gaps).toEqual([]);
    expect(other.problems).toEqual([]);
    expect(other.segs.every((s) => s.source === undefined)).toBe(true);

    // cam-3 has no edge storage: its 15 s outage is still a gap with its reason, no job was
    // made for it and it was never asked for recordings (no retry storm).
    const none = await lookAt('cam-3', { startMs: cutAt - 5_000, endMs: backAt - 10_000 });
    expect(none.problems).toEqual([]);
    const lostMs = none.gaps.reduce((n, g) => n + g.endMs - g.startMs, 0);
    expect(lostMs).toBeGreaterThan(10_000);
    for (const g of none.gaps) expect(g.reason).toMatch(/^(camera_unreachable|stream_stalled|stream_error)$/);
    expect(none.segs.every((s) => s.source === undefined)).toBe(true);
    expect(await new BackfillRepo(db, () => 0).overlapping('cam-3', { startMs: 0, endMs: Date.now() })).toEqual([]);
    expect(cam3Calls).toBe(0);
  }, 480_000);
});
