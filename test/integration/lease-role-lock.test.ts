import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { connectDatabase } from '../../src/db/database.ts';
import { acquireRoleLock } from '../../src/leases/role-lock.ts';
import { TestDatabases } from '../helpers/test-db.ts';
import { waitFor } from '../helpers/wait.ts';

// Only one `vigil retention` at a time on PostgreSQL: a session advisory lock; a standby gets
// it when the holder releases it or its session ends (a killed process, a dropped connection:
// the holder learns it then).
const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());
const log = createLogger({ level: 'silent' });

describe('role lock (PostgreSQL advisory lock)', () => {
  it('one holder at a time; a standby takes over when the holder releases; a standby told to stop gives up', async () => {
    const settings = await dbs.fresh('postgres');
    const [a, b, c] = await Promise.all([0, 1, 2].map(async () => (await connectDatabase(settings)).db));
    const first = await acquireRoleLock(a!, 'retention', { clock: systemClock, log, retryMs: 100 });
    expect(first).not.toBeNull();
    let second: Awaited<ReturnType<typeof acquireRoleLock>> | undefined;
    void acquireRoleLock(b!, 'retention', { clock: systemClock, log, retryMs: 100 }).then((l) => (second = l));
    await new Promise((r) => setTimeout(r, 400)); // several retries of b (it must still be waiting)
    expect(second).toBeUndefined();
    await first!.release();
    await waitFor('the standby to take the lock', () => second, { timeoutMs: 5_000 });
    let giveUp = false;
    const third = acquireRoleLock(c!, 'retention', { clock: systemClock, log, retryMs: 100, shouldStop: () => giveUp });
    await new Promise((r) => setTimeout(r, 300));
    giveUp = true;
    expect(await third).toBeNull(); // gave up while b held it
    await second!.release();
    const again = await acquireRoleLock(c!, 'retention', { clock: systemClock, log, retryMs: 100 });
    expect(again).not.toBeNull();
    await again!.release();
    await Promise.all([a!.destroy(), b!.destroy(), c!.destroy()]);
  });

  it('a holder whose session is cut learns it lost the lock, and a standby takes it', async () => {
    const settings = await dbs.fresh('postgres');
    const [a, b, admin] = await Promise.all([0, 1, 2].map(async () => (await connectDatabase(settings)).db));
    const first = await acquireRoleLock(a!, 'retention', { clock: systemClock, log, retryMs: 100 });
    expect(first).not.toBeNull();
    let lostWhy: string | undefined;
    void first!.lost.then((why) => (lostWhy = why));
    let second: Awaited<ReturnType<typeof acquireRoleLock>> | undefined;
    void acquireRoleLock(b!, 'retention', { clock: systemClock, log, retryMs: 100 }).then((l) => (second = l));
    await new Promise((r) => setTimeout(r, 300)); // the holder's checks pass meanwhile
    expect(lostWhy).toBeUndefined();
    expect(second).toBeUndefined();
    // What a PostgreSQL restart or a network cut does to the holder's session, from outside.
    const { rows } = await sql<{ pid: number }>`select pid from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`.execute(admin!);
    expect(rows).toHaveLength(1);
    await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(admin!);
    await waitFor('the holder to learn its lock is lost', () => lostWhy, { timeoutMs: 5_000 });
    expect(lostWhy).toMatch(/^the retention lock's database session (ended|failed) \(/);
    await waitFor('the standby to take the lock', () => second, { timeoutMs: 5_000 });
    await first!.release(); // after a loss: nothing to unlock, and it does not throw
    await second!.release();
    await Promise.all([a!.destroy(), b!.destroy(), admin!.destroy()]);
  });
});
