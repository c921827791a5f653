import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { VigilError } from '../errors.ts';
import { clampByteRange, type ByteRange } from './byte-range.ts';
import type { ObjectInfo, ObjectStore } from './object-store.ts';
import { normalizePutSource, type PutSource } from './put-source.ts';
import { assertListPrefix, assertObjectKey } from './store-keys.ts';

/**
 * The embedded object store: one file per object under a root folder, the key's parts as
 * folders. A put writes a temp file in <root>/.tmp, fsyncs it, renames it into place and
 * fsyncs the folder, so a reader (or a crash) never sees half an object. Names starting with
 * '.' are never keys (store-keys.ts), so temp files and probes never show in a listing.
 * Deleting the last object of a folder removes the emptied folders up to the root.
 */
const TMP_DIR = '.tmp';

type Errno = NodeJS.ErrnoException;
const errnoOf = (e: unknown) => (e as Errno | undefined)?.code;

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, source: PutSource, _opts: { contentType?: string } = {}): Promise<void> {
    const target = this.pathOf(key);
    const tmpDir = path.join(this.root, TMP_DIR);
    const tmp = path.join(tmpDir, `${randomUUID()}.part`);
    const src = normalizePutSource(source);
    try {
      await mkdir(tmpDir, { recursive: true });
      if ('filePath' in src) {
        await copyFile(src.filePath, tmp).catch(async (e: unknown) => {
          const sourceGone = errnoOf(e) === 'ENOENT' && !(await stat(src.filePath).catch(() => null));
          if (sourceGone) throw new VigilError('not_found', `cannot store ${key}: the source file ${src.filePath} does not exist`, {}, { cause: e });
          throw e;
        });
        await syncFile(tmp);
      } else {
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(src.data);
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      await this.renameIntoPlace(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw this.wrap(e, `store ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    const fh = await open(file, 'r').catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') throw notFound(key);
      throw this.wrap(e, `read ${key}`);
    });
    try {
      const info = await fh.stat();
      if (!info.isFile()) throw notFound(key);
      const r = range ? clampByteRange(range, info.size, key) : undefined;
      return fh.createReadStream(r ? { start: r.start, end: r.end } : {});
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const info = await stat(this.pathOf(key)).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null;
      throw this.wrap(e, `stat ${key}`);
    });
    return info?.isFile() ? { key, sizeBytes: info.size } : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertListPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const startRel = slash < 0 ? '' : prefix.slice(0, slash);
    yield* this.walk(startRel, prefix);
  }

  async delete(keys: readonly string[]): Promise<void> {
    const files = keys.map((k) => this.pathOf(k));
    for (const file of files) {
      await rm(file, { force: true }).catch((e: unknown) => {
        throw this.wrap(e, `delete ${path.relative(this.root, file)}`);
      });
      await this.pruneEmptyFolders(path.dirname(file));
    }
  }

  async ping(): Promise<void> {
    const probe = path.join(this.root, TMP_DIR, `ping-${randomUUID()}`);
    try {
      await mkdir(path.dirname(probe), { recursive: true });
      const fh = await open(probe, 'w');
      await fh.close();
      await rm(probe, { force: true });
    } catch (e) {
      throw this.wrap(e, 'write a probe file');
    }
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  /** Depth-first in key order: a folder sorts as its name + '/', as its keys would. */
  private async *walk(rel: string, prefix: string): AsyncGenerator<ObjectInfo> {
    const dir = path.join(this.root, ...(rel ? rel.split('/') : []));
    const entries = await readdir(dir, { withFileTypes: true }).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return [];
      throw this.wrap(e, `list ${rel || '/'}`);
    });
    const named = entries
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()))
      .map((e) => ({ e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const { e } of named) {
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        const asFolder = `${key}/`;
        if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) yield* this.walk(key, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await stat(path.join(dir, e.name)).catch(() => null); // deleted meanwhile: skip
        if (info) yield { key, sizeBytes: info.size };
      }
    }
  }

  /** Renames into place; a folder pruned by a concurrent delete is made again. */
  private async renameIntoPlace(tmp: string, target: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await mkdir(path.dirname(target), { recursive: true });
      try {
        await rename(tmp, target);
        break;
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT' || attempt >= 3) throw e;
      }
    }
    await syncFile(path.dirname(target));
  }

  private async pruneEmptyFolders(dir: string): Promise<void> {
    while (dir.startsWith(this.root + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      dir = path.dirname(dir);
    }
  }

  private wrap(e: unknown, what: string): unknown {
    if (e instanceof VigilError) return e;
    const code = errnoOf(e) ?? 'error';
    const fix =
      code === 'ENOSPC' ? 'free disk space or move storage.fsRoot to a larger disk'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'give the Vigil user write access to it'
      : 'check the disk and storage.fsRoot';
    return new VigilError('store_unavailable', `object folder ${this.root}: cannot ${what} (${code}); ${fix}`, { hint: fix }, { cause: e });
  }
}

function notFound(key: string): VigilError {
  return new VigilError('not_found', `object ${key} does not exist`);
}

/** fsync of a file or a folder (a folder's fsync makes a rename in it durable). */
async function syncFile(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
