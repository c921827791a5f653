import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Each request carries
 *   X-Vigil-Timestamp: <unix seconds when this attempt was sent>
 *   X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * The timestamp is inside the signed text (as Stripe and Slack do), so a captured request
 * cannot be replayed later with a fresh timestamp; a receiver checks the signature over the
 * raw body bytes, then that the timestamp is within a few minutes of its clock. The body holds
 * the notice id, the same on every retry, for dropping duplicates.
 */
export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';

export function signWebhook(secret: string, timestampSec: number, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; why: string };

/** Checks a received request: signature over "<timestamp>.<body>", timestamp within toleranceMs. */
export function verifyWebhookSignature(o: {
  secret: string;
  body: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
  toleranceMs?: number;
}): SignatureCheck {
  if (!o.timestamp || !/^\d{1,12}$/.test(o.timestamp)) return { ok: false, why: 'missing or malformed timestamp header' };
  if (!o.signature || !/^sha256=[0-9a-f]{64}$/.test(o.signature)) return { ok: false, why: 'missing or malformed signature header' };
  const expected = Buffer.from(signWebhook(o.secret, Number(o.timestamp), o.body));
  const given = Buffer.from(o.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, why: 'signature does not match' };
  const skewMs = Math.abs(o.nowMs - Number(o.timestamp) * 1000);
  if (skewMs > (o.toleranceMs ?? 300_000)) return { ok: false, why: `timestamp is ${Math.round(skewMs / 1000)} s away from now` };
  return { ok: true };
}
