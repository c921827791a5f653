/**
 * HTTP authentication on the simulated camera's web server, as IP cameras do it: a Digest
 * challenge (RFC 7616, MD5, qop=auth), and Basic accepted when a client sends it unasked.
 * Used for the snapshot URL and as the HTTP-level alternative to WS-Security on SOAP calls
 * (ONVIF Core §5.12.1 lets clients use either).
 *
 * Nonces are stateless: issue time + HMAC under a per-server secret, valid for nonceTtlMs of
 * true time; an expired one gets a fresh challenge with stale=true.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../src/clock.ts';
import type { Credentials } from './wsse.ts';

export type HttpAuthResult = 'ok' | 'missing' | 'wrong' | 'stale';

export interface HttpAuthRequest {
  method: string;
  /** The request-target as received (req.url), which a Digest `uri` must match. */
  url: string;
  authorization: string | undefined;
}

export interface HttpAuthenticatorOptions {
  realm: string;
  clock: Clock;
  nonceTtlMs?: number;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

function sameText(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Parses `k=v, k2="v, 2"` (the part after the scheme) into a map; keys lower-cased. */
export function parseAuthParams(input: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < input.length && (m = re.exec(input)) !== null) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

export class HttpAuthenticator {
  private readonly secret = randomBytes(32);
  private readonly realm: string;
  private readonly clock: Clock;
  private readonly nonceTtlMs: number;

  constructor(options: HttpAuthenticatorOptions) {
    this.realm = options.realm;
    this.clock = options.clock;
    this.nonceTtlMs = options.nonceTtlMs ?? 5 * 60_000;
  }

  /** The WWW-Authenticate header value for a 401. */
  challenge(stale = false): string {
    const issued = this.clock.nowMs().toString(16);
    const nonce = `${issued}.${this.sign(issued)}`;
    return `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=MD5${stale ? ', stale=TRUE' : ''}`;
  }

  check(req: HttpAuthRequest, expected: Credentials, rejectAll = false): HttpAuthResult {
    const header = req.authorization?.trim();
    if (!header) return 'missing';
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : header.slice(space + 1);
    if (scheme === 'basic') return this.checkBasic(rest, expected, rejectAll);
    if (scheme === 'digest') return this.checkDigest(req, parseAuthParams(rest), expected, rejectAll);
    return 'wrong';
  }

  private checkBasic(encoded: string, expected: Credentials, rejectAll: boolean): HttpAuthResult {
    const decoded = Buffer.from(encoded.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || rejectAll) return 'wrong';
    const userOk = sameText(decoded.slice(0, colon), expected.username);
    const passOk = sameText(decoded.slice(colon + 1), expected.password);
    return userOk && passOk ? 'ok' : 'wrong';
  }

  private checkDigest(
    req: HttpAuthRequest,
    p: Record<string, string>,
    expected: Credentials,
    rejectAll: boolean,
  ): HttpAuthResult {
    const { username, realm, nonce, uri, response } = p;
    if (!username || !nonce || !uri || !response || realm !== this.realm) return 'wrong';
    if (p['algorithm'] && p['algorithm'].toUpperCase() !== 'MD5') return 'wrong';
    if (uri !== req.url) return 'wrong';
    const nonceState = this.nonceState(nonce);
    if (nonceState === 'forged') return 'wrong';
    if (rejectAll) return 'wrong';
    const ha1 = md5(`${expected.username}:${this.realm}:${expected.password}`);
    const ha2 = md5(`${req.method}:${uri}`);
    const qop = p['qop'];
    const wanted =
      qop === 'auth'
        ? md5(`${ha1}:${nonce}:${p['nc'] ?? ''}:${p['cnonce'] ?? ''}:auth:${ha2}`)
        : qop === undefined
          ? md5(`${ha1}:${nonce}:${ha2}`)
          : undefined;
    if (wanted === undefined) return 'wrong';
    const ok = sameText(username, expected.username) && sameText(response.toLowerCase(), wanted);
    if (!ok) return 'wrong';
    return nonceState === 'expired' ? 'stale' : 'ok';
  }

  private nonceState(nonce: string): 'valid' | 'expired' | 'forged' {
    const [issued, mac] = nonce.split('.');
    if (!issued || !mac || !sameText(mac, this.sign(issued))) return 'forged';
    const issuedMs = Number.parseInt(issued, 16);
    return this.clock.nowMs() - issuedMs > this.nonceTtlMs ? 'expired' : 'valid';
  }

  private sign(value: string): string {
    return createHmac('sha256', this.secret).update(value).digest('hex').slice(0, 32);
  }
}
