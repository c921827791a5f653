import type { Readable } from 'node:stream';
import { VigilError } from '../errors.ts';
import type { ByteRange } from './byte-range.ts';
import type { PutSource } from './put-source.ts';
import { FsObjectStore } from './fs-store.ts';
import { MinioObjectStore } from './minio-store.ts';

export type { ByteRange } from './byte-range.ts';
export type { PutSource } from './put-source.ts';

/**
 * Object storage behind one interface: `fs` (embedded default, files under a folder) and
 * `minio` (MinIO or any S3-compatible server). Both drivers pass the same contract suite
 * (test/integration/object-store.test.ts). Keys follow src/store/store-keys.ts.
 */
export interface ObjectInfo {
  key: string;
  sizeBytes: number;
}

export interface ObjectStore {
  readonly kind: 'fs' | 'minio';
  /**
   * Stores the object whole or not at all. Idempotent: the same key with the same bytes may be
   * put again. A missing source file is VigilError('not_found').
   */
  put(key: string, source: PutSource, opts?: { contentType?: string }): Promise<void>;
  /**
   * The object's bytes, or the inclusive range [start, end] (an end past the object is cut
   * to its last byte). Missing object: not_found; start past the end: range_not_satisfiable.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the object, or null when it does not exist. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with prefix, in key order ('' = all). */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes the keys; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Checks the store is reachable and writable; else VigilError('store_unavailable') saying what and how to fix. */
  ping(): Promise<void>;
}

/** The `storage` section of the resolved configuration (fsRoot made absolute by the loader). */
export interface StorageSettings {
  driver: 'fs' | 'minio';
  fsRoot: string;
  minio?: { endPoint: string; port: number; useSSL: boolean; accessKey: string; secretKey: string; bucket: string } | undefined;
}

/** Builds the configured driver. Nothing is contacted until the first call (use ping() at start-up). */
export function createObjectStore(config: { storage: StorageSettings }, opts: { requestTimeoutMs?: number } = {}): ObjectStore {
  const s = config.storage;
  if (s.driver === 'minio') {
    if (!s.minio) throw new VigilError('config_invalid', 'storage.minio is required when storage.driver is "minio" (endPoint, accessKey, secretKey, bucket)');
    return new MinioObjectStore({ ...s.minio, ...opts });
  }
  return new FsObjectStore(s.fsRoot);
}
