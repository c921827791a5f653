import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import type { Database } from '../../src/db/schema.ts';
import { VigilError } from '../../src/errors.ts';
import { backfillSchema, type BackfillConfig } from '../../src/config/backfill-schema.ts';
import { BackfillRepo } from '../../src/db/backfill-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { indexBackfilledSegment } from '../../src/db/backfill-index.ts';
import { checkAccounting, describeAccounting } from '../../src/accounting.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { initSegmentLength } from '../../src/mp4-boxes.ts';
import { Spool } from '../../recorder/spool.ts';
import { BackfillUploader } from '../../recorder/backfill/backfill-uploader.ts';
import { BackfillRunner, type BackfillTarget } from '../../recorder/backfill/backfill-runner.ts';
import { createBackfillMetrics } from '../../recorder/backfill/backfill-metrics.ts';
import { backfillDir } from '../../recorder/backfill/backfill-spool.ts';
import type { EdgeFetchRequest, EdgeFetchResult, EdgeFetcher } from '../../recorder/backfill/edge-fetch-types.ts';
import { intersectRanges, mergeRanges, type TimeRange } from '../../src/time.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { TestDatabases } from '../helpers/test-db.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The backfill runner with a real SQLite index, a real fs object store, the real Uploader code
 * (through BackfillUploader) and real fMP4 segment files made by ffmpeg. The fetcher here
 * stands in for the camera's replay (edge-fetch.ts, tested against the simulator elsewhere):
 * it copies a real 2-second fragmented MP4 under the names of the parts of the asked range its
 * "card" holds, as the edge client leaves them. ManualClock drives all scheduling.
 */
const SEG_MS = 2_000;
const T = Date.UTC(2026, 0, 5, 2, 0, 0);
const dbs = new TestDatabases();
let work: string;
let sample: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-backfill-'));
  sample = path.join(work, 'sample.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '2', '-c:v', 'libx264', '-g', '25', '-pix_fmt', 'yuv420p',
    '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', sample]);
});
afterAll(async () => {
  await dbs.cleanup();
  rmSync(work, { recursive: true, force: true });
});

interface Camera { id: string; holds: TimeRange[]; fail?: number; gate?: Promise<void> }

class TestEdge {
  calls: EdgeFetchRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  failuresLeft = new Map<string, number>();
  /** Cameras whose replay Vigil cannot read (a codec it does not depacketize, e.g. MJPEG). */
  unsupported = new Set<string>();
  constructor(private readonly cams: Map<string, Camera>) {}
  readonly fetch: EdgeFetcher = async (req) => {
    this.calls.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const cam = this.cams.get(req.cameraId)!;
      if (cam.gate) await cam.gate;
      if (this.unsupported.has(req.cameraId)) {
        throw new VigilError('camera_replay_failed', 'Camera at 127.0.0.1:8554 replays JPEG; Vigil fetches H.264 and H.265 edge footage.', { unsupported: true });
      }
      const left = this.failuresLeft.get(req.cameraId) ?? 0;
      if (left > 0) {
        this.failuresLeft.set(req.cameraId, left - 1);
        throw new Error('connect ECONNREFUSED 127.0.0.1:8554');
      }
      const has = mergeRanges(cam.holds.map((h) => intersectRanges(h, req.range)).filter((r): r is TimeRange => r !== null));
      const segments: EdgeFetchResult['segments'] = [];
      for (const h of has) {
        for (let s = h.startMs; s + SEG_MS <= h.endMs; s += SEG_MS) {
          const name = `${s}-${SEG_MS}.mp4`;
          copyFileSync(sample, path.join(req.outDir, `.${name}.part`));
          renameSync(path.join(req.outDir, `.${name}.part`), path.join(req.outDir, name));
          segments.push({ path: path.join(req.outDir, name), startMs: s, durationMs: SEG_MS, sizeBytes: 1 });
        }
      }
      return { segments, recovered: segments.map((s) => ({ startMs: s.startMs, endMs: s.startMs + s.durationMs })), edgeHas: has, detail: has.length ? '' : 'the camera holds nothing in this range' };
    } finally {
      this.inFlight--;
    }
  };
}

interface Setup {
  db: Kysely<Database>;
  clock: ManualClock;
  runner: BackfillRunner;
  edge: TestEdge;
  store: FsObjectStore;
  spoolRoot: string;
  registry: ReturnType<typeof createMetricsRegistry>;
  targets: BackfillTarget[];
  make(leases?: boolean): BackfillRunner;
}

async function setup(cams: Camera[], o: { config?: Record<string, unknown>; profileG?: boolean; db?: Kysely<Database>; dir?: string; clock?: ManualClock; holdBack?: () => string | null } = {}): Promise<Setup> {
  const db = o.db ?? (await dbs.open('sqlite'));
  const clock = o.clock ?? new ManualClock(T + 60_000);
  const dir = o.dir ?? mkdtempSync(path.join(work, 'run-'));
  const store = new FsObjectStore(path.join(dir, 'objects'));
  const spoolRoot = path.join(dir, 'spool');
  const log = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }), level: 'debug' });
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const config: BackfillConfig = backfillSchema.parse({ settle: '1s', scanEvery: '1h', ...o.config });
  const edge = new TestEdge(new Map(cams.map((c) => [c.id, c])));
  const cameras = new CamerasRepo(db, () => clock.nowMs());
  for (const c of cams) {
    await cameras.upsert({ id: c.id, name: null, siteId: null, source: 'onvif', details: { clockOffsetMs: 0, edge: { profileG: o.profileG ?? true, checkedMs: T, detail: '' } } });
  }
  const targets: BackfillTarget[] = cams.map((c) => ({ cameraId: c.id, fence: null, access: { host: '127.0.0.1', port: 8080, username: 'admin', password: 'pw' }, recording: true }));
  const metrics = createBackfillMetrics(registry);
  const make = (leases = false) => new BackfillRunner({
    db, clock, log, config, fetcher: edge.fetch, metrics, spoolRoot, segmentTargetMs: SEG_MS, targets: () => targets, leases,
    uploader: new BackfillUploader({ spool: new Spool(spoolRoot), store, db, clock, log, leases }),
    ...(o.holdBack ? { holdBack: o.holdBack } : {}),
  });
  return { db, clock, runner: make(), edge, store, spoolRoot, registry, targets, make };
}

/** live [T−4 s, T), the gap [T, T+gapMs), live after it. */
async function outage(db: Kysely<Database>, cameraId: string, gapMs: number, reason = 'camera_unreachable'): Promise<void> {
  const segs = new SegmentsRepo(db, () => T);
  const live = (s: number) => segs.insert({ cameraId, startMs: s, durationMs: 4_000, sizeBytes: 10, sha256: 'ab'.repeat(32), objectKey: segmentKey(cameraId, s, 4_000), initBytes: 1 });
  await live(T - 4_000);
  await new GapsRepo(db, () => T).insert({ cameraId, startMs: T, endMs: T + gapMs, reason, detail: 'camera refused connections' });
  await live(T + gapMs);
}

async function accountingProblems(db: Kysely<Database>, cameraId: string, gapMs: number): Promise<string[]> {
  const range = { startMs: T - 4_000, endMs: T + gapMs + 4_000 };
  const segments = await new SegmentsRepo(db, () => T).overlapping(cameraId, range);
  const gaps = await new GapsRepo(db, () => T).overlapping(cameraId, range);
  return describeAccounting(checkAccounting(range, [
    ...segments.map((s) => ({ kind: 'segment' as const, startMs: s.startMs, endMs: s.startMs + s.durationMs, label: s.objectKey })),
    ...gaps.map((g) => ({ kind: 'gap' as const, startMs: g.startMs, endMs: g.endMs, label: g.reason })),
  ]));
}

const jobsOf = async (db: Kysely<Database>, cameraId: string) => new BackfillRepo(db, () => 0).overlapping(cameraId, { startMs: 0, endMs: T + 10 * 86_400_000 });
const gapsOf = async (db: Kysely<Database>, cameraId: string, gapMs: number) => new GapsRepo(db, () => 0).overlapping(cameraId, { startMs: T, endMs: T + gapMs });
const metric = async (s: Setup, name: string) => (await s.registry.getSingleMetric(name)!.get()).values;

describe('backfill runner (real SQLite, fs store, uploader, ffmpeg-made segments)', () => {
  it('closes a gap fully: backfilled rows, objects that play, no gap left, invariant holds', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T - 60_000, endMs: T + 120_000 }] }]);
    await outage(s.db, 'cam-a', 20_000);
    expect(await s.runner.scanCamera('cam-a')).toBe(1);
    expect(await s.runner.scanCamera('cam-a')).toBe(0); // one job per gap
    await s.runner.runDue();

    expect(s.edge.calls.map((c) => [c.range.startMs - T, c.range.endMs - T, c.maxBytesPerSec])).toEqual([[0, 20_000, 4_000_000]]);
    const [job] = await jobsOf(s.db, 'cam-a');
    expect(job).toMatchObject({ state: 'done', attempts: 1, recoveredMs: 20_000 });
    expect(await gapsOf(s.db, 'cam-a', 20_000)).toEqual([]);
    expect(await accountingProblems(s.db, 'cam-a', 20_000)).toEqual([]);
    const rows = await new SegmentsRepo(s.db, () => 0).overlapping('cam-a', { startMs: T, endMs: T + 20_000 });
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.source === 'backfill' && r.initBytes > 0 && r.initBytes === initSegmentLength(Buffer.from(execFileSync('cat', [sample]))))).toBe(true);
    const probe = await ffprobe(path.join(s.store.root, rows[3]!.objectKey));
    expect(probe.streams[0]).toMatchObject({ codec_type: 'video', codec_name: 'h264', width: 320 });
    expect(readdirSync(backfillDir(s.spoolRoot, 'cam-a'))).toEqual([]); // every file left the spool
    const events = await new EventsRepo(s.db).list('cam-a', { startMs: T, endMs: T + 86_400_000 });
    expect(events.map((e) => [e.fromState, e.toState])).toEqual([['backfill', 'done']]);
    expect(await metric(s, 'vigil_backfill_recovered_seconds_total')).toEqual([expect.objectContaining({ value: 20, labels: { camera: 'cam-a' } })]);
    expect((await metric(s, 'vigil_backfill_jobs')).find((v) => v.labels.state === 'done')?.value).toBe(1);
    expect((await metric(s, 'vigil_backfill_fetched_bytes_total'))[0]?.value).toBeGreaterThan(0);
  });

  it('closes a gap partly: the rest keeps its reason and says why it could not be recovered', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T + 8_000, endMs: T + 60_000 }] }]);
    await outage(s.db, 'cam-a', 20_000);
    await s.runner.scanCamera('cam-a');
    await s.runner.runDue();
    const [job] = await jobsOf(s.db, 'cam-a');
    expect(job).toMatchObject({ state: 'partial', recoveredMs: 12_000 });
    const left = await gapsOf(s.db, 'cam-a', 20_000);
    expect(left.map((g) => [g.startMs - T, g.endMs - T, g.reason])).toEqual([[0, 8_000, 'camera_unreachable']]);
    expect(left[0]!.detail).toBe("camera refused connections (backfill recovered 12.0 s from the camera's storage; the camera's storage has nothing for this part)");
    expect(await accountingProblems(s.db, 'cam-a', 20_000)).toEqual([]);
    // A later scan makes no new job for the piece left (it belongs to the finished job).
    expect(await s.runner.scanCamera('cam-a')).toBe(0);
  });

  it('starts no job while live recording needs the store (holdBack), and runs it once that clears', async () => {
    let behind: string | null = '40 live segments wait for the object store';
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T, endMs: T + 10_000 }] }], { holdBack: () => behind });
    await outage(s.db, 'cam-a', 10_000);
    await s.runner.scanCamera('cam-a');
    await s.runner.runDue();
    expect(s.edge.calls).toEqual([]);
    expect((await jobsOf(s.db, 'cam-a'))[0]).toMatchObject({ state: 'pending', attempts: 0 });
    behind = null;
    await s.runner.runDue();
    expect(s.edge.calls).toHaveLength(1);
    expect((await jobsOf(s.db, 'cam-a'))[0]).toMatchObject({ state: 'done', recoveredMs: 10_000 });
  });

  it('a camera whose replay Vigil cannot read ends its job at once (no retries until the give-up age)', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T, endMs: T + 10_000 }] }]);
    s.edge.unsupported.add('cam-a');
    await outage(s.db, 'cam-a', 10_000);
    await s.runner.scanCamera('cam-a');
    await s.runner.runDue();
    const [job] = await jobsOf(s.db, 'cam-a');
    expect(job).toMatchObject({ state: 'given_up', attempts: 1 });
    expect(job!.detail).toContain('Vigil fetches H.264 and H.265 edge footage');
    s.clock.advance(3_600_000);
    await s.runner.scanCamera('cam-a');
    await s.runner.runDue();
    expect(s.edge.calls).toHaveLength(1);
    const [gap] = await gapsOf(s.db, 'cam-a', 10_000);
    expect(gap).toMatchObject({ reason: 'camera_unreachable' });
    expect(await accountingProblems(s.db, 'cam-a', 10_000)).toEqual([]);
  });

  it('a failed fetch is retried after the backoff, not before', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T, endMs: T + 10_000 }] }], { config: { retry: { first: '30s', max: '10m' } } });
    s.edge.failuresLeft.set('cam-a', 2);
    await outage(s.db, 'cam-a', 10_000);
    await s.runner.scanCamera('cam-a');
    await s.runner.runDue();
    let [job] = await jobsOf(s.db, 'cam-a');
    expect(job).toMatchObject({ state: 'pending', attempts: 1, nextAttemptMs: T + 60_000 + 30_000 });
    expect(job!.detail).toContain('ECONNREFUSED');
    await s.runner.runDue(); // not due yet
    expect(s.edge.calls).toHaveLength(1);
    s.clock.advance(30_000);
    await s.runner.runDue();
    [job] = await jobsOf(s.db, 'cam-a');
    expect(job).toMatchObject({ state: 'pending', attempts: 2, nextAttemptMs: T + 90_000 + 60_000 }); // doubled
    s.clock.advance(60_000);
    await s.runner.runDue();
    [job] = await jobsOf(s.db, 'cam-a');
    expect(job).toMatchObject({ state: 'done', attempts: 3, recoveredMs: 10_000 });
    expect(s.edge.calls).toHaveLength(3);
    expect(await accountingProblems(s.db, 'cam-a', 10_000)).toEqual([]);
  });

  it('gives up after the configured age; an older gap gets no job at all', async () => {
    const s = await setup([{ id: 'cam-a', holds: [] }, { id: 'cam-b', holds: [] }], { config: { giveUpAfter: '1d', retry: { first: '1h', max: '6h' } } });
    s.edge.failuresLeft.set('cam-a', 1_000);
    await outage(s.db, 'cam-a', 10_000);
    await s.runner.scanCamera('cam-a');
    for (let i = 0; i < 20; i++) {
      await s.runner.runDue();
      s.clock.advance(6 * 3_600_000);
    }
    const [job] = await jobsOf(s.db, 'cam-a');
    expect(job!.state).toBe('given_up');
    expect(job!.detail).toContain('past the give-up age');
    expect((await gapsOf(s.db, 'cam-a', 10_000))[0]).toMatchObject({ reason: 'camera_unreachable', detail: expect.stringContaining('gave up') });
    const tries = s.edge.calls.length;
    expect(tries).toBeGreaterThan(1);
    await s.runner.runDue();
    expect(s.edge.calls).toHaveLength(tries); // final: never tried again

    await outage(s.db, 'cam-b', 10_000); // ended more than a day before the clock now
    expect(await s.runner.scanCamera('cam-b')).toBe(0);
  });

  it('a camera whose card has nothing: given_up at once with the reason, no retries', async () => {
    const s = await setup([{ id: 'cam-a', holds: [] }]);
    await outage(s.db, 'cam-a', 10_000);
    await s.runner.scanCamera('cam-a');
    await s.runner.runDue();
    expect((await jobsOf(s.db, 'cam-a'))[0]).toMatchObject({ state: 'given_up', recoveredMs: 0 });
    expect((await gapsOf(s.db, 'cam-a', 10_000))[0]!.detail).toContain("the camera's storage has nothing for this part");
  });

  it('a camera without Profile G gets no job and is never asked', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T, endMs: T + 10_000 }] }], { profileG: false });
    await outage(s.db, 'cam-a', 10_000);
    await s.runner.scanAll();
    await s.runner.runDue();
    expect(await jobsOf(s.db, 'cam-a')).toEqual([]);
    expect(s.edge.calls).toEqual([]);
    expect((await gapsOf(s.db, 'cam-a', 10_000))[0]).toMatchObject({ reason: 'camera_unreachable', detail: 'camera refused connections' });
  });

  it('an auth_failed gap gets a job (the card kept recording); a gap under the minimum gets none', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T - 60_000, endMs: T + 60_000 }] }, { id: 'cam-b', holds: [] }]);
    await outage(s.db, 'cam-a', 10_000, 'auth_failed');
    await outage(s.db, 'cam-b', 1_500);
    await s.runner.scanAll();
    expect((await jobsOf(s.db, 'cam-a')).map((j) => j.gapReason)).toEqual(['auth_failed']);
    expect(await jobsOf(s.db, 'cam-b')).toEqual([]);
  });

  it('resumes after a kill -9 mid-job: uploads what was fetched, asks only for the rest, no double rows', async () => {
    const dir = mkdtempSync(path.join(work, 'crash-'));
    const clock = new ManualClock(T + 60_000);
    const first = await setup([{ id: 'cam-a', holds: [{ startMs: T, endMs: T + 20_000 }] }], { dir, clock });
    await outage(first.db, 'cam-a', 20_000);
    await first.runner.scanCamera('cam-a');
    const [job] = await jobsOf(first.db, 'cam-a');
    // The state a kill -9 leaves: job running; files fetched for [T, T+8 s); the first of them
    // already stored and indexed (killed after the commit, before the spool file was deleted);
    // a temporary file of the interrupted replay.
    await new BackfillRepo(first.db, () => clock.nowMs()).claim(job!.id);
    const bdir = backfillDir(first.spoolRoot, 'cam-a');
    execFileSync('mkdir', ['-p', bdir]);
    for (let s = T; s < T + 8_000; s += SEG_MS) copyFileSync(sample, path.join(bdir, `${s}-${SEG_MS}.mp4`));
    writeFileSync(path.join(bdir, `.${T + 8_000}-${SEG_MS}.mp4.part`), 'half');
    const data = Buffer.from(execFileSync('cat', [sample]));
    await first.store.put(segmentKey('cam-a', T, SEG_MS), data);
    expect(await indexBackfilledSegment(first.db, {
      cameraId: 'cam-a', startMs: T, durationMs: SEG_MS, sizeBytes: data.length, sha256: 'x'.repeat(64), objectKey: segmentKey('cam-a', T, SEG_MS), initBytes: initSegmentLength(data) ?? 0,
    }, { fence: null, nowMs: () => clock.nowMs() })).toBe('inserted');
    expect(await accountingProblems(first.db, 'cam-a', 20_000)).toEqual([]);

    // Restart: a new runner over the same index, spool and store.
    const runner = first.make();
    await runner.start();
    expect((await jobsOf(first.db, 'cam-a'))[0]!.state).toBe('pending');
    await runner.runDue();
    await runner.stop();
    expect(first.edge.calls.map((c) => [c.range.startMs - T, c.range.endMs - T])).toEqual([[8_000, 20_000]]);
    expect((await jobsOf(first.db, 'cam-a'))[0]).toMatchObject({ state: 'done', recoveredMs: 20_000 });
    const rows = await new SegmentsRepo(first.db, () => 0).overlapping('cam-a', { startMs: T, endMs: T + 20_000 });
    expect(rows.map((r) => r.startMs - T)).toEqual([0, 2_000, 4_000, 6_000, 8_000, 10_000, 12_000, 14_000, 16_000, 18_000]);
    expect(await accountingProblems(first.db, 'cam-a', 20_000)).toEqual([]);
    expect(readdirSync(backfillDir(first.spoolRoot, 'cam-a'))).toEqual([]);
    for (const r of rows) expect(existsSync(path.join(first.store.root, r.objectKey))).toBe(true);
  });

  it('never runs more than `concurrency` fetches at once, and one per camera', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const ids = ['cam-a', 'cam-b', 'cam-c'];
    const s = await setup(ids.map((id) => ({ id, holds: [{ startMs: T, endMs: T + 4_000 }], gate })), { config: { concurrency: 2 } });
    for (const id of ids) {
      await outage(s.db, id, 4_000);
      await s.runner.scanCamera(id);
    }
    const done = s.runner.runDue();
    try {
      await waitFor('two fetches in flight', () => s.edge.inFlight === 2, { timeoutMs: 10_000, intervalMs: 5 });
      expect((await metric(s, 'vigil_backfill_running'))[0]?.value).toBe(2);
    } finally {
      open();
    }
    await done;
    expect(s.edge.maxInFlight).toBe(2);
    expect(s.edge.calls).toHaveLength(3);
    for (const id of ids) {
      expect((await jobsOf(s.db, id))[0]!.state).toBe('done');
      expect(await accountingProblems(s.db, id, 4_000)).toEqual([]);
    }
  });

  it('leaves a camera alone while it is not recording, and when its lease is not held', async () => {
    const s = await setup([{ id: 'cam-a', holds: [{ startMs: T, endMs: T + 4_000 }] }]);
    await outage(s.db, 'cam-a', 4_000);
    await s.runner.scanCamera('cam-a');
    s.targets[0]!.recording = false;
    await s.runner.runDue();
    expect(s.edge.calls).toEqual([]);
    s.targets[0]!.recording = true;
    s.targets[0]!.fence = { nodeId: 'rec-1', epoch: 1 }; // no such lease in the index
    const fenced = s.make(true);
    await fenced.runDue();
    expect(s.edge.calls).toEqual([]);
    expect((await jobsOf(s.db, 'cam-a'))[0]).toMatchObject({ state: 'pending', attempts: 0 });
  });
});
