import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import { VigilError } from '../src/errors.ts';
import { parseSegmentKey } from '../src/object-keys.ts';
import { FsObjectStore } from '../src/store/fs-store.ts';
import type { ObjectInfo, ObjectStore } from '../src/store/object-store.ts';

/**
 * The footage half of moving an embedded install (`vigil migrate`):
 *  - copyObjects: every object of an fs store folder into the configured store (MinIO), keys
 *    unchanged (segments and evidence packages alike). Idempotent: an object already there with
 *    the same size is skipped (objects are never rewritten in place); each copy is checked by
 *    its size afterwards.
 *  - checkIndexedObjects: every segment the index serves has its object in the store with the
 *    indexed size, by walking the index and the store listing side by side in key order (both
 *    are byte-ordered), so memory stays flat at millions of segments.
 */
export interface ObjectCopyResult {
  scanned: number;
  copied: number;
  alreadyThere: number;
  bytesCopied: number;
}

export async function copyObjects(o: { fromDir: string; to: ObjectStore; concurrency?: number; onProgress?: (r: ObjectCopyResult) => void }): Promise<ObjectCopyResult> {
  const root = path.resolve(o.fromDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new VigilError('config_invalid', `--copy-objects-from ${root} is not a folder`, { hint: 'Give the objects folder of the embedded install (storage.fsRoot, by default <dataDir>/objects).' });
  }
  if (o.to instanceof FsObjectStore && o.to.root === root) throw new VigilError('config_invalid', `--copy-objects-from ${root} is the configured store itself`, { hint: 'Point the configuration at the new store (storage.driver: minio) first.' });
  const from = new FsObjectStore(root);
  const result: ObjectCopyResult = { scanned: 0, copied: 0, alreadyThere: 0, bytesCopied: 0 };
  const listing = from.list('')[Symbol.asyncIterator]();
  let failed = false;
  const copyOne = async (obj: ObjectInfo) => {
    const there = await o.to.stat(obj.key);
    if (there?.sizeBytes === obj.sizeBytes) {
      result.alreadyThere++;
      return;
    }
    await o.to.put(obj.key, { filePath: path.join(root, ...obj.key.split('/')) });
    const after = await o.to.stat(obj.key);
    if (after?.sizeBytes !== obj.sizeBytes) {
      throw new VigilError('store_unavailable', `the copy of ${obj.key} has ${after?.sizeBytes ?? 'no'} bytes in the store, not ${obj.sizeBytes}`, { hint: 'Run the copy again; check the store’s free space and health.' });
    }
    result.copied++;
    result.bytesCopied += obj.sizeBytes;
  };
  const worker = async () => {
    while (!failed) {
      const next = await listing.next();
      if (next.done) return;
      result.scanned++;
      await copyOne(next.value);
      if (result.scanned % 1000 === 0) o.onProgress?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, () => worker().catch((e: unknown) => {
    failed = true;
    throw e;
  })));
  return result;
}

export interface IndexedObjectsCheck {
  /** Segments the index serves (not being deleted by retention). */
  indexed: number;
  present: number;
  /** Keys of indexed segments without an object, or with another size (the first 20). */
  problems: Array<{ key: string; problem: string }>;
  problemCount: number;
  /** Segment objects in the store with no index row (`vigil reindex` adds them). */
  segmentObjectsNotIndexed: number;
}

const PAGE = 5_000;
const LISTED = 20;

export async function checkIndexedObjects(db: Kysely<Database>, store: ObjectStore): Promise<IndexedObjectsCheck> {
  const r: IndexedObjectsCheck = { indexed: 0, present: 0, problems: [], problemCount: 0, segmentObjectsNotIndexed: 0 };
  const problem = (key: string, what: string) => {
    r.problemCount++;
    if (r.problems.length < LISTED) r.problems.push({ key, problem: what });
  };
  const listing = store.list('')[Symbol.asyncIterator]();
  let cur = await listing.next();
  const skipTo = async (key: string) => {
    while (!cur.done && cur.value.key < key) {
      if (parseSegmentKey(cur.value.key)) r.segmentObjectsNotIndexed++;
      cur = await listing.next();
    }
  };
  let after: string | null = null;
  for (;;) {
    let q = db.selectFrom('segments').select(['object_key', 'size_bytes']).where('deleting_ms', 'is', null).orderBy('object_key').limit(PAGE);
    if (after !== null) q = q.where('object_key', '>', after);
    const rows = await q.execute();
    for (const row of rows) {
      r.indexed++;
      await skipTo(row.object_key);
      if (!cur.done && cur.value.key === row.object_key) {
        if (cur.value.sizeBytes === Number(row.size_bytes)) r.present++;
        else problem(row.object_key, `has ${cur.value.sizeBytes} bytes in the store, ${Number(row.size_bytes)} in the index`);
        cur = await listing.next();
      } else {
        problem(row.object_key, 'is indexed but not in the store');
      }
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.object_key;
  }
  await skipTo('\u{10FFFF}');
  return r;
}
