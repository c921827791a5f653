import type { Dirent } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * The spool: local disk between ffmpeg and the object store.
 *
 *   <root>/<camera>/incoming/   files ffmpeg is writing (r<run>-NNNNNN.mp4)
 *   <root>/<camera>/ready/      closed segments, named <startMs>-<durationMs>.mp4
 *
 * Promotion is one rename, so a segment is either still incoming or ready with its timing in
 * its name; a crash at any moment leaves nothing half-described. The uploader takes ready
 * files; a file leaves the spool only after its object and index row exist.
 */
export interface ReadyFile {
  cameraId: string;
  startMs: number;
  durationMs: number;
  path: string;
  sizeBytes: number;
}

const READY_NAME = /^(\d{10,16})-(\d{1,9})\.mp4$/;

export class Spool {
  constructor(readonly root: string) {}

  incomingDir(cameraId: string): string {
    return path.join(this.root, cameraId, 'incoming');
  }

  readyDir(cameraId: string): string {
    return path.join(this.root, cameraId, 'ready');
  }

  async prepare(cameraId: string): Promise<void> {
    await mkdir(this.incomingDir(cameraId), { recursive: true });
    await mkdir(this.readyDir(cameraId), { recursive: true });
  }

  /** Moves a closed segment from incoming/ to ready/ under its timing name. */
  async promote(cameraId: string, incomingFile: string, startMs: number, durationMs: number): Promise<ReadyFile> {
    const from = path.isAbsolute(incomingFile) ? incomingFile : path.join(this.incomingDir(cameraId), incomingFile);
    const to = path.join(this.readyDir(cameraId), `${startMs}-${durationMs}.mp4`);
    await rename(from, to);
    const { size } = await stat(to);
    return { cameraId, startMs, durationMs, path: to, sizeBytes: size };
  }

  /** Every ready segment of every camera (or one), oldest first. */
  async listReady(cameraId?: string): Promise<ReadyFile[]> {
    const cameras = cameraId ? [cameraId] : await listDirs(this.root);
    const out: ReadyFile[] = [];
    for (const cam of cameras) {
      for (const name of await listNames(this.readyDir(cam))) {
        const m = READY_NAME.exec(name);
        if (!m) continue;
        const p = path.join(this.readyDir(cam), name);
        const size = await stat(p).then((s) => s.size, () => -1);
        if (size >= 0) out.push({ cameraId: cam, startMs: Number(m[1]), durationMs: Number(m[2]), path: p, sizeBytes: size });
      }
    }
    return out.sort((a, b) => a.startMs - b.startMs || a.cameraId.localeCompare(b.cameraId));
  }

  /** Files left in incoming/ (a run that was killed); the caller decides what to do. */
  async listIncoming(cameraId: string): Promise<string[]> {
    return (await listNames(this.incomingDir(cameraId))).map((n) => path.join(this.incomingDir(cameraId), n));
  }

  /**
   * Bytes on disk in the whole spool: every camera's incoming/ and ready/, and its backfill/
   * area (edge footage waiting for the store is on the same disk and counts against the
   * quota, though only live ready segments are ever dropped for room).
   */
  async usedBytes(): Promise<number> {
    let total = 0;
    for (const cam of await listDirs(this.root)) total += await treeBytes(path.join(this.root, cam));
    return total;
  }

  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }
}

/**
 * The spool quota policy, pure: when the spool is over quota, drop the oldest ready segments
 * (never one being uploaded) until it fits. Recording continues with the newest footage; the
 * dropped intervals become `spool_full` gaps. Returns what to drop.
 */
export function planSpoolDrops(ready: readonly ReadyFile[], usedBytes: number, quotaBytes: number, busy: ReadonlySet<string>): ReadyFile[] {
  const drops: ReadyFile[] = [];
  let used = usedBytes;
  for (const f of [...ready].sort((a, b) => a.startMs - b.startMs)) {
    if (used <= quotaBytes) break;
    if (busy.has(f.path)) continue;
    drops.push(f);
    used -= f.sizeBytes;
  }
  return drops;
}

/** Bytes of the files under a folder, at any depth (a file removed meanwhile counts 0). */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await entriesOf(dir)) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await treeBytes(p) : await stat(p).then((s) => s.size, () => 0);
  }
  return total;
}

/** A folder's entries; none when the folder does not exist (yet). */
async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function listNames(dir: string): Promise<string[]> {
  return (await entriesOf(dir)).map((d) => d.name);
}

async function listDirs(dir: string): Promise<string[]> {
  return (await entriesOf(dir)).filter((d) => d.isDirectory()).map((d) => d.name);
}
