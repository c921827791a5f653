import type { ChildProcess } from 'node:child_process';

/** Stops a child the way Ctrl-C does (SIGINT), SIGKILL after killAfterMs; resolves with how long it took. */
export function stopChild(p: ChildProcess, killAfterMs = 10_000): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(0);
    p.once('exit', () => resolve(Date.now() - t0));
    p.kill('SIGINT');
    setTimeout(() => p.kill('SIGKILL'), killAfterMs).unref();
  });
}
