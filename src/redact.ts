/**
 * Secret scrubbing at the source. Camera passwords, credentials inside URLs, tokens and
 * session cookies must never reach a log line, metric label, error message or API response.
 */
const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (compared case-insensitively). */
const SECRET_KEY = /^(password|passwd|pass|secret|token|apitoken|accesstoken|refreshtoken|authorization|cookie|set-cookie|secretkey|secretaccesskey|privatekey|credentials|sessionid)$/i;

// scheme://user:pass@host or scheme://user@host: the userinfo part goes.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@"'<>]*)@/gi;
// password=..., token=... in query strings or key=value text.
const SECRET_PARAM = /\b(password|passwd|pwd|token|access_token|secret|auth)=([^&\s"'<>]+)/gi;
// Authorization header values that may be echoed in text.
const AUTH_SCHEME = /\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=,"-]{8,}/g;

/** Removes credentials from every URL and key=value secret in a piece of text. */
export function redactText(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(SECRET_PARAM, (_m, key: string) => `${key}=${REDACTED}`)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}

/** A URL with its user and password removed (for display: rtsp://host:554/path). */
export function stripUrlCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return redactText(url);
  }
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A deep copy of a value with secret keys replaced and every string passed through
 * redactText. Errors become plain objects (name, message, code, stack) scrubbed the same way.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown };
    return scrubSecrets(
      { name: e.name, message: e.message, code: e.code, stack: e.stack, cause: e.cause },
      depth + 1,
    );
  }
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : scrubSecrets(v, depth + 1);
  }
  return out;
}
