import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { VigilError } from '../../src/errors.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let minio: MinioServer;
beforeAll(async () => {
  minio = await startMinio();
});
afterAll(async () => {
  await minio?.destroy();
});

const drivers: Array<[string, () => ObjectStore]> = [
  ['fs', () => new FsObjectStore(mkdtempSync(path.join(tmpdir(), 'vigil-objects-')))],
  ['minio', () => new MinioObjectStore({ endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: `t-${Math.random().toString(36).slice(2, 10)}` })],
];

describe.each(drivers)('object store contract: %s', (_name, make) => {
  it('puts, gets, ranges, stats, lists and deletes', async () => {
    const store = make();
    await store.ping();
    const body = Buffer.from('0123456789abcdef');
    await store.put('cam-1/2026/01/05/02/1767578400000-10000.mp4', body);
    await store.put('cam-1/2026/01/05/02/1767578400000-10000.mp4', body); // idempotent
    await store.put('cam-2/2026/01/05/02/1767578400000-10000.mp4', Buffer.from('x'));
    expect(await readAll(await store.get('cam-1/2026/01/05/02/1767578400000-10000.mp4'))).toEqual(body);
    expect((await readAll(await store.get('cam-1/2026/01/05/02/1767578400000-10000.mp4', { start: 4, end: 7 }))).toString()).toBe('4567');
    expect(await store.stat('cam-1/2026/01/05/02/1767578400000-10000.mp4')).toEqual({ key: 'cam-1/2026/01/05/02/1767578400000-10000.mp4', sizeBytes: 16 });
    expect(await store.stat('cam-1/none.mp4')).toBeNull();
    const listed: string[] = [];
    for await (const o of store.list('cam-1/')) listed.push(o.key);
    expect(listed).toEqual(['cam-1/2026/01/05/02/1767578400000-10000.mp4']);
    await store.delete(['cam-1/2026/01/05/02/1767578400000-10000.mp4', 'cam-1/missing.mp4']);
    expect(await store.stat('cam-1/2026/01/05/02/1767578400000-10000.mp4')).toBeNull();
    await expect(store.get('cam-1/2026/01/05/02/1767578400000-10000.mp4')).rejects.toMatchObject({ code: 'not_found' });
  });

  it.each(['../etc/passwd', 'a/../../b', '/abs', 'a//b', ''])('rejects the key %j', async (key) => {
    await expect(make().put(key, Buffer.from('x'))).rejects.toBeInstanceOf(VigilError);
  });
});

describe('minio store while MinIO is down', () => {
  it('fails fast with store_unavailable and no secret in the message', async () => {
    const store = drivers[1]![1]();
    await store.ping();
    await minio.stop({ hard: true });
    try {
      const err = await store.put('cam-1/2026/01/05/02/1767578400000-10000.mp4', Buffer.from('x')).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('store_unavailable');
      expect((err as VigilError).message).toMatch(/does not answer/);
      expect((err as VigilError).message).not.toContain(minio.secretKey);
    } finally {
      await minio.restart();
    }
    await store.put('cam-1/2026/01/05/02/1767578400000-10000.mp4', Buffer.from('x'));
  });
});
