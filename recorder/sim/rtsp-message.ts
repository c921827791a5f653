/**
 * RTSP/1.0 wire format (RFC 2326) for the server side: an incremental parser for what a client
 * sends on the connection (requests, and interleaved '$' frames such as RTCP receiver reports),
 * and response formatting.
 */

export interface RtspRequest {
  method: string;
  uri: string;
  /** Header values by lower-case name; repeated headers are joined with ", ". */
  headers: Map<string, string>;
  body: Buffer;
}

export class RtspProtocolError extends Error {
  readonly code = 'RTSP_PROTOCOL';
}

const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

export interface RtspParserHandlers {
  request(req: RtspRequest): void;
  interleaved(channel: number, data: Buffer): void;
}

export class RtspRequestParser {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly handlers: RtspParserHandlers) {}

  /** Feeds bytes from the socket; throws RtspProtocolError on input that cannot be RTSP. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const consumed = this.next();
      if (consumed === 0) break;
      this.buffer = this.buffer.subarray(consumed);
    }
  }

  /** Parses one message from the buffer; returns bytes consumed, 0 if more are needed. */
  private next(): number {
    const buf = this.buffer;
    if (buf.length === 0) return 0;
    if (buf[0] === 0x24) {
      if (buf.length < 4) return 0;
      const length = buf.readUInt16BE(2);
      if (buf.length < 4 + length) return 0;
      this.handlers.interleaved(buf[1]!, buf.subarray(4, 4 + length));
      return 4 + length;
    }
    // Tolerate stray line breaks between messages.
    if (buf[0] === 0x0d || buf[0] === 0x0a) return 1;
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > MAX_HEADER_BYTES) throw new RtspProtocolError('request header too large');
      return 0;
    }
    const lines = buf.subarray(0, end).toString('utf8').split('\r\n');
    const [method, uri, version] = lines[0]!.split(' ');
    if (!method || !uri || !version?.startsWith('RTSP/')) throw new RtspProtocolError('malformed request line');
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new RtspProtocolError('malformed header line');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prior = headers.get(name);
      headers.set(name, prior === undefined ? value : `${prior}, ${value}`);
    }
    const bodyLength = Number(headers.get('content-length') ?? 0);
    if (!Number.isInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_BODY_BYTES) {
      throw new RtspProtocolError('bad Content-Length');
    }
    const total = end + HEADER_END.length + bodyLength;
    if (buf.length < total) return 0;
    const body = Buffer.from(buf.subarray(end + HEADER_END.length, total));
    this.handlers.request({ method, uri, headers, body });
    return total;
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  457: 'Invalid Range',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  551: 'Option not supported',
};

export type HeaderList = Array<[string, string]>;

export function formatResponse(status: number, cseq: string | undefined, headers: HeaderList = [], body = ''): Buffer {
  const bodyBytes = Buffer.from(body, 'utf8');
  const lines = [`RTSP/1.0 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}`];
  if (cseq !== undefined) lines.push(`CSeq: ${cseq}`);
  lines.push('Server: Vigil-SimCam/1.0');
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (bodyBytes.length > 0) lines.push(`Content-Length: ${bodyBytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), bodyBytes]);
}
