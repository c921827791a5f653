import { readFile, writeFile, rm } from 'node:fs/promises';
import type { Logger } from '../src/logger.ts';

/**
 * ffmpeg children outlive a recorder killed with SIGKILL (nothing tells them). Each camera's
 * ffmpeg pid is written next to its spool files; on start the recorder kills a leftover one,
 * after checking it really is an ffmpeg writing into that spool, so two never record at once.
 */
export async function writePidFile(file: string, pid: number): Promise<void> {
  await writeFile(file, `${pid}\n`);
}

export async function killStaleFfmpeg(file: string, log: Logger): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  await rm(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const dir = file.slice(0, file.lastIndexOf('/'));
  if (!cmdline.includes('ffmpeg') || !cmdline.includes(dir)) return false;
  try {
    process.kill(pid, 'SIGKILL');
    log.warn({ pid }, 'killed an ffmpeg left over from a previous recorder run');
    return true;
  } catch {
    return false;
  }
}
