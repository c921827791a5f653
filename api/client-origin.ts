import { isIP } from 'node:net';

/**
 * Who is calling, and over what: the client address (for audit and the per-address login
 * limit) and whether the request came over HTTPS (for the Secure cookie flag). Headers set
 * by a reverse proxy are believed only when the direct peer is one of the configured trusted
 * proxies; the client is then the nearest address in X-Forwarded-For that is not itself a
 * trusted proxy (the leftmost entries can be forged by the client).
 */
export interface OriginInput {
  /** Address of the TCP peer, '' when unknown (in-process requests). */
  peerIp: string;
  /** Protocol of the request URL as the server saw it: 'https:' when TLS ended here. */
  urlProtocol: string;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  trustedProxies: readonly string[];
}

export interface ClientOrigin {
  ip: string;
  https: boolean;
}

export function normaliseIp(ip: string): string {
  const t = ip.trim().replace(/^\[|\]$/g, '');
  // IPv4-mapped IPv6 (::ffff:10.0.0.5) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(t);
  return (mapped ? mapped[1]! : t).toLowerCase();
}

export function clientOrigin(o: OriginInput): ClientOrigin {
  const trusted = new Set(o.trustedProxies.map(normaliseIp));
  const peer = normaliseIp(o.peerIp);
  const directHttps = o.urlProtocol === 'https:';
  if (!peer || !trusted.has(peer)) return { ip: peer, https: directHttps };
  const hops = (o.forwardedFor ?? '')
    .split(',')
    .map(normaliseIp)
    .filter((h) => isIP(h) !== 0);
  let ip = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    ip = hops[i]!;
    if (!trusted.has(ip)) break;
  }
  // The proxy nearest to us wrote the last X-Forwarded-Proto value.
  const proto = (o.forwardedProto ?? '').split(',').pop()?.trim().toLowerCase();
  return { ip, https: proto ? proto === 'https' : directHttps };
}
