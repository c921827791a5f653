import type { Clock } from '../../src/clock.ts';
import { VigilError } from '../../src/errors.ts';
import type { ApiTokensRepo } from '../../src/db/api-tokens-repo.ts';
import type { SessionsRepo } from '../../src/db/sessions-repo.ts';
import type { UsersRepo } from '../../src/db/users-repo.ts';
import type { Principal } from '../app-deps.ts';
import { csrfTokenFor, looksLikeApiToken, secretHash } from './secret-tokens.ts';

/**
 * Who is calling: a bearer token (Authorization: Bearer vgl_…) or the session cookie. A
 * present but bad Authorization header is a 401 even if a cookie is also sent (no silent
 * fallback from what the caller meant). The user is read on every request, so a role change
 * or disabling takes effect at once. Last-use times are written at most once a minute.
 */
export const SESSION_COOKIE = 'vigil_session';
const TOUCH_EVERY_MS = 60_000;

export interface AuthInput {
  authorization: string | undefined;
  sessionCookie: string | undefined;
}

export class Authenticator {
  constructor(
    private readonly o: { users: UsersRepo; sessions: SessionsRepo; tokens: ApiTokensRepo; clock: Clock; sessionIdleMs: number },
  ) {}

  /** The principal, or null when the request carries no credentials at all. Throws 401 for bad ones. */
  async authenticate(input: AuthInput): Promise<Principal | null> {
    if (input.authorization !== undefined) return this.fromBearer(input.authorization);
    if (input.sessionCookie) return this.fromSession(input.sessionCookie);
    return null;
  }

  private async fromBearer(header: string): Promise<Principal> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthenticated('the Authorization header must be "Bearer vgl_…" (an API token)');
    const token = m[1]!;
    if (!looksLikeApiToken(token)) throw unauthenticated('the bearer token is not a Vigil API token (they start with vgl_)');
    const rec = await this.o.tokens.byHash(secretHash(token));
    const now = this.o.clock.nowMs();
    if (!rec || rec.revokedMs !== null || (rec.expiresMs !== null && rec.expiresMs <= now)) {
      throw unauthenticated('the API token is unknown, revoked or expired', 'Create a new token (POST /api/v1/tokens) from a logged-in session.');
    }
    const user = await this.o.users.byId(rec.userId);
    if (!user || user.disabled) throw unauthenticated('the account of this API token is disabled');
    if (rec.lastUsedMs === null || now - rec.lastUsedMs >= TOUCH_EVERY_MS) await this.o.tokens.touch(rec.id, now);
    return { user, via: 'token', tokenId: rec.id };
  }

  private async fromSession(secret: string): Promise<Principal> {
    const hash = secretHash(secret);
    const s = await this.o.sessions.get(hash);
    const now = this.o.clock.nowMs();
    if (!s) throw unauthenticated('the session has ended or is unknown; log in again');
    if (s.expiresMs <= now || now - s.lastSeenMs >= this.o.sessionIdleMs) {
      await this.o.sessions.delete(hash);
      throw unauthenticated('the session has expired; log in again');
    }
    const user = await this.o.users.byId(s.userId);
    if (!user || user.disabled) {
      await this.o.sessions.delete(hash);
      throw unauthenticated('the account is disabled');
    }
    if (now - s.lastSeenMs >= TOUCH_EVERY_MS) await this.o.sessions.touch(hash, now);
    return { user, via: 'session', sessionHash: hash, csrfToken: csrfTokenFor(secret), sessionExpiresMs: s.expiresMs };
  }
}

function unauthenticated(message: string, hint = 'Log in (POST /api/v1/auth/login) or send Authorization: Bearer vgl_….'): VigilError {
  return new VigilError('unauthenticated', message, { hint });
}
