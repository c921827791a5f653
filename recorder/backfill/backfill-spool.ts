import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ReadyFile } from '../spool.ts';

/**
 * The backfill area of the spool: `<spool>/<camera>/backfill/`, where the edge fetcher leaves
 * finished segments named `<startMs>-<durationMs>.mp4` (recorder clock). Apart from ready/, so
 * the live uploader and the spool quota policy never take them; the backfill uploader does,
 * and a file leaves only after its object and row exist (or it is refused).
 */
const NAME = /^(\d{10,16})-(\d{1,9})\.mp4$/;

export function backfillDir(spoolRoot: string, cameraId: string): string {
  return path.join(spoolRoot, cameraId, 'backfill');
}

export async function prepareBackfillDir(spoolRoot: string, cameraId: string): Promise<string> {
  const dir = backfillDir(spoolRoot, cameraId);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * Finished segment files waiting in a camera's backfill area, oldest first. Other names are
 * temporary files of a fetch that was cut off (the fetcher renames a file only when complete):
 * with removeUnfinished (no fetch of this camera running) they are deleted.
 */
export async function listBackfillFiles(spoolRoot: string, cameraId: string, opts: { removeUnfinished?: boolean } = {}): Promise<ReadyFile[]> {
  const dir = backfillDir(spoolRoot, cameraId);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: ReadyFile[] = [];
  for (const name of names) {
    const p = path.join(dir, name);
    const m = NAME.exec(name);
    if (!m) {
      if (opts.removeUnfinished) await rm(p, { force: true, recursive: true });
      continue;
    }
    const size = await stat(p).then((s) => s.size, () => -1);
    if (size >= 0) out.push({ cameraId, startMs: Number(m[1]), durationMs: Number(m[2]), path: p, sizeBytes: size });
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}
