import { createHash, randomBytes } from 'node:crypto';

/**
 * Client side of RTSP authentication (RFC 2326 §D.2 via RFC 2617): answers a 401's
 * WWW-Authenticate challenge with Digest (MD5, with or without qop=auth) or, if only that is
 * offered, Basic. Keeps the challenge so every later request carries a fresh Authorization
 * (nonce count advances). The password never leaves this object except inside the digest.
 */
export interface Challenge {
  scheme: 'digest' | 'basic';
  params: Map<string, string>;
}

/** Parses WWW-Authenticate values (one per header line) into challenges, Digest first. */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const v of values) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(v);
    if (!m) continue;
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'digest' && scheme !== 'basic') continue;
    const params = new Map<string, string>();
    const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
    for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params.set(p[1]!.toLowerCase(), p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!);
    out.push({ scheme, params });
  }
  return out.sort((a, b) => (a.scheme === b.scheme ? 0 : a.scheme === 'digest' ? -1 : 1));
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export class RtspAuthenticator {
  private challenge: Challenge | null = null;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  get hasCredentials(): boolean {
    return this.username !== '';
  }

  /** Takes a 401's challenges; false when none can be answered (or there are no credentials). */
  accept(values: readonly string[]): boolean {
    const c = parseChallenges(values)[0];
    if (!c || !this.hasCredentials) return false;
    this.challenge = c;
    this.nc = 0;
    return true;
  }

  /** The Authorization value for a request, or null before any challenge. */
  authorization(method: string, uri: string): string | null {
    const c = this.challenge;
    if (!c) return null;
    if (c.scheme === 'basic') return `Basic ${Buffer.from(`${this.username}:${this.password}`, 'utf8').toString('base64')}`;
    const realm = c.params.get('realm') ?? '';
    const nonce = c.params.get('nonce') ?? '';
    const ha1 = md5(`${this.username}:${realm}:${this.password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qops = (c.params.get('qop') ?? '').split(',').map((s) => s.trim());
    const parts = [`username="${this.username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`];
    if (qops.includes('auth')) {
      const nc = (++this.nc).toString(16).padStart(8, '0');
      const cnonce = randomBytes(8).toString('hex');
      parts.push(`response="${md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)}"`, 'qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
    } else {
      parts.push(`response="${md5(`${ha1}:${nonce}:${ha2}`)}"`);
    }
    const opaque = c.params.get('opaque');
    if (opaque !== undefined) parts.push(`opaque="${opaque}"`);
    parts.push('algorithm=MD5');
    return `Digest ${parts.join(', ')}`;
  }
}
