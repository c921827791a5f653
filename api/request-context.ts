import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../src/logger.ts';
import type { AppEnv } from './app-deps.ts';
import { clientOrigin } from './client-origin.ts';
import type { HttpMetrics } from './http-metrics.ts';

/**
 * First middleware of every request: a request id (X-Request-Id, quoted in problems and
 * logs), the client origin (address, HTTPS) behind trusted proxies, headers that keep
 * personal data out of caches and frames, one log line and the request metrics.
 */
export function requestContext(o: { log: Logger; metrics: HttpMetrics; trustedProxies: readonly string[] }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const env = c.env as Partial<HttpBindings> | undefined;
    const origin = clientOrigin({
      peerIp: env?.incoming?.socket?.remoteAddress ?? '',
      urlProtocol: new URL(c.req.url).protocol,
      forwardedFor: c.req.header('x-forwarded-for'),
      forwardedProto: c.req.header('x-forwarded-proto'),
      trustedProxies: o.trustedProxies,
    });
    c.set('origin', origin);
    await next();
    c.header('X-Request-Id', requestId);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const route = c.get('routeLabel') ?? 'unmatched';
    const status = c.res.status;
    o.metrics.observe(c.req.method, route, status, seconds);
    const principal = c.get('principal');
    o.log[status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug'](
      { requestId, method: c.req.method, route, status, ms: Math.round(seconds * 1000), ip: origin.ip, user: principal?.user.username },
      'api request',
    );
  };
}
