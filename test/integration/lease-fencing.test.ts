import { afterAll, describe, expect, it } from 'vitest';
import { LeasesRepo } from '../../src/db/leases-repo.ts';
import { FencedWrites } from '../../src/db/fenced-writes.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { EventsRepo } from '../../src/db/events-repo.ts';
import { TestDatabases, TEST_DIALECTS } from '../helpers/test-db.ts';

// The lease table and the epoch fence on real databases: PostgreSQL (many recorders) and
// SQLite (same statements; a single node does not use them, but they must run there too).
const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());

const TTL = 10_000;
const seg = (startMs: number, key = `cam1/${startMs}.mp4`) => ({ cameraId: 'cam1', startMs, durationMs: 2_000, sizeBytes: 100, sha256: 'ab'.repeat(32), objectKey: key, initBytes: 10 });

describe.each(TEST_DIALECTS)('camera leases on %s', (dialect) => {
  it('take is exclusive until expiry, every take raises the epoch, renew and release act only under the held lease', async () => {
    const db = await dbs.open(dialect);
    const repo = new LeasesRepo(db);
    expect(await repo.take('cam1', 'a', 1_000, TTL)).toEqual({ epoch: 1, previousNodeId: null });
    expect(await repo.take('cam1', 'b', 5_000, TTL)).toBeNull(); // a holds it until 11 000
    expect(await repo.renew('a', 6_000, TTL)).toEqual([{ cameraId: 'cam1', epoch: 1, expiresMs: 16_000 }]);
    expect(await repo.take('cam1', 'b', 15_999, TTL)).toBeNull();
    expect(await repo.take('cam1', 'b', 16_000, TTL)).toEqual({ epoch: 2, previousNodeId: 'a' });
    expect(await repo.renew('a', 16_500, TTL)).toEqual([]); // a's renewal shows the lease is gone
    expect(await repo.release('cam1', 'a', 1)).toBe(false);
    // A restarted b takes its own lease again under a new epoch (its old run's writes are fenced).
    expect(await repo.take('cam1', 'b', 17_000, TTL)).toEqual({ epoch: 3, previousNodeId: 'b' });
    expect(await repo.release('cam1', 'b', 3)).toBe(true);
    expect(await repo.take('cam1', 'a', 17_001, TTL)).toEqual({ epoch: 4, previousNodeId: 'b' }); // released: free at once
    expect(await repo.leases()).toEqual([{ cameraId: 'cam1', nodeId: 'a', epoch: 4, expiresMs: 27_001 }]);
  });

  it('of many nodes racing for one free camera exactly one wins', async () => {
    const db = await dbs.open(dialect);
    const repo = new LeasesRepo(db);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => repo.take('cam1', `n${i}`, 1_000, TTL)));
    expect(results.filter((r) => r !== null)).toEqual([{ epoch: 1, previousNodeId: null }]);
  });

  it('heartbeats: nodes are listed with their sites and expiry; a node leaving is no longer live', async () => {
    const db = await dbs.open(dialect);
    const repo = new LeasesRepo(db);
    await repo.heartbeat({ nodeId: 'a', sites: ['north'], nowMs: 1_000, ttlMs: TTL, startedMs: 500 });
    await repo.heartbeat({ nodeId: 'b', sites: null, nowMs: 1_000, ttlMs: TTL, startedMs: 500 });
    await repo.heartbeat({ nodeId: 'a', sites: ['north'], nowMs: 2_000, ttlMs: TTL, startedMs: 500 });
    await repo.leave('b');
    const nodes = (await repo.nodes()).sort((x, y) => x.nodeId.localeCompare(y.nodeId));
    expect(nodes).toEqual([{ nodeId: 'a', sites: ['north'], expiresMs: 12_000 }, { nodeId: 'b', sites: null, expiresMs: 0 }]);
  });

  it('fenced writes go in under the current lease and are refused, in the same statement, once it moved on', async () => {
    const db = await dbs.open(dialect);
    const repo = new LeasesRepo(db);
    const fenced = new FencedWrites(db, () => 42);
    const segments = new SegmentsRepo(db, () => 42);
    const a = { nodeId: 'a', epoch: (await repo.take('cam1', 'a', 1_000, TTL))!.epoch };
    expect(await fenced.insertSegment(seg(0), a)).toBe('inserted');
    expect(await fenced.insertSegment(seg(0), a)).toBe('duplicate');
    expect(await fenced.insertGap({ cameraId: 'cam1', startMs: 2_000, endMs: 3_000, reason: 'stream_error', detail: 'x' }, a)).toBe('inserted');
    expect(await fenced.insertEvent({ cameraId: 'cam1', atMs: 2_000, fromState: 'recording', toState: 'reconnecting', detail: '' }, a)).toBe('inserted');
    // a is cut off past its lease; b takes the camera.
    const b = { nodeId: 'b', epoch: (await repo.take('cam1', 'b', 20_000, TTL))!.epoch };
    expect(b.epoch).toBe(2);
    expect(await fenced.insertSegment(seg(3_000), a)).toBe('fenced');
    expect(await fenced.insertGap({ cameraId: 'cam1', startMs: 3_000, endMs: 4_000, reason: 'recorder_down', detail: 'x' }, a)).toBe('fenced');
    expect(await fenced.insertEvent({ cameraId: 'cam1', atMs: 3_000, fromState: 'recording', toState: 'stopped', detail: '' }, a)).toBe('fenced');
    // Same node, old epoch (its earlier run): refused too. A duplicate key under a dead lease is not "duplicate".
    expect(await fenced.insertSegment(seg(0), a)).toBe('fenced');
    expect(await fenced.insertSegment(seg(3_000, 'cam1/b-3000.mp4'), b)).toBe('inserted');
    expect((await segments.overlapping('cam1', { startMs: 0, endMs: 10_000 })).map((s) => s.objectKey)).toEqual(['cam1/0.mp4', 'cam1/b-3000.mp4']);
    expect((await new GapsRepo(db, () => 0).overlapping('cam1', { startMs: 0, endMs: 10_000 })).map((g) => g.reason)).toEqual(['stream_error']);
    expect((await new EventsRepo(db).list('cam1', { startMs: 0, endMs: 10_000 })).map((e) => e.toState)).toEqual(['reconnecting']);
    // Stored values are the real ones (cast through the INSERT … SELECT).
    expect(await segments.byObjectKey('cam1/b-3000.mp4')).toEqual(seg(3_000, 'cam1/b-3000.mp4'));
  });
});
