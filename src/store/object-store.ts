import type { Readable } from 'node:stream';
import { VigilError } from '../errors.ts';
import type { ResolvedConfig } from '../config/load.ts';
import { FsObjectStore } from './fs-store.ts';
import { MinioObjectStore } from './minio-store.ts';

/** Object storage behind one interface: `fs` (embedded default) and `minio` (any S3 server). */
export interface ObjectInfo {
  key: string;
  sizeBytes: number;
}

export interface ObjectStore {
  readonly kind: 'fs' | 'minio';
  /** Idempotent: the same key with the same bytes may be put again. */
  put(key: string, data: Buffer, opts?: { contentType?: string }): Promise<void>;
  /** The object's bytes, or the inclusive byte range [start, end]. */
  get(key: string, range?: { start: number; end: number }): Promise<Readable>;
  stat(key: string): Promise<ObjectInfo | null>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Throws VigilError('store_unavailable') saying what and how to fix. */
  ping(): Promise<void>;
}

/** Keys are relative paths of safe characters; nothing can climb out of the store. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(key) || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new VigilError('invalid_range', `"${key}" is not a valid object key`);
  }
}

export function createObjectStore(cfg: Pick<ResolvedConfig, 'storage'>): ObjectStore {
  if (cfg.storage.driver === 'minio') {
    if (!cfg.storage.minio) throw new VigilError('config_invalid', 'storage.minio is required when storage.driver is "minio"');
    return new MinioObjectStore(cfg.storage.minio);
  }
  return new FsObjectStore(cfg.storage.fsRoot);
}
