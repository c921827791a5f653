import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { VigilError } from '../src/errors.ts';

/**
 * Replaces a file whole or not at all: the text goes to a temp file beside it (same folder, so
 * the rename stays on one filesystem), is flushed to disk, then renamed over the target and the
 * folder flushed. A crash leaves either the old file or the new one, never half of each.
 *
 * The temp file is created with the final mode, so a secret in it is never readable by others,
 * not even for a moment. The previous owner is kept when we may (root editing a file owned by
 * the service user); when we may not, the result says so.
 */
export interface AtomicWriteResult {
  /** Set when the file had another owner that could not be kept. */
  ownerChanged: { fromUid: number; toUid: number } | null;
}

export async function writeFileAtomic(file: string, text: string, opts: { mode: number }): Promise<AtomicWriteResult> {
  const dir = path.dirname(file);
  const before = await stat(file).catch(() => null);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let ownerChanged: AtomicWriteResult['ownerChanged'] = null;
  try {
    const fh = await open(tmp, 'wx', opts.mode);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.chmod(opts.mode); // the umask may have taken bits away at creation; set exactly
      if (before && process.getuid && before.uid !== process.getuid()) {
        await fh.chown(before.uid, before.gid).catch(() => {
          ownerChanged = { fromUid: before.uid, toUid: process.getuid!() };
        });
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    const missingFolder = code === 'ENOENT';
    const why = missingFolder ? `the folder ${dir} does not exist` : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : code;
    const hint = missingFolder
      ? 'Create the folder first, or give a file in an existing folder.'
      : 'Run the command as a user who may write to that folder (the file is replaced through a temp file beside it).';
    throw new VigilError('config_unreadable', `cannot write ${file} (${why}); nothing was changed`, { hint }, { cause: e });
  }
  await syncFolder(dir);
  return { ownerChanged };
}

/** Makes the rename itself durable. Some filesystems refuse to open a folder; that is not fatal. */
async function syncFolder(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
}
