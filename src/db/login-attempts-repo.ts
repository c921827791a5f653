import { sql, type Kysely, type Transaction } from 'kysely';
import { dialectOf } from './dialect.ts';
import type { Database } from './schema.ts';

/**
 * Login failure counters for the rate limit, one row per key ("user:<name>", "ip:<address>").
 * Kept in SQL so a restart does not reset a lockout and several API nodes share it. The
 * policy (when to lock, for how long) is pure and lives in api/auth/login-throttle.ts; this
 * stores its state. Build it over a transaction to read and write a key atomically.
 *
 * On SQLite one connection runs one transaction at a time, so read-then-write is atomic. On
 * PostgreSQL (READ COMMITTED, a pool of connections) two logins could both read "0 failures"
 * and both be let through; so there every get() and put() first takes a transaction-scoped
 * advisory lock on the key (it also covers a key with no row yet, which FOR UPDATE cannot).
 * Held to the end of the caller's transaction; callers take keys in one order (user, then ip),
 * and put() locks before it writes, so a row lock never waits behind an advisory lock.
 */
export interface LoginAttemptState {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

export class LoginAttemptsRepo {
  constructor(private readonly db: Kysely<Database> | Transaction<Database>) {}

  async get(key: string): Promise<LoginAttemptState | null> {
    await this.lockKey(key);
    const row = await this.db.selectFrom('login_attempts').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? { failures: Number(row.failures), lastFailureMs: Number(row.last_failure_ms), lockedUntilMs: Number(row.locked_until_ms) } : null;
  }

  /** Stores the state of a key; null forgets the key. */
  async put(key: string, state: LoginAttemptState | null): Promise<void> {
    await this.lockKey(key);
    if (state === null) {
      await this.db.deleteFrom('login_attempts').where('key', '=', key).execute();
      return;
    }
    const values = { failures: state.failures, last_failure_ms: state.lastFailureMs, locked_until_ms: state.lockedUntilMs };
    await this.db
      .insertInto('login_attempts')
      .values({ key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }

  private async lockKey(key: string): Promise<void> {
    if (dialectOf(this.db) !== 'postgres') return;
    await sql`select pg_advisory_xact_lock(hashtextextended(${`vigil.login_attempts:${key}`}, 0))`.execute(this.db);
  }

  /** Forgets keys with no failure since beforeMs and no lock running at nowMs (a spray of
   *  made-up usernames must not grow the table for ever). Returns how many. */
  async purgeStale(beforeMs: number, nowMs: number): Promise<number> {
    const res = await this.db.deleteFrom('login_attempts').where('last_failure_ms', '<', beforeMs).where('locked_until_ms', '<=', nowMs).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
