import type { Registry } from 'prom-client';
import type { Clock } from '../src/clock.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import { connectDatabase } from '../src/db/database.ts';
import { acquireRoleLock, type RoleLock } from '../src/leases/role-lock.ts';
import type { Logger } from '../src/logger.ts';
import { createRetentionMetrics, type RetentionMetrics } from '../src/retention/retention-metrics.ts';
import { startRetentionRole } from './retention-command.ts';

/**
 * Retention inside the all-in-one `vigil`. On SQLite it simply runs (one process owns the
 * index). On PostgreSQL several all-in-one processes may share one index, so retention runs
 * only under the `retention` role lock (src/leases/role-lock.ts, the same one `vigil retention`
 * takes): the process without it logs that it stands by, keeps recording and serving, and
 * starts retention when the holder stops (its session, and so the lock, ends with it). A holder
 * whose lock session drops (the lock is then free for a standby) stops retention at once, says
 * so, and stands by for the lock again. Waiting for the lock never delays start-up; close()
 * stops waiting at once.
 */
export interface LockedRetention {
  /** True once this process holds the lock and runs retention. */
  running(): boolean;
  close(): Promise<void>;
}

export async function startRetentionUnderLock(o: { config: ResolvedConfig; clock: Clock; log: Logger; registry: Registry; retryMs?: number }): Promise<LockedRetention> {
  if (o.config.database.driver !== 'postgres') {
    const role = await startRetentionRole(o);
    return { running: () => true, close: () => role.close() };
  }
  const lockDb = (await connectDatabase(o.config.database)).db;
  const retryMs = o.retryMs ?? 5_000;
  let stopAsked = false;
  let wake!: () => void;
  const stopped = new Promise<void>((r) => (wake = r));
  let role: Awaited<ReturnType<typeof startRetentionRole>> | null = null;
  let metrics: RetentionMetrics | undefined;
  const waitOrStop = async (ms: number) => {
    let cancel = () => undefined as void;
    await Promise.race([new Promise<void>((r) => (cancel = o.clock.setTimer(ms, r))), stopped]);
    cancel();
  };
  const acquiring = (async (): Promise<RoleLock | null> => {
    while (!stopAsked) {
      const lock = await acquireRoleLock(lockDb, 'retention', { clock: o.clock, log: o.log, retryMs, shouldStop: () => stopAsked, stopped });
      if (lock && stopAsked) {
        await lock.release();
        return null;
      }
      if (lock) {
        o.log.info('retention lock taken: this process runs retention');
        // Made at the first lock, not before: a standby shows no retention series at all.
        metrics ??= createRetentionMetrics(o.registry);
        try {
          role = await startRetentionRole({ ...o, metrics });
        } catch (e) {
          o.log.error({ err: (e as Error).message }, 'retention could not start under its lock; the lock is given up and taken again later');
          await lock.release();
          await waitOrStop(retryMs);
          continue;
        }
        const lost = await Promise.race([lock.lost, stopped.then(() => null)]);
        if (lost === null) return lock; // stopping: close() stops retention, then releases
        o.log.error({ reason: lost }, 'retention lock lost: retention stops in this process (another may take over) and stands by for the lock again');
        await role.close();
        role = null;
        await lock.release();
        continue;
      }
      if (stopAsked) return null;
      // Not given up by us: the lock's session failed (database unreachable). Try again later.
      o.log.warn('could not ask PostgreSQL for the retention lock; retention does not run in this process until it can (trying again)');
      await waitOrStop(retryMs);
    }
    return null;
  })().catch((e: unknown) => {
    o.log.error({ err: (e as Error).message }, 'retention under its lock stopped on an unexpected error; restart this process to run it here again');
    return null;
  });
  return {
    running: () => role !== null,
    async close() {
      stopAsked = true;
      wake();
      const lock = await acquiring;
      await role?.close();
      await lock?.release();
      await lockDb.destroy();
    },
  };
}
