import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { FsObjectStore } from '../../src/store/fs-store.ts';
import { MinioObjectStore, type MinioSettings } from '../../src/store/minio-store.ts';
import { createObjectStore, type ObjectStore } from '../../src/store/object-store.ts';
import { isVigilError, type ErrorCode } from '../../src/errors.ts';
import { validateConfig } from '../../src/config/load.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}
/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}
async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const e = await rejection(p);
  expect(isVigilError(e) ? e.code : e).toBe(code);
}

const KEY = 'cam-1/2026/01/05/02/1767578400000-10000.mp4';
const BODY = Buffer.from('0123456789abcdef');
let tempDirs: string[] = [];
const tempDir = (tag: string) => {
  const d = mkdtempSync(path.join(tmpdir(), `vigil-${tag}-`));
  tempDirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs = [];
});

let minio: MinioServer;
beforeAll(async () => {
  minio = await startMinio();
});
afterAll(async () => {
  await minio?.destroy();
});

const minioSettings = (over: Partial<MinioSettings> = {}): MinioSettings => ({
  endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey,
  bucket: `t-${randomBytes(5).toString('hex')}`, ...over,
});

const drivers: Array<[string, () => ObjectStore]> = [
  ['fs', () => new FsObjectStore(path.join(tempDir('objects'), 'root'))],
  ['minio', () => new MinioObjectStore(minioSettings())],
];

describe.each(drivers)('object store contract: %s', (_name, make) => {
  let store: ObjectStore;
  beforeEach(async () => {
    store = make();
    await store.ping();
  });

  it('stores bytes and gives them back whole, with their size', async () => {
    await store.put(KEY, BODY);
    expect(await readAll(await store.get(KEY))).toEqual(BODY);
    expect(await store.stat(KEY)).toEqual({ key: KEY, sizeBytes: 16 });
  });

  it('stores from { data } and from { filePath } alike (a 3 MiB file)', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 7);
    const file = path.join(tempDir('src'), 'segment.mp4');
    writeFileSync(file, big);
    await store.put('cam-1/a.mp4', { filePath: file }, { contentType: 'video/mp4' });
    await store.put('cam-1/b.mp4', { data: big });
    expect((await readAll(await store.get('cam-1/a.mp4'))).equals(big)).toBe(true);
    expect((await readAll(await store.get('cam-1/b.mp4'))).equals(big)).toBe(true);
    expect(await store.stat('cam-1/a.mp4')).toEqual({ key: 'cam-1/a.mp4', sizeBytes: big.length });
  });

  it('accepts the same put again (idempotent) and also a concurrent one', async () => {
    await store.put(KEY, BODY);
    await store.put(KEY, BODY);
    await Promise.all([store.put(KEY, BODY), store.put(KEY, BODY), store.put(KEY, BODY)]);
    expect(await listKeys(store, '')).toEqual([KEY]);
    expect(await readAll(await store.get(KEY))).toEqual(BODY);
  });

  it('refuses a missing source file with not_found and stores nothing', async () => {
    await expectCode(store.put(KEY, { filePath: path.join(tempDir('src'), 'gone.mp4') }), 'not_found');
    expect(await store.stat(KEY)).toBeNull();
    expect(await listKeys(store, '')).toEqual([]);
  });

  it.each([
    [{ start: 0, end: 0 }, '0'],
    [{ start: 4, end: 7 }, '4567'],
    [{ start: 10, end: 15 }, 'abcdef'],
    [{ start: 12, end: 1000 }, 'cdef'],
  ])('serves the byte range %j', async (range, expected) => {
    await store.put(KEY, BODY);
    expect((await readAll(await store.get(KEY, range))).toString()).toBe(expected);
  });

  it.each([
    [{ start: 16, end: 20 }],
    [{ start: 7, end: 4 }],
    [{ start: -1, end: 4 }],
  ])('refuses the byte range %j with range_not_satisfiable', async (range) => {
    await store.put(KEY, BODY);
    await expectCode(store.get(KEY, range), 'range_not_satisfiable');
  });

  it('says not_found for a missing object and null for its stat', async () => {
    await expectCode(store.get(KEY), 'not_found');
    await expectCode(store.get(KEY, { start: 0, end: 1 }), 'not_found');
    expect(await store.stat(KEY)).toBeNull();
    expect(await store.stat('cam-1/2026')).toBeNull();
  });

  it('lists by prefix in key order, one camera not matching another', async () => {
    const keys = [
      'cam-10/2026/01/05/02/1767578400000-10000.mp4',
      'cam-1/2026/01/05/03/1767582000000-10000.mp4',
      'cam-1/2026/01/05/02/1767578410000-10000.mp4',
      'cam-1/2026/01/05/02/1767578400000-10000.mp4',
      'cam-1/2026/01/06/00/1767657600000-9000.mp4',
      'cam-1-b/x.mp4',
      'cam-1/2026/01/05/02.mp4',
    ];
    for (const k of keys) await store.put(k, Buffer.from(k));
    expect(await listKeys(store, 'cam-1/')).toEqual([
      'cam-1/2026/01/05/02.mp4',
      'cam-1/2026/01/05/02/1767578400000-10000.mp4',
      'cam-1/2026/01/05/02/1767578410000-10000.mp4',
      'cam-1/2026/01/05/03/1767582000000-10000.mp4',
      'cam-1/2026/01/06/00/1767657600000-9000.mp4',
    ]);
    expect(await listKeys(store, 'cam-1/2026/01/05/0')).toHaveLength(4);
    expect(await listKeys(store, '')).toEqual([...keys].sort());
    expect(await listKeys(store, 'cam-2/')).toEqual([]);
    const sized: number[] = [];
    for await (const o of store.list('cam-10/')) sized.push(o.sizeBytes);
    expect(sized).toEqual([keys[0]!.length]);
  });

  it('deletes what it is asked to, ignores missing keys, and handles more than one batch', async () => {
    const many = Array.from({ length: 1_005 }, (_, i) => `cam-9/${String(i).padStart(4, '0')}.mp4`);
    for (let i = 0; i < many.length; i += 50) await Promise.all(many.slice(i, i + 50).map((k) => store.put(k, Buffer.from('x'))));
    await store.put(KEY, BODY);
    await store.delete([...many, 'cam-9/never-there.mp4']);
    expect(await listKeys(store, 'cam-9/')).toEqual([]);
    expect(await listKeys(store, '')).toEqual([KEY]);
    await store.delete([KEY, KEY]);
    await store.delete([]);
    expect(await store.stat(KEY)).toBeNull();
  });

  it.each(['../etc/passwd', 'a/../../b', '/abs', 'a//b', '', '.tmp/x', 'a\\..\\b'])('rejects the key %j in every call', async (key) => {
    await expectCode(store.put(key, Buffer.from('x')), 'invalid_object_key');
    await expectCode(store.get(key), 'invalid_object_key');
    await expectCode(store.stat(key), 'invalid_object_key');
    await expectCode(store.delete([key]), 'invalid_object_key');
  });

  it.each(['../', '/etc', 'a//'])('rejects the listing prefix %j', async (prefix) => {
    await expectCode(listKeys(store, prefix), 'invalid_object_key');
  });
});

describe('fs store specifics', () => {
  it('keeps temp files and probes out of listings and removes emptied folders', async () => {
    const root = path.join(tempDir('objects'), 'root');
    const store = new FsObjectStore(root);
    await store.put(KEY, BODY);
    mkdirSync(path.join(root, '.tmp'), { recursive: true });
    writeFileSync(path.join(root, '.tmp', 'leftover.part'), 'half a segment');
    expect(await listKeys(store, '')).toEqual([KEY]);
    await store.delete([KEY]);
    expect(readdirSync(root)).toEqual(['.tmp']);
  });

  it('never writes outside its root, whatever the key', async () => {
    const parent = tempDir('objects');
    const store = new FsObjectStore(path.join(parent, 'root'));
    for (const key of ['../escaped', '../../escaped', 'a/../../escaped']) {
      await expectCode(store.put(key, Buffer.from('x')), 'invalid_object_key');
    }
    expect(existsSync(path.join(parent, 'escaped'))).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('ping says which folder cannot be written', async () => {
    const file = path.join(tempDir('objects'), 'a-file');
    writeFileSync(file, 'not a folder');
    const e = await rejection(new FsObjectStore(path.join(file, 'root')).ping());
    expect(isVigilError(e, 'store_unavailable')).toBe(true);
    expect((e as Error).message).toContain(path.join(file, 'root'));
  });
});

describe('minio store specifics', () => {
  it('makes its bucket when missing', async () => {
    const s = minioSettings();
    expect(await minio.client.bucketExists(s.bucket)).toBe(false);
    await new MinioObjectStore(s).put(KEY, BODY);
    expect(await minio.client.bucketExists(s.bucket)).toBe(true);
  });

  it('says the credentials are wrong without showing them', async () => {
    const store = new MinioObjectStore(minioSettings({ secretKey: 'not-the-secret-at-all' }));
    const e = await rejection(store.ping());
    expect(isVigilError(e, 'store_unavailable')).toBe(true);
    expect((e as Error).message).toMatch(/refused Vigil's credentials \(SignatureDoesNotMatch\)/);
    expect((e as Error).message).not.toContain('not-the-secret-at-all');
    expect((e as Error).message).not.toContain(minio.accessKey);
  });

  it('gives up on a server that accepts connections but never answers, after its timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const settings = minioSettings({ port, requestTimeoutMs: 300 });
      const store = new MinioObjectStore(settings);
      const began = Date.now();
      const e = await rejection(store.ping());
      const tookMs = Date.now() - began;
      expect(isVigilError(e, 'store_unavailable')).toBe(true);
      expect((e as Error).message).toBe(`object store at 127.0.0.1:${port} did not answer within 300 ms during the check of bucket "${settings.bucket}"; is MinIO running and reachable?`);
      expect(sockets.length).toBeGreaterThan(0); // it did connect: the bound is on the answer
      expect(tookMs).toBeLessThan(5_000); // bounded by the timeout, not by the OS (minutes)
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('minio store while MinIO is down', () => {
  let own: MinioServer;
  beforeAll(async () => {
    own = await startMinio();
  });
  afterAll(async () => {
    await own?.destroy();
  });

  it('fails every call fast with store_unavailable naming the endpoint, never the secret, and recovers', async () => {
    const store = new MinioObjectStore({ endPoint: own.endPoint, port: own.port, useSSL: false, accessKey: own.accessKey, secretKey: own.secretKey, bucket: 'vigil' });
    await store.put(KEY, BODY);
    await own.stop({ hard: true });
    try {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['ping', () => store.ping()],
        ['put', () => store.put(KEY, BODY)],
        ['get', () => store.get(KEY)],
        ['stat', () => store.stat(KEY)],
        ['list', () => listKeys(store, '')],
        ['delete', () => store.delete([KEY])],
      ];
      for (const [name, call] of calls) {
        const began = Date.now();
        const e = await rejection(call());
        expect(isVigilError(e, 'store_unavailable'), `${name}: ${String(e)}`).toBe(true);
        const message = (e as Error).message;
        // A kept-alive socket from before the kill answers the first call with a reset;
        // new connections are refused. Both mean the server is gone and are named as such.
        expect(message).toMatch(new RegExp(`^object store at 127\\.0\\.0\\.1:${own.port} does not answer \\((ECONNREFUSED|ECONNRESET)\\) during .+; is MinIO running and reachable\\?$`));
        expect(message).not.toContain(own.secretKey);
        expect(Date.now() - began, name).toBeLessThan(5_000);
      }
    } finally {
      await own.restart();
    }
    expect(await readAll(await store.get(KEY))).toEqual(BODY);
    await store.put(KEY, BODY);
  });
});

describe('createObjectStore', () => {
  it('builds the fs store from the default configuration', async () => {
    const cwd = tempDir('cfg');
    const store = createObjectStore(validateConfig({}, { env: {}, cwd }));
    expect(store.kind).toBe('fs');
    await store.put(KEY, BODY);
    expect(existsSync(path.join(cwd, 'data/objects', ...KEY.split('/')))).toBe(true);
  });

  it('builds the minio store from the storage section', async () => {
    const config = validateConfig(
      { storage: { driver: 'minio', minio: { endPoint: minio.endPoint, port: minio.port, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: 'from-config' } } },
      { env: {}, cwd: tempDir('cfg') },
    );
    const store = createObjectStore(config);
    expect(store.kind).toBe('minio');
    await store.ping();
    expect(await minio.client.bucketExists('from-config')).toBe(true);
  });
});
