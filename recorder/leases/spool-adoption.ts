import type { ReadyFile } from '../spool.ts';

/**
 * When this node takes a camera's lease, which of the camera's segments still waiting in its
 * spool (recorded under an earlier lease, before a restart or while the store was down) may be
 * indexed under the new lease: those that start where the index leaves off or later — nobody
 * else recorded that time. Segments that start before it overlap footage or gaps another node
 * indexed meanwhile and are dropped. Files being uploaded now are left to their upload (under
 * their own lease: indexed if it still holds, else refused).
 */
export function readyFilesToKeep(ready: readonly ReadyFile[], indexedUntilMs: number | null, inFlight: ReadonlySet<string>): { keep: ReadyFile[]; drop: ReadyFile[] } {
  const keep: ReadyFile[] = [];
  const drop: ReadyFile[] = [];
  for (const f of [...ready].sort((a, b) => a.startMs - b.startMs)) {
    if (inFlight.has(f.path)) continue;
    if (indexedUntilMs === null || f.startMs >= indexedUntilMs) keep.push(f);
    else drop.push(f);
  }
  return { keep, drop };
}
