import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { MAX_SEGMENT_DURATION_MS, SegmentsRepo } from '../../src/db/segments-repo.ts';
import { ManualClock } from '../../src/clock.ts';
import { isVigilError } from '../../src/errors.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { reindex } from '../../src/reindex.ts';
import { BACKFILL_BRAND } from '../../src/fmp4/source-brand.ts';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';

const T0 = Date.UTC(2026, 0, 5, 2, 40, 0);
let work: string;
let fmp4: Buffer[]; // three real fragmented MP4 segments, each with its own moov
let minio: MinioServer;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-reindex-'));
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25', '-t', '3',
    '-c:v', 'libx264', '-g', '25', '-f', 'segment', '-segment_time', '1', '-segment_format', 'mp4',
    '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof', path.join(work, 'seg-%03d.mp4'),
  ]);
  fmp4 = readdirSync(work).filter((f) => f.startsWith('seg-')).sort().map((f) => readFileSync(path.join(work, f)));
  minio = await startMinio();
});
afterAll(async () => {
  await minio?.destroy();
  rmSync(work, { recursive: true, force: true });
});

/** The segment with its ftyp's compatible brands followed by the backfill mark. */
function markedAsBackfill(segment: Buffer): Buffer {
  const ftypSize = segment.readUInt32BE(0);
  const ftyp = Buffer.concat([segment.subarray(0, ftypSize), Buffer.from(BACKFILL_BRAND, 'latin1')]);
  ftyp.writeUInt32BE(ftyp.length, 0);
  return Buffer.concat([ftyp, segment.subarray(ftypSize)]);
}

/** Counts downloads, to see that a second run reads nothing again. */
function counting(store: ObjectStore): { store: ObjectStore; gets: () => number } {
  let gets = 0;
  const wrapped: ObjectStore = {
    kind: store.kind,
    put: (k, s, o) => store.put(k, s, o),
    get: (k, r) => {
      gets++;
      return store.get(k, r);
    },
    stat: (k) => store.stat(k),
    list: (p) => store.list(p),
    delete: (k) => store.delete(k),
    ping: () => store.ping(),
  };
  return { store: wrapped, gets: () => gets };
}

const drivers: Array<[string, () => ObjectStore]> = [
  ['minio', () => new MinioObjectStore({ endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: `r-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}` })],
  ['fs', () => new FsObjectStore(mkdtempSync(path.join(work, 'objects-')))],
];

describe.each(drivers)('reindex from a %s bucket', (_name, make) => {
  let store: ObjectStore;
  const good = () => [
    { key: segmentKey('cam-a', T0, 1_000), body: fmp4[0]! },
    { key: segmentKey('cam-a', T0 + 1_000, 1_000), body: fmp4[1]! },
    { key: segmentKey('cam-a', T0 + 2_000, 1_040), body: fmp4[2]! },
    { key: segmentKey('cam-b', T0 + 3_600_000, 1_000), body: fmp4[0]! },
    // Recovered from the camera's card: its ftyp carries the mark as the backfill writer's does.
    { key: segmentKey('cam-c', T0, 1_000), body: markedAsBackfill(fmp4[0]!), source: 'backfill' as const },
  ];
  const junk = () => [
    { key: 'cam-a/notes.txt', body: Buffer.from('operator notes'), reason: /not a segment key/ },
    { key: `cam-a/2026/01/05/07/${T0}-1000.mp4`, body: fmp4[0]!, reason: /not a segment key/ }, // hour folder lies
    { key: segmentKey('cam-a', T0 + 5_000, 1_000), body: Buffer.from('definitely not an mp4 file'), reason: /not a fragmented MP4/ },
    { key: segmentKey('cam-a', T0 + 6_000, 1_000), body: Buffer.alloc(0), reason: /empty object/ },
    { key: segmentKey('cam-b', T0, MAX_SEGMENT_DURATION_MS + 1), body: fmp4[0]!, reason: /more than a segment may/ },
  ];

  beforeAll(async () => {
    expect(fmp4).toHaveLength(3);
    store = make();
    for (const o of [...good(), ...junk()]) await store.put(o.key, o.body);
  });

  const freshDb = async (): Promise<Kysely<Database>> => openDatabase({ driver: 'sqlite', sqlitePath: path.join(mkdtempSync(path.join(work, 'db-')), 'vigil.db') });

  it('rebuilds the segment rows from the listing, skips junk with a reason, and a second run adds nothing', async () => {
    const db = await freshDb();
    try {
      const clock = new ManualClock(T0 + 86_400_000);
      const first = counting(store);
      const result = await reindex({ store: first.store, db, clock });
      expect(result.scanned).toBe(good().length + junk().length);
      expect(result.inserted).toBe(good().length);
      expect(result.alreadyIndexed).toBe(0);
      expect(result.skipped.map((s) => s.key)).toEqual(junk().map((j) => j.key).sort());
      for (const j of junk()) expect(result.skipped.find((s) => s.key === j.key)?.reason).toMatch(j.reason);

      const segments = new SegmentsRepo(db, () => clock.nowMs());
      for (const g of good()) {
        const row = await segments.byObjectKey(g.key);
        expect(row).toMatchObject({ sizeBytes: g.body.length, sha256: createHash('sha256').update(g.body).digest('hex') });
        expect(row!.initBytes).toBeGreaterThan(0);
        expect(g.body.toString('latin1', row!.initBytes + 4, row!.initBytes + 8)).toBe('moof');
        expect(g.body.subarray(0, row!.initBytes).includes('moov')).toBe(true);
        expect(row!.source ?? 'live', g.key).toBe(g.source ?? 'live');
      }
      const rows = await segments.overlapping('cam-a', { startMs: T0 - 1, endMs: T0 + 86_400_000 });
      expect(rows.map((r) => [r.startMs - T0, r.durationMs])).toEqual([[0, 1_000], [1_000, 1_000], [2_000, 1_040]]);
      expect((await db.selectFrom('segments').select('created_ms').distinct().execute()).map((r) => Number(r.created_ms))).toEqual([T0 + 86_400_000]);

      const again = counting(store);
      const second = await reindex({ store: again.store, db, clock });
      expect(second).toEqual({ ...result, inserted: 0, alreadyIndexed: good().length });
      expect(again.gets()).toBe(2); // only the junk named like a segment (not an MP4, empty) is read again
      expect(await segments.countAndBytes('cam-a')).toEqual({ count: 3, bytes: fmp4[0]!.length + fmp4[1]!.length + fmp4[2]!.length });
    } finally {
      await db.destroy();
    }
  });

  it('limits itself to one camera when asked', async () => {
    const db = await freshDb();
    try {
      const result = await reindex({ store, db, cameraId: 'cam-b', concurrency: 1 });
      expect(result).toMatchObject({ scanned: 2, inserted: 1 });
      expect(result.skipped.map((s) => s.key)).toEqual([segmentKey('cam-b', T0, MAX_SEGMENT_DURATION_MS + 1)]);
      expect((await db.selectFrom('segments').select('camera_id').distinct().execute()).map((r) => r.camera_id)).toEqual(['cam-b']);
    } finally {
      await db.destroy();
    }
  });
});

describe('reindex while the store is down', () => {
  it('stops with store_unavailable instead of skipping everything', async () => {
    const own = await startMinio();
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(mkdtempSync(path.join(work, 'db-')), 'vigil.db') });
    try {
      const store = new MinioObjectStore({ endPoint: own.endPoint, port: own.port, useSSL: false, accessKey: own.accessKey, secretKey: own.secretKey, bucket: 'vigil' });
      await store.put(segmentKey('cam-a', T0, 1_000), fmp4[0]!);
      await own.stop({ hard: true });
      const e = await reindex({ store, db }).then(() => null, (err: unknown) => err);
      expect(isVigilError(e, 'store_unavailable')).toBe(true);
      expect(await new SegmentsRepo(db, () => T0).countAndBytes('cam-a')).toEqual({ count: 0, bytes: 0 });
    } finally {
      await db.destroy();
      await own.destroy();
    }
  });
});

// The `vigil reindex` command as a user runs it: a real process over an embedded install
// (fs store + SQLite), printing what it did; a second run finds everything already indexed.
describe('vigil reindex command', () => {
  it('rebuilds the index of an fs store and says what it did, idempotently', async () => {
    const dataDir = mkdtempSync(path.join(work, 'cli-'));
    const store = new FsObjectStore(path.join(dataDir, 'objects'));
    for (const [i, body] of fmp4.entries()) {
      await store.put(segmentKey('ward-3-counter-1', T0 + i * 1_000, 1_000), body);
    }
    await store.put('ward-3-counter-1/notes.txt', Buffer.from('not footage'));
    const configFile = path.join(dataDir, 'vigil.json');
    writeFileSync(configFile, JSON.stringify({ dataDir }));
    const cli = () => execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'reindex', '--config', configFile], { encoding: 'utf8' });
    const first = cli();
    expect(first).toMatch(/inserted:\s+3 segments/);
    expect(first).toMatch(/skipped:\s+1 object/);
    expect(first).toContain('ward-3-counter-1/notes.txt');
    const second = cli();
    expect(second).toMatch(/inserted:\s+0 segments/);
    expect(second).toMatch(/already indexed:\s+3 segments/);
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dataDir, 'vigil.db') });
    try {
      const rows = await new SegmentsRepo(db, () => T0).overlapping('ward-3-counter-1', { startMs: T0, endMs: T0 + 3_000 });
      expect(rows.map((r) => r.startMs)).toEqual([T0, T0 + 1_000, T0 + 2_000]);
      expect(rows[0]!.sha256).toBe(createHash('sha256').update(fmp4[0]!).digest('hex'));
    } finally {
      await db.destroy();
    }
  });
});
