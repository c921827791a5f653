import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { createNotifyMetrics } from '../../src/notify/notify-metrics.ts';
import { classifyStatus, retryAfterMs, retryDelayMs, WebhookDelivery } from '../../src/notify/webhook-delivery.ts';
import { verifyWebhookSignature } from '../../src/notify/webhook-signature.ts';
import { waitFor } from '../helpers/wait.ts';

// Delivery against a real local HTTP receiver with real fetch; retries are timed by a
// ManualClock, so backoff is checked without waiting for it.
const SECRET = 'delivery-test-secret-0123456789';
const TOKEN = 'tok-SECRET-abc123';

interface Received {
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

async function receiver(answers: Array<number | { status: number; headers: Record<string, string> }>) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      const a = answers.shift() ?? 200;
      const { status, headers } = typeof a === 'number' ? { status: a, headers: {} } : a;
      res.writeHead(status, headers).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${TOKEN}?token=${TOKEN}`;
  return { received, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The delivery has taken the answer and armed its retry timer on the clock. */
const retryArmed = (clock: ManualClock) => waitFor('the retry timer', () => clock.pendingTimers() === 1 || undefined);

function harness(url: string, over: Partial<ConstructorParameters<typeof WebhookDelivery>[0]> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 2, 3, 2, 40, 0));
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const registry = createMetricsRegistry({ defaultMetrics: false });
  const metrics = createNotifyMetrics(registry);
  const d = new WebhookDelivery({ target: { id: 'zalo-ward-x', url, secret: SECRET, timeoutMs: 2_000 }, clock, log, metrics, random: () => 1, retryBaseMs: 1_000, retryCapMs: 60_000, ...over });
  return { d, clock, lines, registry };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('webhook delivery', () => {
  it('pure parts: status classes, backoff, Retry-After', () => {
    expect([200, 204, 301, 400, 401, 404, 408, 429, 500, 503].map(classifyStatus)).toEqual(['sent', 'sent', 'rejected', 'rejected', 'rejected', 'rejected', 'retry', 'retry', 'retry', 'retry']);
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 1, { baseMs: 1_000, capMs: 5_000 }))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
    expect(retryDelayMs(3, 0, { baseMs: 1_000, capMs: 60_000 })).toBe(2_000); // jitter keeps the upper half
    expect(retryAfterMs('3', 0)).toBe(3_000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon', 0)).toBeNull();
  });

  it('retries a failing receiver with growing delays on the clock, same body and id each time, until it is accepted', async () => {
    const r = await receiver([500, 503, 500]);
    cleanups.push(r.close);
    const { d, clock, lines, registry } = harness(r.url);
    cleanups.push(() => d.close());
    d.enqueue({ id: 'n-1', kind: 'camera_down', body: '{"id":"n-1","text":"Camera Quầy 3 mất kết nối"}' });
    await waitFor('first attempt', () => r.received.length === 1 || undefined);
    // Backoff 1 s, 2 s, 4 s (random = 1: the full delay). Nothing is sent before it falls due.
    for (const [delayMs, attempts] of [[1_000, 2], [2_000, 3], [4_000, 4]] as const) {
      await retryArmed(clock);
      clock.advance(delayMs - 1);
      await new Promise((res) => setTimeout(res, 30));
      expect(r.received.length).toBe(attempts - 1);
      clock.advance(1);
      await waitFor(`attempt ${attempts}`, () => r.received.length === attempts || undefined);
    }
    await waitFor('idle', async () => (await Promise.race([d.idle().then(() => true), new Promise((res) => setTimeout(() => res(false), 20))])) || undefined);
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
    expect(r.received.map((x) => x.headers['x-vigil-delivery'])).toEqual(['n-1', 'n-1', 'n-1', 'n-1']);
    const stamps = r.received.map((x) => Number(x.headers['x-vigil-timestamp']));
    expect(stamps[3]! - stamps[0]!).toBe(7); // each attempt signed at its own time
    for (const x of r.received) {
      expect(verifyWebhookSignature({ secret: SECRET, body: x.body, timestamp: x.headers['x-vigil-timestamp'] as string, signature: x.headers['x-vigil-signature'] as string, nowMs: clock.nowMs() })).toEqual({ ok: true });
      expect(x.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    const text = await registry.metrics();
    expect(text).toMatch(/vigil_notify_deliveries_total\{webhook="zalo-ward-x",outcome="failed"\} 3/);
    expect(text).toMatch(/vigil_notify_deliveries_total\{webhook="zalo-ward-x",outcome="sent"\} 1/);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.filter((l) => l.includes('will retry')).length).toBe(3);
  });

  it('keeps order: a later message waits behind one being retried', async () => {
    const r = await receiver([500]);
    cleanups.push(r.close);
    const { d, clock } = harness(r.url);
    cleanups.push(() => d.close());
    d.enqueue({ id: 'down', kind: 'camera_down', body: '{"id":"down"}' });
    d.enqueue({ id: 'up', kind: 'camera_up', body: '{"id":"up"}' });
    await waitFor('first attempt', () => r.received.length === 1 || undefined);
    await retryArmed(clock);
    expect(r.received.length).toBe(1);
    clock.advance(1_000);
    await waitFor('both delivered', () => r.received.length === 3 || undefined);
    expect(r.received.map((x) => x.headers['x-vigil-delivery'])).toEqual(['down', 'down', 'up']);
  });

  it('does not retry a rejection (4xx) and goes on with the next message', async () => {
    const r = await receiver([404]);
    cleanups.push(r.close);
    const { d, lines } = harness(r.url);
    cleanups.push(() => d.close());
    d.enqueue({ id: 'a', kind: 'gaps', body: '{}' });
    d.enqueue({ id: 'b', kind: 'gaps', body: '{}' });
    await waitFor('both tried', () => r.received.length === 2 || undefined);
    expect(r.received.map((x) => x.headers['x-vigil-delivery'])).toEqual(['a', 'b']);
    expect(lines.some((l) => l.includes('rejected the message') && l.includes('"status":404'))).toBe(true);
  });

  it('honours Retry-After on 429', async () => {
    const r = await receiver([{ status: 429, headers: { 'retry-after': '5' } }]);
    cleanups.push(r.close);
    const { d, clock } = harness(r.url);
    cleanups.push(() => d.close());
    d.enqueue({ id: 'a', kind: 'gaps', body: '{}' });
    await waitFor('first attempt', () => r.received.length === 1 || undefined);
    await retryArmed(clock);
    clock.advance(4_999);
    await new Promise((res) => setTimeout(res, 30));
    expect(r.received.length).toBe(1);
    clock.advance(1);
    await waitFor('second attempt after 5 s', () => r.received.length === 2 || undefined);
  });

  it('bounds the queue: the oldest waiting message goes first, counted and logged', async () => {
    const r = await receiver([500]);
    cleanups.push(r.close);
    const { d, clock, lines, registry } = harness(r.url, { maxQueue: 3 });
    cleanups.push(() => d.close());
    for (const id of ['m1', 'm2', 'm3', 'm4', 'm5']) d.enqueue({ id, kind: 'gaps', body: `{"id":"${id}"}` });
    expect(d.pending()).toBe(3);
    await waitFor('first attempt', () => r.received.length === 1 || undefined);
    await retryArmed(clock);
    clock.advance(1_000);
    await waitFor('the rest delivered', () => r.received.length === 4 || undefined);
    // m1 was being sent and is kept; m2 and m3 were dropped for m4 and m5.
    expect(r.received.map((x) => x.headers['x-vigil-delivery'])).toEqual(['m1', 'm1', 'm4', 'm5']);
    expect(lines.filter((l) => l.includes('queue full')).length).toBe(2);
    expect(await registry.metrics()).toMatch(/outcome="dropped"\} 2/);
  });

  it('gives up on a message older than giveUpAfterMs, and never logs the URL or its token', async () => {
    // Nothing listens on this port: connection refused.
    const closed = await receiver([]);
    const url = closed.url;
    await closed.close();
    const { d, clock, lines } = harness(url, { giveUpAfterMs: 10_000 });
    cleanups.push(() => d.close());
    d.enqueue({ id: 'a', kind: 'camera_down', body: '{}' });
    for (let i = 0; i < 6 && d.pending() > 0; i++) {
      await waitFor(`attempt ${i + 1} logged`, () => lines.filter((l) => l.includes('"delivery":"a"')).length >= i + 1 || undefined);
      if (lines.some((l) => l.includes('given up'))) break;
      await retryArmed(clock);
      clock.advance(60_000);
    }
    await waitFor('given up', () => lines.some((l) => l.includes('given up')) || undefined);
    expect(d.pending()).toBe(0);
    const all = lines.join('');
    expect(all).toContain('ECONNREFUSED');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('/hooks/');
  });
});
