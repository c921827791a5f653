import { afterAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { BackfillRepo } from '../../src/db/backfill-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { backfilledWithin, indexBackfilledSegment } from '../../src/db/backfill-index.ts';
import { checkAccounting, describeAccounting } from '../../src/accounting.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { TEST_DIALECTS, TestDatabases } from '../helpers/test-db.ts';

const T = Date.UTC(2026, 0, 5, 2, 0, 0);
const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());

function seg(cameraId: string, startMs: number, durationMs: number): SegmentRecord {
  return { cameraId, startMs, durationMs, sizeBytes: 1000, sha256: 'ab'.repeat(32), objectKey: segmentKey(cameraId, startMs, durationMs), initBytes: 100 };
}

async function accounting(db: Kysely<Database>, cameraId: string, startMs: number, endMs: number): Promise<string[]> {
  const range = { startMs, endMs };
  const segments = await new SegmentsRepo(db, () => T).overlapping(cameraId, range);
  const gaps = await new GapsRepo(db, () => T).overlapping(cameraId, range);
  return describeAccounting(checkAccounting(range, [
    ...segments.map((s) => ({ kind: 'segment' as const, startMs: s.startMs, endMs: s.startMs + s.durationMs, label: s.objectKey })),
    ...gaps.map((g) => ({ kind: 'gap' as const, startMs: g.startMs, endMs: g.endMs, label: g.reason })),
  ]));
}

describe.each(TEST_DIALECTS)('backfill jobs and gap replacement on %s', (dialect) => {
  it('creates one job per gap, lists due ones, claims once, updates and resumes', async () => {
    const db = await dbs.open(dialect);
    let now = T;
    const repo = new BackfillRepo(db, () => now);
    const job = { cameraId: 'cam-a', gapStartMs: T - 120_000, gapEndMs: T, gapReason: 'camera_unreachable', nextAttemptMs: T };
    expect(await repo.createOnce(job)).toBe(true);
    expect(await repo.createOnce({ ...job, gapEndMs: T + 5 })).toBe(false); // unique (camera, gap start)
    expect(await repo.createOnce({ ...job, cameraId: 'cam-b' })).toBe(true);
    expect(await repo.createOnce({ ...job, cameraId: 'cam-a', gapStartMs: T + 60_000, gapEndMs: T + 70_000, nextAttemptMs: T + 60_000 })).toBe(true);

    const due = await repo.due(T, 10);
    expect(due.map((j) => [j.cameraId, j.gapStartMs])).toEqual([['cam-a', T - 120_000], ['cam-b', T - 120_000]]);
    expect(await repo.due(T, 10, ['cam-b'])).toHaveLength(1);
    expect(await repo.due(T, 10, [])).toEqual([]);
    expect(await repo.nextDueMs()).toBe(T);

    const first = due[0]!;
    expect(await repo.claim(first.id)).toBe(true);
    expect(await repo.claim(first.id)).toBe(false); // a second runner loses
    expect((await repo.due(T, 10)).map((j) => j.id)).not.toContain(first.id);

    now = T + 1_000;
    await repo.update(first.id, { state: 'pending', attempts: 1, nextAttemptMs: T + 31_000, detail: 'attempt 1 failed: refused; will retry' });
    const after = (await repo.get(first.id))!;
    expect(after).toMatchObject({ state: 'pending', attempts: 1, nextAttemptMs: T + 31_000, recoveredMs: 0, detail: 'attempt 1 failed: refused; will retry', updatedMs: T + 1_000, createdMs: T });

    // A runner killed mid-job leaves it running; the next start makes it pending and due.
    expect(await repo.claim(due[1]!.id)).toBe(true);
    expect(await repo.countByState()).toMatchObject({ pending: 2, running: 1, done: 0 });
    expect(await repo.requeueRunning(T + 2_000, ['cam-a'])).toBe(0);
    expect(await repo.requeueRunning(T + 2_000)).toBe(1);
    expect(await repo.get(due[1]!.id)).toMatchObject({ state: 'pending', nextAttemptMs: T + 2_000 });

    await repo.update(first.id, { state: 'done', recoveredMs: 120_000 });
    expect(await repo.get(first.id)).toMatchObject({ state: 'done', recoveredMs: 120_000, attempts: 1 });
    expect((await repo.overlapping('cam-a', { startMs: T - 1, endMs: T + 60_001 })).map((j) => j.gapStartMs)).toEqual([T - 120_000, T + 60_000]);
    expect(await repo.overlapping('cam-a', { startMs: T, endMs: T + 60_000 })).toEqual([]);
  });

  it('a backfilled segment replaces its part of the gap in one step; the invariant holds after each', async () => {
    const db = await dbs.open(dialect);
    const now = () => T;
    const gaps = new GapsRepo(db, now);
    const segments = new SegmentsRepo(db, now);
    // live [T-10s, T), gap [T, T+30s) camera_unreachable, live [T+30s, T+40s)
    await segments.insert(seg('cam-a', T - 10_000, 10_000));
    await gaps.insert({ cameraId: 'cam-a', startMs: T, endMs: T + 30_000, reason: 'camera_unreachable', detail: 'camera refused connections' });
    await segments.insert(seg('cam-a', T + 30_000, 10_000));
    expect(await accounting(db, 'cam-a', T - 10_000, T + 40_000)).toEqual([]);

    // Middle piece: the gap becomes two, same reason and detail.
    expect(await indexBackfilledSegment(db, seg('cam-a', T + 10_000, 10_000), { fence: null, nowMs: now })).toBe('inserted');
    expect(await accounting(db, 'cam-a', T - 10_000, T + 40_000)).toEqual([]);
    const left = await gaps.overlapping('cam-a', { startMs: T, endMs: T + 30_000 });
    expect(left.map((g) => [g.startMs - T, g.endMs - T, g.reason, g.detail])).toEqual([
      [0, 10_000, 'camera_unreachable', 'camera refused connections'],
      [20_000, 30_000, 'camera_unreachable', 'camera refused connections'],
    ]);
    expect((await segments.byObjectKey(segmentKey('cam-a', T + 10_000, 10_000)))?.source).toBe('backfill');
    expect((await segments.byObjectKey(segmentKey('cam-a', T - 10_000, 10_000)))?.source).toBeUndefined(); // live

    // Again (a restart after the commit, before the spool file was deleted): nothing changes.
    expect(await indexBackfilledSegment(db, seg('cam-a', T + 10_000, 10_000), { fence: null, nowMs: now })).toBe('duplicate');
    expect(await gaps.overlapping('cam-a', { startMs: T, endMs: T + 30_000 })).toHaveLength(2);

    // Overlapping live footage, or straddling footage and gap: refused, nothing written.
    expect(await indexBackfilledSegment(db, seg('cam-a', T - 2_000, 4_000), { fence: null, nowMs: now })).toBe('outside_gap');
    expect(await indexBackfilledSegment(db, seg('cam-a', T + 5_000, 10_000), { fence: null, nowMs: now })).toBe('outside_gap');
    expect(await accounting(db, 'cam-a', T - 10_000, T + 40_000)).toEqual([]);

    // The rest, edge-aligned: the gap is gone entirely.
    expect(await indexBackfilledSegment(db, seg('cam-a', T, 10_000), { fence: null, nowMs: now })).toBe('inserted');
    expect(await indexBackfilledSegment(db, seg('cam-a', T + 20_000, 10_000), { fence: null, nowMs: now })).toBe('inserted');
    expect(await gaps.overlapping('cam-a', { startMs: T, endMs: T + 30_000 })).toEqual([]);
    expect(await accounting(db, 'cam-a', T - 10_000, T + 40_000)).toEqual([]);
    expect(await backfilledWithin(db, 'cam-a', { startMs: T - 10_000, endMs: T + 40_000 })).toEqual([{ startMs: T, endMs: T + 30_000 }]);
  });

  it('with leases, only the holder of the current epoch may index backfilled footage', async () => {
    const db = await dbs.open(dialect);
    const now = () => T;
    await new GapsRepo(db, now).insert({ cameraId: 'cam-a', startMs: T, endMs: T + 30_000, reason: 'stream_stalled', detail: 'no media for 5 s' });
    await db.insertInto('camera_leases').values({ camera_id: 'cam-a', node_id: 'rec-2', epoch: 2, expires_ms: T + 15_000, taken_ms: T }).execute();
    expect(await indexBackfilledSegment(db, seg('cam-a', T, 10_000), { fence: { nodeId: 'rec-1', epoch: 1 }, nowMs: now })).toBe('fenced');
    expect(await new SegmentsRepo(db, now).byObjectKey(segmentKey('cam-a', T, 10_000))).toBeNull();
    expect((await new GapsRepo(db, now).overlapping('cam-a', { startMs: T, endMs: T + 30_000 }))[0]).toMatchObject({ startMs: T, endMs: T + 30_000 });
    expect(await indexBackfilledSegment(db, seg('cam-a', T, 10_000), { fence: { nodeId: 'rec-2', epoch: 2 }, nowMs: now })).toBe('inserted');
    expect((await new SegmentsRepo(db, now).byObjectKey(segmentKey('cam-a', T, 10_000)))?.source).toBe('backfill');
    expect(await accounting(db, 'cam-a', T, T + 30_000)).toEqual([]);
  });

  it('setDetailWithin changes only the gaps of that reason inside the range', async () => {
    const db = await dbs.open(dialect);
    const gaps = new GapsRepo(db, () => T);
    await gaps.insert({ cameraId: 'cam-a', startMs: T, endMs: T + 10_000, reason: 'camera_unreachable', detail: 'a' });
    await gaps.insert({ cameraId: 'cam-a', startMs: T + 10_000, endMs: T + 20_000, reason: 'auth_failed', detail: 'b' });
    await gaps.insert({ cameraId: 'cam-a', startMs: T + 20_000, endMs: T + 40_000, reason: 'camera_unreachable', detail: 'c' });
    expect(await gaps.setDetailWithin('cam-a', { startMs: T, endMs: T + 30_000 }, 'camera_unreachable', 'a (backfill: none)')).toBe(1);
    expect((await gaps.overlapping('cam-a', { startMs: T, endMs: T + 40_000 })).map((g) => g.detail)).toEqual(['a (backfill: none)', 'b', 'c']);
  });
});
