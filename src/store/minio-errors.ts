import { VigilError } from '../errors.ts';
import { redactText } from '../redact.ts';

/**
 * Turns what the `minio` client throws into a VigilError that says what failed and how to fix
 * it, naming the endpoint and never a credential. Pure, so every case is table-tested.
 */
export interface MinioPlace {
  endPoint: string;
  port: number;
  bucket: string;
  /** Scrubbed from every message, whatever the client put into its error. */
  secretKey: string;
  accessKey: string;
  requestTimeoutMs: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']);
const AUTH_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken']);
const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_OSSL_)/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** The most telling code of an error: its own, else the first of an AggregateError's errors. */
export function errorCodeOf(e: unknown): string | undefined {
  const err = e as ErrorLike | null | undefined;
  if (err && typeof err.code === 'string' && err.code !== '') return err.code;
  if (err && Array.isArray(err.errors)) {
    for (const inner of err.errors) {
      const c = errorCodeOf(inner);
      if (c) return c;
    }
  }
  if (err && typeof err.message === 'string' && /socket hang up/i.test(err.message)) return 'ECONNRESET';
  return undefined;
}

export function isMissingObject(e: unknown): boolean {
  const c = errorCodeOf(e);
  return c === 'NoSuchKey' || c === 'NotFound' || c === 'NoSuchBucket';
}

export function isMissingBucket(e: unknown): boolean {
  return errorCodeOf(e) === 'NoSuchBucket';
}

/** Removes credentials from text the client or server produced. */
export function scrubMinioText(text: string, place: Pick<MinioPlace, 'secretKey' | 'accessKey'>): string {
  let out = redactText(text);
  for (const secret of [place.secretKey, place.accessKey]) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * The VigilError for a failed operation. `action` says what Vigil was doing ("upload of
 * cam-1/…", "bucket check"). Missing objects are the caller's business (isMissingObject).
 */
export function minioError(e: unknown, place: MinioPlace, action: string): VigilError {
  if (e instanceof VigilError) return e;
  const where = `object store at ${place.endPoint}:${place.port}`;
  const code = errorCodeOf(e) ?? '';
  const cause = { cause: e };
  if (code === 'InvalidRange') {
    return new VigilError('range_not_satisfiable', `${action}: the byte range starts past the end of the object`, {}, cause);
  }
  if (code === 'ETIMEDOUT') {
    const hint = 'Check that MinIO is running and that nothing between here and it drops traffic.';
    return new VigilError('store_unavailable', `${where} did not answer within ${place.requestTimeoutMs} ms during ${action}; is MinIO running and reachable?`, { hint }, cause);
  }
  if (NETWORK_CODES.has(code)) {
    const hint = 'Start MinIO, or fix storage.minio.endPoint and storage.minio.port.';
    return new VigilError('store_unavailable', `${where} does not answer (${code}) during ${action}; is MinIO running and reachable?`, { hint }, cause);
  }
  if (DNS_CODES.has(code)) {
    const hint = 'Fix storage.minio.endPoint or the DNS of this machine.';
    return new VigilError('store_unavailable', `${where}: the name ${place.endPoint} cannot be resolved (${code}) during ${action}; check storage.minio.endPoint`, { hint }, cause);
  }
  if (TLS_CODE.test(code)) {
    const hint = 'Check storage.minio.useSSL and that the server certificate is trusted by this machine.';
    return new VigilError('store_unavailable', `${where}: the TLS connection failed (${code}) during ${action}; check storage.minio.useSSL and the certificate`, { hint }, cause);
  }
  if (AUTH_CODES.has(code)) {
    const hint = 'Check storage.minio.accessKey and storage.minio.secretKey, and that this user may use the bucket.';
    return new VigilError('store_unavailable', `${where} refused Vigil's credentials (${code}) during ${action}; check storage.minio.accessKey and secretKey`, { hint }, cause);
  }
  if (code === 'NoSuchBucket') {
    const hint = 'The bucket was removed while Vigil ran; Vigil makes it again on the next check.';
    return new VigilError('store_unavailable', `${where}: bucket "${place.bucket}" does not exist during ${action}`, { hint }, cause);
  }
  const raw = e instanceof Error ? e.message : String(e);
  const text = scrubMinioText(`${code ? `${code}: ` : ''}${raw}`, place).replace(/\s+/g, ' ').trim().slice(0, 200);
  return new VigilError('store_unavailable', `${where} failed during ${action}: ${text}`, { hint: 'See the MinIO server log for this request.' }, cause);
}
