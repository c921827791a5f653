import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { VigilError } from '../errors.ts';
import { assertSafeKey, type ObjectInfo, type ObjectStore } from './object-store.ts';

/**
 * The embedded object store: one file per object under a root folder. A put writes a temp
 * file, fsyncs it and renames it into place, so a reader never sees half an object.
 */
export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;

  constructor(readonly root: string) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const p = this.pathOf(key);
    const info = await stat(p).catch(() => null);
    if (!info) throw new VigilError('not_found', `object ${key} does not exist`);
    return createReadStream(p, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const info = await stat(this.pathOf(key)).catch(() => null);
    return info?.isFile() ? { key, sizeBytes: info.size } : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const walk = async function* (dir: string, rel: string): AsyncGenerator<ObjectInfo> {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) yield* walk(path.join(dir, e.name), key);
        else if (e.isFile() && !e.name.endsWith('.tmp') && key.startsWith(prefix)) {
          yield { key, sizeBytes: (await stat(path.join(dir, e.name))).size };
        }
      }
    };
    yield* walk(this.root, '');
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.pathOf(key), { force: true });
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      const probe = path.join(this.root, `.ping-${process.pid}`);
      const fh = await open(probe, 'w');
      await fh.close();
      await rm(probe, { force: true });
    } catch (e) {
      throw new VigilError('store_unavailable', `object folder ${this.root} is not writable (${(e as NodeJS.ErrnoException).code ?? e}); check the disk and its permissions`);
    }
  }
}
