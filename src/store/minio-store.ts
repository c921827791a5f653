import { Client } from 'minio';
import type { Readable } from 'node:stream';
import { VigilError } from '../errors.ts';
import { redactText } from '../redact.ts';
import { assertSafeKey, type ObjectInfo, type ObjectStore } from './object-store.ts';

/** MinIO or any S3-compatible server through the `minio` client. Creates its bucket if missing. */
export interface MinioSettings {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

const NETWORK_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|timeout/i;

export class MinioObjectStore implements ObjectStore {
  readonly kind = 'minio' as const;
  private readonly client: Client;
  private bucketReady: Promise<void> | null = null;

  constructor(private readonly s: MinioSettings) {
    this.client = new Client({ endPoint: s.endPoint, port: s.port, useSSL: s.useSSL, accessKey: s.accessKey, secretKey: s.secretKey });
  }

  private where(): string {
    return `${this.s.useSSL ? 'https' : 'http'}://${this.s.endPoint}:${this.s.port}/${this.s.bucket}`;
  }

  /** Network failures become store_unavailable; the message never carries the secret key. */
  private wrap(e: unknown, what: string): VigilError {
    const err = e as NodeJS.ErrnoException & { code?: string };
    const text = redactText(`${err?.code ?? ''} ${err?.message ?? String(e)}`).replace(this.s.secretKey, '[redacted]');
    if (NETWORK_ERROR.test(text) || err?.code === 'ECONNREFUSED') {
      return new VigilError('store_unavailable', `object store at ${this.where()} does not answer (${(err?.code ?? err?.message ?? '').toString().slice(0, 60)}) during ${what}; is MinIO running and reachable?`);
    }
    if (/AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/i.test(text)) {
      return new VigilError('store_unavailable', `object store at ${this.where()} refused the access key during ${what}; check storage.minio.accessKey and secretKey`);
    }
    return new VigilError('store_unavailable', `object store at ${this.where()} failed during ${what}: ${text.trim().slice(0, 160)}`);
  }

  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      if (!(await this.client.bucketExists(this.s.bucket))) await this.client.makeBucket(this.s.bucket);
    })().catch((e: unknown) => {
      this.bucketReady = null;
      throw this.wrap(e, 'bucket check');
    });
    return this.bucketReady;
  }

  async put(key: string, data: Buffer, opts: { contentType?: string } = {}): Promise<void> {
    assertSafeKey(key);
    await this.ensureBucket();
    await this.client.putObject(this.s.bucket, key, data, data.length, { 'Content-Type': opts.contentType ?? 'video/mp4' }).catch((e: unknown) => {
      throw this.wrap(e, `upload of ${key}`);
    });
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    assertSafeKey(key);
    try {
      return range
        ? await this.client.getPartialObject(this.s.bucket, key, range.start, range.end - range.start + 1)
        : await this.client.getObject(this.s.bucket, key);
    } catch (e) {
      if ((e as { code?: string }).code === 'NoSuchKey') throw new VigilError('not_found', `object ${key} does not exist`);
      throw this.wrap(e, `download of ${key}`);
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertSafeKey(key);
    try {
      const s = await this.client.statObject(this.s.bucket, key);
      return { key, sizeBytes: s.size };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'NotFound' || code === 'NoSuchKey') return null;
      throw this.wrap(e, `stat of ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    await this.ensureBucket();
    const stream = this.client.listObjectsV2(this.s.bucket, prefix, true);
    try {
      for await (const item of stream as AsyncIterable<{ name?: string; size?: number }>) {
        if (item.name) yield { key: item.name, sizeBytes: item.size ?? 0 };
      }
    } catch (e) {
      throw this.wrap(e, `listing of ${prefix || '/'}`);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      batch.forEach(assertSafeKey);
      await this.client.removeObjects(this.s.bucket, [...batch]).catch((e: unknown) => {
        throw this.wrap(e, `deletion of ${batch.length} objects`);
      });
    }
  }

  async ping(): Promise<void> {
    this.bucketReady = null;
    await this.ensureBucket();
  }
}
