import { createReadStream } from 'node:fs';
import { stat as statFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import { Client } from 'minio';
import { VigilError } from '../errors.ts';
import { assertByteRange, type ByteRange } from './byte-range.ts';
import { isMissingBucket, isMissingObject, minioError, type MinioPlace } from './minio-errors.ts';
import type { ObjectInfo, ObjectStore } from './object-store.ts';
import { normalizePutSource, type PutSource } from './put-source.ts';
import { assertListPrefix, assertObjectKey } from './store-keys.ts';

/**
 * MinIO or any S3-compatible server through the `minio` client. The bucket is made on first
 * use if missing. Every request is bounded: a socket idle for requestTimeoutMs (connecting,
 * waiting for an answer, or mid-body) is destroyed, so a dead or blackholed server fails fast
 * with store_unavailable instead of hanging the uploader. Retries are left to the callers
 * (the uploader backs off), so the client's own retry is off.
 */
export interface MinioSettings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Socket idle bound per request; default DEFAULT_MINIO_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

export const DEFAULT_MINIO_REQUEST_TIMEOUT_MS = 10_000;
/** Keys per DeleteObjects request: S3 accepts at most 1000. */
export const DELETE_BATCH = 1000;

export class MinioObjectStore implements ObjectStore {
  readonly kind = 'minio' as const;
  private readonly client: Client;
  private readonly place: MinioPlace;
  private bucketReady: Promise<void> | null = null;

  constructor(private readonly s: MinioSettings) {
    const timeoutMs = s.requestTimeoutMs ?? DEFAULT_MINIO_REQUEST_TIMEOUT_MS;
    this.place = { endPoint: s.endPoint, port: s.port, bucket: s.bucket, secretKey: s.secretKey, accessKey: s.accessKey, requestTimeoutMs: timeoutMs };
    const base = s.useSSL ? https : http;
    this.client = new Client({
      endPoint: s.endPoint,
      port: s.port,
      useSSL: s.useSSL,
      accessKey: s.accessKey,
      secretKey: s.secretKey,
      transport: boundedTransport(base, timeoutMs),
      transportAgent: new base.Agent({ keepAlive: true, maxSockets: 32 }),
      retryOptions: { disableRetry: true },
    });
  }

  async put(key: string, source: PutSource, opts: { contentType?: string } = {}): Promise<void> {
    assertObjectKey(key);
    const src = normalizePutSource(source);
    await this.ensureBucket();
    const meta = { 'Content-Type': opts.contentType ?? (key.endsWith('.mp4') ? 'video/mp4' : 'application/octet-stream') };
    try {
      if ('data' in src) {
        await this.client.putObject(this.s.bucket, key, src.data, src.data.length, meta);
      } else {
        const info = await statFile(src.filePath).catch(() => null);
        if (!info?.isFile()) throw new VigilError('not_found', `cannot store ${key}: the source file ${src.filePath} does not exist`);
        await this.client.putObject(this.s.bucket, key, createReadStream(src.filePath), info.size, meta);
      }
    } catch (e) {
      throw this.fail(e, `upload of ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertObjectKey(key);
    if (range) assertByteRange(range);
    let body: Readable;
    try {
      body = range
        ? await this.client.getPartialObject(this.s.bucket, key, range.start, range.end - range.start + 1)
        : await this.client.getObject(this.s.bucket, key);
    } catch (e) {
      if (isMissingObject(e)) throw new VigilError('not_found', `object ${key} does not exist`, {}, { cause: e });
      throw this.fail(e, `download of ${key}`);
    }
    // A failure mid-body (server gone, idle timeout) reaches the reader as store_unavailable too.
    const out = new PassThrough();
    body.once('error', (e) => out.destroy(this.fail(e, `download of ${key}`)));
    out.once('close', () => body.destroy());
    return body.pipe(out);
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertObjectKey(key);
    try {
      const s = await this.client.statObject(this.s.bucket, key);
      return { key, sizeBytes: s.size };
    } catch (e) {
      if (isMissingObject(e)) return null;
      throw this.fail(e, `stat of ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertListPrefix(prefix);
    await this.ensureBucket();
    const stream = this.client.listObjectsV2(this.s.bucket, prefix, true);
    try {
      for await (const item of stream as AsyncIterable<{ name?: string; size?: number }>) {
        if (item.name) yield { key: item.name, sizeBytes: item.size ?? 0 };
      }
    } catch (e) {
      throw this.fail(e, `listing of "${prefix}"`);
    } finally {
      stream.destroy();
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    keys.forEach(assertObjectKey);
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let failures: Array<{ Code?: string; Key?: string }>;
      try {
        failures = (await this.client.removeObjects(this.s.bucket, [...batch])) as Array<{ Code?: string; Key?: string }>;
      } catch (e) {
        if (isMissingBucket(e)) return; // no bucket, no objects: nothing to delete
        throw this.fail(e, `deletion of ${batch.length} objects`);
      }
      const real = failures.filter((f) => f.Code !== 'NoSuchKey');
      if (real.length > 0) {
        const first = real[0]!;
        throw this.fail(Object.assign(new Error(`${real.length} of ${batch.length} objects not deleted, first ${first.Key}`), { code: first.Code }), 'deletion');
      }
    }
  }

  /** Reaches the server and makes sure the bucket exists (made if missing). */
  async ping(): Promise<void> {
    this.bucketReady = null;
    await this.ensureBucket();
  }

  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      if (!(await this.client.bucketExists(this.s.bucket))) await this.client.makeBucket(this.s.bucket);
    })().catch((e: unknown) => {
      this.bucketReady = null;
      throw minioError(e, this.place, `the check of bucket "${this.s.bucket}"`);
    });
    return this.bucketReady;
  }

  private fail(e: unknown, action: string): VigilError {
    if (isMissingBucket(e)) this.bucketReady = null; // removed behind our back: check again next time
    return minioError(e, this.place, action);
  }
}

type Transport = Pick<typeof http, 'request'>;

/** http(s).request with an idle bound: a socket silent for timeoutMs is destroyed with ETIMEDOUT. */
function boundedTransport(base: Transport, timeoutMs: number): Transport {
  return {
    request: ((...args: Parameters<typeof http.request>) => {
      const req = (base.request as (...a: unknown[]) => http.ClientRequest)(...args);
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      return req;
    }) as typeof http.request,
  };
}
