import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Spool, planSpoolDrops, type ReadyFile } from '../../recorder/spool.ts';

const f = (startMs: number, sizeBytes: number): ReadyFile => ({ cameraId: 'c', startMs, durationMs: 10, path: `/s/${startMs}`, sizeBytes });

describe('spool quota policy', () => {
  it.each([
    { name: 'under quota drops nothing', used: 100, quota: 200, busy: [], want: [] },
    { name: 'drops oldest first until it fits', used: 300, quota: 150, busy: [], want: [1, 2] },
    { name: 'skips files being uploaded', used: 300, quota: 150, busy: ['/s/1'], want: [2, 3] },
    { name: 'cannot always fit', used: 1000, quota: 10, busy: [], want: [1, 2, 3] },
  ])('$name', ({ used, quota, busy, want }) => {
    const ready = [f(3, 100), f(1, 100), f(2, 100)];
    expect(planSpoolDrops(ready, used, quota, new Set(busy)).map((x) => x.startMs)).toEqual(want);
  });
});

describe('spool on disk', () => {
  it('promotes a closed segment by rename and lists it with its timing', async () => {
    const spool = new Spool(mkdtempSync(path.join(tmpdir(), 'vigil-spool-')));
    await spool.prepare('cam-1');
    writeFileSync(path.join(spool.incomingDir('cam-1'), 'r1-000000.mp4'), Buffer.alloc(1234));
    writeFileSync(path.join(spool.incomingDir('cam-1'), 'r1-000001.mp4'), Buffer.alloc(10));
    const ready = await spool.promote('cam-1', 'r1-000000.mp4', 1_767_578_400_000, 10_040);
    expect(ready).toMatchObject({ cameraId: 'cam-1', startMs: 1_767_578_400_000, durationMs: 10_040, sizeBytes: 1234 });
    expect(await spool.listReady()).toEqual([ready]);
    expect(await spool.listIncoming('cam-1')).toHaveLength(1);
    expect(await spool.usedBytes()).toBe(1244);
    // Edge footage waiting in the camera's backfill area is on the same disk and counts, a
    // cut-off fetch's temporary folder included.
    mkdirSync(path.join(spool.root, 'cam-1', 'backfill', 'tmp-job'), { recursive: true });
    writeFileSync(path.join(spool.root, 'cam-1', 'backfill', '1767578400000-10000.mp4'), Buffer.alloc(500));
    writeFileSync(path.join(spool.root, 'cam-1', 'backfill', 'tmp-job', 'part.mp4'), Buffer.alloc(6));
    expect(await spool.usedBytes()).toBe(1750);
    expect(await spool.listReady()).toEqual([ready]);
    await spool.remove(ready.path);
    expect(await spool.listReady('cam-1')).toEqual([]);
  });
});
