import type { Readable } from 'node:stream';
import type { Context } from 'hono';
import { VigilError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import type { AppEnv } from './app-deps.ts';
import { problemResponse } from './error-handling.ts';
import { problemFromVigilError } from './problem.ts';
import { contentRange, decideRange, type RangeDecision } from './range-header.ts';

/**
 * Streams footage bytes (a clip, a stored segment, an evidence package) to the client with
 * byte ranges: `Accept-Ranges: bytes`, 206 + `Content-Range` for one range, 416 when it selects
 * nothing. The body is pulled from the Node stream one chunk per read of the client socket,
 * so a slow client holds back the store reads instead of filling memory; a client that goes
 * away destroys the source. `done` runs once, however the stream ends.
 */
export interface BinaryBody {
  sizeBytes: number;
  contentType: string;
  open(range?: { start: number; end: number }): Readable;
}

export interface BinaryOptions {
  headers?: Record<string, string>;
  /** Honour the Range header (default true). */
  ranges?: boolean;
  log?: Logger;
  /** Called once when the body ended, failed or the client left. */
  done?: () => void;
}

/**
 * What the request's Range header asks of a body of this size, or the 416 problem answer
 * (with a `Content-Range: bytes *\/size` header, RFC 9110 §15.5.17) when it selects nothing.
 */
export function rangeOrProblem(c: Context<AppEnv>, sizeBytes: number): RangeDecision | Response {
  const d = decideRange(c.req.header('range'), sizeBytes);
  if (d.kind !== 'unsatisfiable') return d;
  const e = new VigilError('range_not_satisfiable', `the byte range "${(c.req.header('range') ?? '').slice(0, 100)}" lies outside the ${sizeBytes} bytes of this resource`, {
    hint: `Ask for bytes 0 to ${Math.max(0, sizeBytes - 1)}, or leave out the Range header.`,
  });
  const res = problemResponse(c, problemFromVigilError(e, new URL(c.req.url).pathname, c.get('requestId')));
  res.headers.set('Content-Range', contentRange(null, sizeBytes));
  return res;
}

export function binaryResponse(c: Context<AppEnv>, body: BinaryBody, range: RangeDecision, o: BinaryOptions = {}): Response {
  const headers = new Headers(o.headers);
  headers.set('Content-Type', body.contentType);
  if (o.ranges !== false) headers.set('Accept-Ranges', 'bytes');
  const part = range.kind === 'part' ? { start: range.start, end: range.end } : null;
  const length = part ? part.end - part.start + 1 : body.sizeBytes;
  headers.set('Content-Length', String(length));
  if (part) headers.set('Content-Range', contentRange(part, body.sizeBytes));
  const status = part ? 206 : 200;
  if (c.req.method === 'HEAD' || length === 0) {
    o.done?.();
    return new Response(null, { status, headers });
  }
  return new Response(webStream(body.open(part ?? undefined), c.get('requestId'), o), { status, headers });
}

function webStream(source: Readable, requestId: string, o: BinaryOptions): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    source.destroy();
    o.done?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await it.next();
          if (done) {
            finish();
            controller.close();
          } else {
            controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
          }
        } catch (e) {
          // Headers are sent: the client sees a cut body (shorter than Content-Length), never a wrong one.
          o.log?.error({ requestId, err: e instanceof Error ? e.message : String(e) }, 'footage stream failed after the answer began');
          finish();
          controller.error(e);
        }
      },
      async cancel() {
        await it.return?.().catch(() => undefined);
        finish();
      },
    },
    { highWaterMark: 1 },
  );
}
