import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Random secrets handed to clients (session cookies, API tokens) and how they are stored and
 * compared. Each carries 256 random bits, so a plain SHA-256 is a safe stored form (no
 * guessing to slow down, unlike a password) and lookups are by that hash.
 *
 * CSRF: the token a browser must echo in X-CSRF-Token for unsafe methods is derived from the
 * session secret (SHA-256 of a label and the secret). The server recomputes it from the
 * cookie on each request, so nothing more is stored, it changes with every session, and it
 * reveals nothing about the cookie, which script cannot read (HttpOnly). A cross-site page
 * can make the browser send the cookie (when SameSite does not stop it) but cannot read
 * /me to learn the token.
 */
export const API_TOKEN_PREFIX = 'vgl_';

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newTokenId(): string {
  return `tok_${randomBytes(9).toString('base64url')}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function csrfTokenFor(sessionSecret: string): string {
  return createHash('sha256').update('vigil-csrf\0', 'utf8').update(sessionSecret, 'utf8').digest('base64url');
}

/** Equality in time independent of where the strings differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A well-formed API token (prefix + 43 base64url characters); anything else is refused unread. */
export function looksLikeApiToken(s: string): boolean {
  return /^vgl_[A-Za-z0-9_-]{43}$/.test(s);
}
