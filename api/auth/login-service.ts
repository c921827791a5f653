import type { Kysely } from 'kysely';
import type { AuditSink } from '../../src/audit/audit-types.ts';
import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import { LoginAttemptsRepo } from '../../src/db/login-attempts-repo.ts';
import type { Database } from '../../src/db/schema.ts';
import type { SessionsRepo } from '../../src/db/sessions-repo.ts';
import { normaliseUsername, type UserRecord, type UsersRepo } from '../../src/db/users-repo.ts';
import type { VigilConfig } from '../../src/config/schema.ts';
import { hashPassword, needsRehash, verifyPassword } from './password-hash.ts';
import { checkThrottle, forgiveAttempt, recordFailure, type ThrottlePolicy } from './login-throttle.ts';
import { csrfTokenFor, newSessionSecret, secretHash } from './secret-tokens.ts';

/**
 * Password login: rate limit per username and per client address, scrypt check, session
 * creation, audit. Unknown user, wrong password and disabled account answer the same 401 (the
 * audit entry records which), and an unknown user costs the same scrypt work as a real one.
 * Audit is written before the answer: if it cannot be written, the login fails.
 */
const PURGE_EVERY_MS = 3_600_000;

export interface LoginResult {
  user: UserRecord;
  sessionSecret: string;
  csrfToken: string;
  expiresMs: number;
}

export interface LoginRequest {
  username: string;
  password: string;
  ip: string;
  userAgent: string;
}

export class LoginService {
  private dummyHash: Promise<string> | null = null;
  private lastPurgeMs = Number.NEGATIVE_INFINITY;
  readonly userPolicy: ThrottlePolicy;
  readonly ipPolicy: ThrottlePolicy;

  constructor(
    private readonly o: {
      db: Kysely<Database>;
      users: UsersRepo;
      sessions: SessionsRepo;
      clock: Clock;
      audit: AuditSink;
      api: VigilConfig['api'];
    },
  ) {
    const base = { lockoutMs: o.api.loginLockoutMs, maxLockoutMs: o.api.loginMaxLockoutMs, forgetAfterMs: 2 * o.api.loginMaxLockoutMs };
    this.userPolicy = { ...base, maxFailures: o.api.loginMaxFailures };
    this.ipPolicy = { ...base, maxFailures: o.api.loginMaxFailuresPerIp };
  }

  async login(req: LoginRequest): Promise<LoginResult> {
    await this.purgeStaleAttempts();
    const username = normaliseUsername(req.username);
    const keys = { user: `user:${username}`, ip: `ip:${req.ip || 'unknown'}` };
    const gate = await this.beginAttempt(keys);
    if (!gate.allowed) {
      await this.o.audit.append({ actor: null, action: 'auth.login_failed', ip: req.ip, detail: { username, reason: 'locked_out' } });
      const retryAfterSeconds = Math.ceil(gate.retryAfterMs / 1000);
      throw new VigilError('too_many_attempts', `too many failed logins for this account or from this address; try again in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
        hint: 'Wait, then try again; an administrator can reset a forgotten password.',
      });
    }
    const user = await this.o.users.byUsername(username);
    const stored = user ? await this.o.users.passwordHashOf(user.id) : null;
    const ok = await verifyPassword(req.password, stored ?? (await this.dummy()));
    if (!user || !stored || !ok || user.disabled) {
      const reason = !user ? 'unknown_user' : !ok ? 'wrong_password' : 'disabled';
      await this.o.audit.append({ actor: null, action: 'auth.login_failed', ip: req.ip, detail: { username, reason } });
      throw new VigilError('unauthenticated', 'the username or password is wrong, or the account is disabled', { hint: 'Check the keyboard layout (Telex/VNI input off) and try again.' });
    }
    await this.endAttempt(keys);
    if (needsRehash(stored)) await this.o.users.setPasswordHash(user.id, await hashPassword(req.password));
    const now = this.o.clock.nowMs();
    await this.o.sessions.purgeExpired(now, this.o.api.sessionIdleMs);
    const sessionSecret = newSessionSecret();
    const expiresMs = now + this.o.api.sessionTtlMs;
    await this.o.sessions.create({ tokenHash: secretHash(sessionSecret), userId: user.id, createdMs: now, expiresMs, lastSeenMs: now, ip: req.ip, userAgent: req.userAgent });
    await this.o.audit.append({ actor: { userId: user.id, username: user.username }, action: 'auth.login', ip: req.ip, detail: { via: 'password' } });
    return { user, sessionSecret, csrfToken: csrfTokenFor(sessionSecret), expiresMs };
  }

  /**
   * Checks a user's current password under the same per-user limit as logins (a stolen
   * session must not become a way to guess the password). Throws 429 or 403.
   */
  async confirmPassword(user: UserRecord, password: string, ip: string): Promise<void> {
    const keys = { user: `user:${user.username}`, ip: `ip:${ip || 'unknown'}` };
    const gate = await this.beginAttempt(keys);
    if (!gate.allowed) {
      const retryAfterSeconds = Math.ceil(gate.retryAfterMs / 1000);
      throw new VigilError('too_many_attempts', `too many wrong passwords for this account; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    const stored = await this.o.users.passwordHashOf(user.id);
    if (!stored || !(await verifyPassword(password, stored))) {
      throw new VigilError('forbidden', 'the current password is wrong', { hint: 'Type your current password again; ask an administrator to reset it if it is lost.' });
    }
    await this.endAttempt(keys);
  }

  /** Counts the attempt as a failure up front, unless a key is locked (then nothing changes). */
  private beginAttempt(keys: { user: string; ip: string }): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }> {
    return this.o.db.transaction().execute(async (trx) => {
      const repo = new LoginAttemptsRepo(trx);
      const now = this.o.clock.nowMs();
      const userState = await repo.get(keys.user);
      const ipState = await repo.get(keys.ip);
      const decisions = [checkThrottle(userState, now), checkThrottle(ipState, now)];
      const retryAfterMs = Math.max(0, ...decisions.map((d) => (d.allowed ? 0 : d.retryAfterMs)));
      if (retryAfterMs > 0) return { allowed: false as const, retryAfterMs };
      await repo.put(keys.user, recordFailure(userState, now, this.userPolicy));
      await repo.put(keys.ip, recordFailure(ipState, now, this.ipPolicy));
      return { allowed: true as const };
    });
  }

  /** A success: the username starts over; the address gets back the one failure counted for it. */
  private endAttempt(keys: { user: string; ip: string }): Promise<void> {
    return this.o.db.transaction().execute(async (trx) => {
      const repo = new LoginAttemptsRepo(trx);
      await repo.put(keys.user, null);
      await repo.put(keys.ip, forgiveAttempt(await repo.get(keys.ip), this.ipPolicy));
    });
  }

  /** At most once an hour: drop throttle rows that no longer matter. */
  private async purgeStaleAttempts(): Promise<void> {
    const now = this.o.clock.nowMs();
    if (now - this.lastPurgeMs < PURGE_EVERY_MS) return;
    this.lastPurgeMs = now;
    await new LoginAttemptsRepo(this.o.db).purgeStale(now - this.userPolicy.forgetAfterMs, now);
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(newSessionSecret());
    return this.dummyHash;
  }
}
