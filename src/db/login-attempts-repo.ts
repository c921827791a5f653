import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Login failure counters for the rate limit, one row per key ("user:<name>", "ip:<address>").
 * Kept in SQL so a restart does not reset a lockout and several API nodes share it. The
 * policy (when to lock, for how long) is pure and lives in api/auth/login-throttle.ts; this
 * stores its state. Build it over a transaction to read and write a key atomically.
 */
export interface LoginAttemptState {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

export class LoginAttemptsRepo {
  constructor(private readonly db: Kysely<Database> | Transaction<Database>) {}

  async get(key: string): Promise<LoginAttemptState | null> {
    const row = await this.db.selectFrom('login_attempts').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? { failures: Number(row.failures), lastFailureMs: Number(row.last_failure_ms), lockedUntilMs: Number(row.locked_until_ms) } : null;
  }

  /** Stores the state of a key; null forgets the key. */
  async put(key: string, state: LoginAttemptState | null): Promise<void> {
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

  /** Forgets keys with no failure since beforeMs and no lock running at nowMs (a spray of
   *  made-up usernames must not grow the table for ever). Returns how many. */
  async purgeStale(beforeMs: number, nowMs: number): Promise<number> {
    const res = await this.db.deleteFrom('login_attempts').where('last_failure_ms', '<', beforeMs).where('locked_until_ms', '<=', nowMs).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
