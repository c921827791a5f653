import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

/**
 * "Only one of this role at a time" on PostgreSQL (e.g. `vigil retention` on several machines):
 * a session advisory lock named for the role, held on one connection for the role's life.
 * PostgreSQL frees it when that session ends, so a crashed or killed holder frees it at once and
 * a standby takes over at its next try. Waits (polling every retryMs) until the lock is had or
 * shouldStop() says to give up (then resolves null).
 *
 * The lock is only as alive as its session: a dropped connection (PostgreSQL restarted, the
 * backend terminated, the network cut) frees it for a standby. So the holder asks its session
 * every checkMs (default retryMs) and `lost` settles, with why, when it no longer answers:
 * the caller must stop the role at once (a standby may already hold the lock).
 */
export interface RoleLock {
  /** Settles with the reason when the lock's session is gone; never after release(). */
  readonly lost: Promise<string>;
  /** Unlocks and gives the connection back. */
  release(): Promise<void>;
}

export async function acquireRoleLock(
  db: Kysely<any>,
  name: string,
  o: { clock: Clock; log: Logger; retryMs?: number; checkMs?: number; shouldStop?: () => boolean; /** Settles when waiting should end at once (a process stopping). */ stopped?: Promise<unknown> },
): Promise<RoleLock | null> {
  const key = `vigil:${name}`;
  let releaseNow!: () => void;
  const released = new Promise<void>((r) => (releaseNow = r));
  let settle!: (got: boolean) => void;
  const got = new Promise<boolean>((r) => (settle = r));
  let told = false;
  let isReleased = false;
  let markLost!: (reason: string) => void;
  const lost = new Promise<string>((r) => (markLost = r));
  const session = db.connection().execute(async (conn) => {
    for (;;) {
      const r = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${key})) as ok`.execute(conn);
      if (r.rows[0]?.ok) break;
      if (!told) o.log.info({ lock: name }, `another ${name} process holds the lock; standing by until it stops`);
      told = true;
      if (o.shouldStop?.()) return settle(false);
      let cancel = () => undefined as void;
      await Promise.race([new Promise<void>((res) => (cancel = o.clock.setTimer(o.retryMs ?? 5_000, res))), o.stopped]);
      cancel();
      if (o.shouldStop?.()) return settle(false);
    }
    settle(true);
    for (;;) {
      let cancel = () => undefined as void;
      await Promise.race([new Promise<void>((res) => (cancel = o.clock.setTimer(o.checkMs ?? o.retryMs ?? 5_000, res))), released]);
      cancel();
      if (isReleased) break;
      try {
        await sql`select 1`.execute(conn);
      } catch (e) {
        markLost(`the ${name} lock's database session ended (${(e as Error).message})`);
        return;
      }
    }
    await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(conn);
  });
  session.catch((e: unknown) => {
    settle(false);
    if (!isReleased) markLost(`the ${name} lock's database session failed (${(e as Error).message})`);
  });
  if (!(await got)) {
    await session.catch(() => undefined);
    return null;
  }
  return {
    lost,
    async release() {
      isReleased = true;
      releaseNow();
      await session.catch(() => undefined);
    },
  };
}
