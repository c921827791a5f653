import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { redactText } from '../redact.ts';
import type { NotifyMetrics } from './notify-metrics.ts';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature.ts';

/**
 * Delivery to one webhook: a bounded queue sent in order, one request at a time (a "down"
 * never overtakes the "up" that follows it), each POST signed (webhook-signature.ts) and
 * retried with exponential backoff and jitter on the injected Clock until it is accepted, the
 * receiver rejects it for good (a 4xx other than 408/429), or it is older than giveUpAfterMs.
 * When the queue is full the oldest waiting message is dropped, counted and logged.
 *
 * The URL often carries the receiver's token (in the path or query): it never reaches a log
 * line, a metric or an error; the webhook is named by its configured id.
 */
export interface WebhookTarget {
  id: string;
  url: string;
  secret: string;
  timeoutMs: number;
}

export interface DeliveryOptions {
  target: WebhookTarget;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  random?: () => number;
  metrics?: NotifyMetrics;
  maxQueue?: number;
  giveUpAfterMs?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
}

export interface OutgoingMessage {
  /** The notice id, also inside the body: the same on every attempt. */
  id: string;
  kind: string;
  body: string;
}

interface Queued extends OutgoingMessage {
  enqueuedAtMs: number;
  attempts: number;
}

export type ResponseClass = 'sent' | 'retry' | 'rejected';

/** 2xx accepted; 408, 425, 429 and 5xx (and no answer) retried; any other status rejected. */
export function classifyStatus(status: number): ResponseClass {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}

/** Delay before retry n (1-based): base·2^(n−1) capped, jittered into the upper half. */
export function retryDelayMs(attempt: number, random: number, o: { baseMs: number; capMs: number }): number {
  const full = Math.min(o.capMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + (full / 2) * random);
}

/** A Retry-After header (seconds or an HTTP date) in ms from now, or null. */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

export class WebhookDelivery {
  private readonly queue: Queued[] = [];
  private sending = false;
  private cancelWait: (() => void) | null = null;
  private closed = false;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private readonly o: Required<Omit<DeliveryOptions, 'metrics'>> & { metrics?: NotifyMetrics };

  constructor(opts: DeliveryOptions) {
    this.o = {
      fetch: globalThis.fetch,
      random: Math.random,
      maxQueue: 1000,
      giveUpAfterMs: 6 * 3_600_000,
      retryBaseMs: 1_000,
      retryCapMs: 300_000,
      ...opts,
    };
    this.o.metrics?.queue.set({ webhook: this.o.target.id }, 0);
    // Every outcome series exists from the start, so increase() sees the first failure.
    for (const outcome of ['sent', 'failed', 'rejected', 'dropped']) this.o.metrics?.deliveries.inc({ webhook: this.o.target.id, outcome }, 0);
  }

  get id(): string {
    return this.o.target.id;
  }

  enqueue(m: OutgoingMessage): void {
    if (this.closed) return;
    if (this.queue.length >= this.o.maxQueue) {
      // Keep the message being sent; drop the oldest one waiting behind it.
      const dropped = this.queue.splice(this.sending ? 1 : 0, 1)[0];
      if (dropped) {
        this.o.metrics?.deliveries.inc({ webhook: this.id, outcome: 'dropped' });
        this.o.log.error({ webhook: this.id, delivery: dropped.id, kind: dropped.kind, maxQueue: this.o.maxQueue }, 'webhook queue full: oldest waiting message dropped');
      }
    }
    this.queue.push({ ...m, enqueuedAtMs: this.o.clock.nowMs(), attempts: 0 });
    this.o.metrics?.queue.set({ webhook: this.id }, this.queue.length);
    this.pump();
  }

  pending(): number {
    return this.queue.length;
  }

  /** Resolves when the queue is empty. */
  async idle(): Promise<void> {
    if (this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; what is queued is dropped (logged with its count). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWait?.();
    this.cancelWait = null;
    this.abort.abort();
    if (this.queue.length) this.o.log.warn({ webhook: this.id, pending: this.queue.length }, 'webhook messages not delivered before stopping');
  }

  private pump(): void {
    if (this.closed || this.sending || this.cancelWait || this.queue.length === 0) return;
    const head = this.queue[0]!;
    this.sending = true;
    void this.attempt(head).then((retryInMs) => {
      this.sending = false;
      if (this.closed) return;
      if (retryInMs === null) {
        if (this.queue[0] === head) this.queue.shift();
        this.o.metrics?.queue.set({ webhook: this.id }, this.queue.length);
        if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
        return;
      }
      this.cancelWait = this.o.clock.setTimer(retryInMs, () => {
        this.cancelWait = null;
        this.pump();
      });
    });
  }

  /** One POST. Returns null when the message is done with (sent, rejected, expired), else the retry delay. */
  private async attempt(m: Queued): Promise<number | null> {
    m.attempts++;
    const timestampSec = Math.floor(this.o.clock.nowMs() / 1000);
    let status: number | null = null;
    let retryAfter: string | null = null;
    let error = '';
    try {
      const res = await this.o.fetch(this.o.target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Vigil-Webhook/1',
          'x-vigil-event': m.kind,
          'x-vigil-delivery': m.id,
          [TIMESTAMP_HEADER]: String(timestampSec),
          [SIGNATURE_HEADER]: signWebhook(this.o.target.secret, timestampSec, m.body),
        },
        body: m.body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.target.timeoutMs)]),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      await res.body?.cancel().catch(() => undefined);
    } catch (e) {
      if (this.closed) return null;
      error = this.describeError(e);
    }
    const line = { webhook: this.id, delivery: m.id, kind: m.kind, attempt: m.attempts, ...(status !== null ? { status } : { error }) };
    const outcome: ResponseClass = status === null ? 'retry' : classifyStatus(status);
    if (outcome === 'sent') {
      this.o.metrics?.deliveries.inc({ webhook: this.id, outcome: 'sent' });
      this.o.metrics?.lastSuccess.set({ webhook: this.id }, this.o.clock.nowMs() / 1000);
      this.o.log.info(line, 'webhook delivered');
      return null;
    }
    if (outcome === 'rejected') {
      this.o.metrics?.deliveries.inc({ webhook: this.id, outcome: 'rejected' });
      this.o.log.error(line, 'webhook receiver rejected the message; not retried (check the webhook url and secret)');
      return null;
    }
    this.o.metrics?.deliveries.inc({ webhook: this.id, outcome: 'failed' });
    const ageMs = this.o.clock.nowMs() - m.enqueuedAtMs;
    if (ageMs >= this.o.giveUpAfterMs) {
      this.o.metrics?.deliveries.inc({ webhook: this.id, outcome: 'dropped' });
      this.o.log.error({ ...line, ageMs }, 'webhook message given up after retrying too long');
      return null;
    }
    const backoff = retryDelayMs(m.attempts, this.o.random(), { baseMs: this.o.retryBaseMs, capMs: this.o.retryCapMs });
    const asked = retryAfterMs(retryAfter, this.o.clock.nowMs());
    const delayMs = asked === null ? backoff : Math.min(this.o.retryCapMs, Math.max(backoff, asked));
    this.o.log.warn({ ...line, delayMs }, 'webhook delivery failed; will retry');
    return delayMs;
  }

  /** The error in words, with the webhook URL (and any token in it) removed. */
  private describeError(e: unknown): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    let text = err.name === 'TimeoutError' ? `no answer within ${this.o.target.timeoutMs} ms` : [err.message, err.cause?.code ?? err.cause?.message].filter(Boolean).join(': ');
    const url = this.o.target.url;
    let parts: string[] = [url];
    try {
      const u = new URL(url);
      parts = [url, u.pathname + u.search, u.search, u.pathname].filter((p) => p.length > 1);
    } catch {
      // not a URL: the whole string is removed
    }
    for (const p of parts) text = text.split(p).join('[webhook url]');
    return redactText(text);
  }
}
