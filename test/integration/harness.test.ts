import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { tempSqlite } from '../helpers/sqlite.ts';

describe('real MinIO server', () => {
  let minio: MinioServer;
  beforeAll(async () => {
    minio = await startMinio({ buckets: ['vigil-test'] });
  });
  afterAll(async () => {
    await minio?.destroy();
  });

  it('round-trips an object put and get', async () => {
    const body = randomBytes(256 * 1024);
    await minio.client.putObject('vigil-test', 'cam-1/2026/01/05/02/1767578400000-10000.mp4', body, body.length, {
      'Content-Type': 'video/mp4',
    });
    const stream = await minio.client.getObject('vigil-test', 'cam-1/2026/01/05/02/1767578400000-10000.mp4');
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const got = Buffer.concat(chunks);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    const stat = await minio.client.statObject('vigil-test', 'cam-1/2026/01/05/02/1767578400000-10000.mp4');
    expect(stat.size).toBe(body.length);
  });

  it('keeps data across a kill -9 and restart', async () => {
    await minio.client.putObject('vigil-test', 'survives.txt', Buffer.from('still here'));
    await minio.stop({ hard: true });
    await expect(minio.client.statObject('vigil-test', 'survives.txt')).rejects.toThrow();
    await minio.restart();
    const stat = await minio.client.statObject('vigil-test', 'survives.txt');
    expect(stat.size).toBe('still here'.length);
  });
});

describe('temp SQLite', () => {
  it('is a real SQLite file with WAL', () => {
    const { db, cleanup, file } = tempSqlite();
    try {
      db.exec('create table t (x integer)');
      db.prepare('insert into t values (?)').run(42);
      expect(db.prepare('select x from t').get()).toEqual({ x: 42 });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(file).toMatch(/vigil\.db$/);
    } finally {
      cleanup();
    }
  });
});
