import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../src/clock.ts';

/**
 * RTSP authentication as IP cameras do it: HTTP Digest (RFC 2617, MD5, with or without
 * qop=auth) and Basic, against the camera's one user. The challenge offers both, Digest first.
 * While rejectAll() is true (the wrongCredentials fault: the password was changed on the camera)
 * every credential fails.
 */

export interface RtspAuthOptions {
  realm: string;
  username: string;
  password: string;
  clock: Clock;
  rejectAll?: () => boolean;
  /** How long an issued nonce stays valid (default 10 minutes). */
  nonceTtlMs?: number;
}

const MAX_NONCES = 512;

function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Parses the parameters of a Digest Authorization header (quoted or token values). */
export function parseDigestParams(s: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    params.set(m[1]!.toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  }
  return params;
}

export class RtspAuthenticator {
  private readonly nonces = new Map<string, number>();
  private readonly ttlMs: number;

  constructor(private readonly opts: RtspAuthOptions) {
    this.ttlMs = opts.nonceTtlMs ?? 10 * 60_000;
  }

  /** The WWW-Authenticate headers of a 401, with a fresh nonce. */
  challenge(): Array<[string, string]> {
    const now = this.opts.clock.nowMs();
    const nonce = randomBytes(16).toString('hex');
    this.nonces.set(nonce, now);
    for (const [n, issued] of this.nonces) {
      if (this.nonces.size <= MAX_NONCES && now - issued <= this.ttlMs) break;
      this.nonces.delete(n); // oldest first: Map keeps insertion order
    }
    const realm = this.opts.realm.replace(/"/g, '');
    return [
      ['WWW-Authenticate', `Digest realm="${realm}", nonce="${nonce}", algorithm="MD5"`],
      ['WWW-Authenticate', `Basic realm="${realm}"`],
    ];
  }

  /** True if the Authorization header proves the camera's credentials for this request. */
  check(method: string, authorization: string | undefined): boolean {
    if (!authorization || this.opts.rejectAll?.()) return false;
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'basic') return this.checkBasic(rest);
    if (scheme === 'digest') return this.checkDigest(method, parseDigestParams(rest));
    return false;
  }

  private checkBasic(token: string): boolean {
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    return safeEqual(decoded.slice(0, colon), this.opts.username) && safeEqual(decoded.slice(colon + 1), this.opts.password);
  }

  private checkDigest(method: string, p: Map<string, string>): boolean {
    const username = p.get('username');
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    const algorithm = p.get('algorithm');
    if (!username || !realm || !nonce || !uri || !response) return false;
    if (algorithm && algorithm.toUpperCase() !== 'MD5') return false;
    if (realm !== this.opts.realm.replace(/"/g, '')) return false;
    const issued = this.nonces.get(nonce);
    if (issued === undefined || this.opts.clock.nowMs() - issued > this.ttlMs) return false;
    if (!safeEqual(username, this.opts.username)) return false;
    const ha1 = md5(`${username}:${realm}:${this.opts.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qop = p.get('qop');
    let expected: string;
    if (qop === undefined) {
      expected = md5(`${ha1}:${nonce}:${ha2}`);
    } else if (qop === 'auth') {
      const nc = p.get('nc');
      const cnonce = p.get('cnonce');
      if (!nc || !cnonce) return false;
      expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    } else {
      return false;
    }
    return safeEqual(response.toLowerCase(), expected);
  }
}
