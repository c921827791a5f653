/**
 * WS-Security UsernameToken checks, as an ONVIF camera makes them (ONVIF Core §5.12, OASIS
 * Username Token Profile 1.0):
 *
 *   PasswordDigest = Base64( SHA-1( nonce bytes + Created + password ) )
 *
 * Freshness: Created must lie within ±windowMs of the CAMERA's clock. The default is five
 * minutes, the guideline of the Username Token Profile and what most cameras that check at all
 * use; Axis cameras with "replay attack protection" are stricter (about ten seconds), many cheap
 * cameras do not check (pass windowMs: Infinity). A nonce seen before within the window is a
 * replay and is refused.
 *
 * The reason for a rejection is for tests and logs only; the client always gets the same
 * NotAuthorized fault, and no reason ever carries a credential.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type PasswordType = 'PasswordDigest' | 'PasswordText';

export interface UsernameToken {
  username: string;
  /** The digest (Base64) or the plain password, per passwordType. */
  password: string;
  passwordType: PasswordType;
  /** Base64 nonce. */
  nonce?: string | undefined;
  /** xsd:dateTime, e.g. 2026-01-05T02:00:00.000Z */
  created?: string | undefined;
}

export interface Credentials {
  username: string;
  password: string;
}

export type WsseRejectReason =
  /** The camera refuses every credential (its password was changed: faults.wrongCredentials). */
  | 'credentials-changed'
  /** Unknown user or wrong password (not told apart, as a camera would not). */
  | 'wrong-credentials'
  | 'missing-created'
  | 'malformed-created'
  | 'created-too-old'
  | 'created-in-future'
  | 'replayed-nonce';

export type WsseResult = { ok: true } | { ok: false; reason: WsseRejectReason };

export const DEFAULT_CREATED_WINDOW_MS = 5 * 60_000;

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an xsd:dateTime that carries a zone (Z or ±hh:mm); undefined if malformed. */
export function parseCreated(created: string): number | undefined {
  if (!DATE_TIME.test(created)) return undefined;
  const ms = Date.parse(created);
  return Number.isFinite(ms) ? Math.floor(ms) : undefined;
}

function sameText(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

export interface TokenCheckContext {
  expected: Credentials;
  /** The camera's idea of now (true time + its clock skew). */
  cameraNowMs: number;
  windowMs?: number;
  /** faults.wrongCredentials: every credential is refused. */
  rejectAll?: boolean;
}

/** Checks credentials and freshness; pure (no replay memory, see NonceCache). */
export function checkUsernameToken(token: UsernameToken, ctx: TokenCheckContext): WsseResult {
  if (ctx.rejectAll) return { ok: false, reason: 'credentials-changed' };
  const windowMs = ctx.windowMs ?? DEFAULT_CREATED_WINDOW_MS;
  const userOk = sameText(token.username, ctx.expected.username);

  if (token.passwordType === 'PasswordDigest') {
    // Without Created a digest could be replayed forever; ONVIF clients always send it.
    if (token.created === undefined) return { ok: false, reason: 'missing-created' };
    const nonce = Buffer.from(token.nonce ?? '', 'base64');
    const expectedDigest = passwordDigest(nonce, token.created, ctx.expected.password);
    const passOk = sameText(token.password, expectedDigest);
    if (!userOk || !passOk) return { ok: false, reason: 'wrong-credentials' };
  } else {
    const passOk = sameText(token.password, ctx.expected.password);
    if (!userOk || !passOk) return { ok: false, reason: 'wrong-credentials' };
    if (token.created === undefined) return { ok: true };
  }

  const createdMs = parseCreated(token.created);
  if (createdMs === undefined) return { ok: false, reason: 'malformed-created' };
  if (createdMs < ctx.cameraNowMs - windowMs) return { ok: false, reason: 'created-too-old' };
  if (createdMs > ctx.cameraNowMs + windowMs) return { ok: false, reason: 'created-in-future' };
  return { ok: true };
}

/**
 * Nonces accepted recently, remembered for as long as their Created could still pass the
 * window, so a replay inside the window is caught and memory stays bounded.
 */
export class NonceCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly windowMs = DEFAULT_CREATED_WINDOW_MS,
    private readonly maxEntries = 50_000,
  ) {}

  has(nonce: string, nowMs: number): boolean {
    this.prune(nowMs);
    return this.expiries.has(nonce);
  }

  add(nonce: string, nowMs: number): void {
    this.prune(nowMs);
    const keepMs = Number.isFinite(this.windowMs) ? 2 * this.windowMs : 24 * 3600_000;
    this.expiries.delete(nonce);
    this.expiries.set(nonce, nowMs + keepMs);
    // Oldest first (Map keeps insertion order); drop the oldest beyond the cap.
    while (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next().value as string;
      this.expiries.delete(oldest);
    }
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(nowMs: number): void {
    for (const [nonce, expiry] of this.expiries) {
      if (expiry > nowMs) break;
      this.expiries.delete(nonce);
    }
  }
}

/** checkUsernameToken plus replay detection; remembers the nonce of every accepted token. */
export function verifyUsernameToken(
  token: UsernameToken,
  ctx: TokenCheckContext & { nonces: NonceCache },
): WsseResult {
  const result = checkUsernameToken(token, ctx);
  if (!result.ok || !token.nonce) return result;
  if (ctx.nonces.has(token.nonce, ctx.cameraNowMs)) return { ok: false, reason: 'replayed-nonce' };
  ctx.nonces.add(token.nonce, ctx.cameraNowMs);
  return result;
}
