import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Builds directories of the media cache exactly once, safely against concurrent callers: in
 * this process (one promise per directory), and across processes (several vitest workers) by a
 * lock directory holding the builder's pid. The content is built in a temporary directory and
 * renamed into place, so a reader never sees half a loop; a lock whose process is gone is taken over.
 */

const inFlight = new Map<string, Promise<void>>();

/** Builds `dir` once: build() fills a temporary directory, which is then renamed into place. */
export function ensureBuilt(dir: string, marker: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  let p = inFlight.get(dir);
  if (!p) {
    p = buildOnce(dir, marker, build).finally(() => inFlight.delete(dir));
    inFlight.set(dir, p);
  }
  return p;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function buildOnce(dir: string, marker: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  if (await exists(join(dir, marker))) return;
  await mkdir(resolve(dir, '..'), { recursive: true });
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  while (!(await tryLock(lock))) {
    // Someone else is encoding this loop: wait for it to land (or for its lock to go stale).
    if (await exists(join(dir, marker))) return;
    if (Date.now() > deadline) throw new Error(`sim media: timed out waiting for ${lock}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    if (await exists(join(dir, marker))) return;
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    try {
      await build(tmp);
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      // A concurrent builder that ignored our lock may have won the rename: that is fine.
      if (!(await exists(join(dir, marker)))) throw err;
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** Takes the lock directory; a lock whose owner process is gone is taken over. */
async function tryLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
    await writeFile(join(lock, 'pid'), String(process.pid));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
  const ageMs = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
  const ownerAlive = pid > 0 ? isAlive(pid) : ageMs < 5_000; // no pid yet: it is being written
  if (!ownerAlive) await rm(lock, { recursive: true, force: true });
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
