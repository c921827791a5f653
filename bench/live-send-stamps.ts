import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * Stamps when each video frame leaves the simulated camera, for glass-to-glass latency: a TCP
 * proxy between the recorder's ffmpeg and the simulator's RTSP server that passes every byte
 * through unchanged and, on the camera-to-recorder side, reads the interleaved RTP (H.264,
 * RFC 6184: single NAL units and FU-A) and notes, per slice NAL unit, the time its first packet
 * passed. A frame found later in a live fragment is matched by the hash of its slice NAL unit
 * (the sim loops, so the latest stamp of that hash before the arrival is the one).
 */
export class SendStamps {
  private server: Server | null = null;
  /** hash of a slice NAL unit → send times (ms, most recent last). */
  private readonly stamps = new Map<string, number[]>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** When the slice NAL unit with this hash last left the camera at or before atMs. */
  sentAt(hash: string, atMs: number): number | null {
    const times = this.stamps.get(hash);
    if (!times) return null;
    for (let i = times.length - 1; i >= 0; i--) if (times[i]! <= atMs) return times[i]!;
    return null;
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    client.pipe(upstream);
    const fu = { parts: [] as Buffer[], startMs: 0 };
    const reader = new InterleavedReader((channel, rtp, atMs) => channel === 0 && this.onVideoRtp(fu, rtp, atMs));
    upstream.on('data', (d: Buffer) => {
      reader.push(d, Date.now());
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }

  private onVideoRtp(fuState: { parts: Buffer[]; startMs: number }, rtp: Buffer, atMs: number): void {
    const cc = rtp[0]! & 0x0f;
    const ext = (rtp[0]! & 0x10) !== 0;
    let off = 12 + cc * 4;
    if (ext) off += 4 + rtp.readUInt16BE(off + 2) * 4;
    const payload = rtp.subarray(off);
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) return this.onNal(payload, atMs);
    if (type === 28) {
      const fu = payload[1]!;
      if (fu & 0x80) {
        fuState.parts = [Buffer.from([(payload[0]! & 0xe0) | (fu & 0x1f)])];
        fuState.startMs = atMs;
      }
      fuState.parts.push(payload.subarray(2));
      if (fu & 0x40) this.onNal(Buffer.concat(fuState.parts), fuState.startMs);
    }
  }

  private onNal(nal: Buffer, atMs: number): void {
    const type = nal[0]! & 0x1f;
    if (type !== 1 && type !== 5) return;
    const key = sliceHash(nal);
    const list = this.stamps.get(key) ?? [];
    list.push(atMs);
    if (list.length > 8) list.shift();
    this.stamps.set(key, list);
  }
}

export function sliceHash(nal: Buffer): string {
  return createHash('sha1').update(nal).digest('hex');
}

/** RTSP over TCP from the server: text responses, then '$' channel length frames. */
class InterleavedReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onRtp: (channel: number, rtp: Buffer, atMs: number) => void) {}

  push(d: Buffer, atMs: number): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 4) return;
      if (this.buf[0] === 0x24) {
        const len = this.buf.readUInt16BE(2);
        if (this.buf.length < 4 + len) return;
        this.onRtp(this.buf[1]!, this.buf.subarray(4, 4 + len), atMs);
        this.buf = this.buf.subarray(4 + len);
        continue;
      }
      const headEnd = this.buf.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = this.buf.toString('latin1', 0, headEnd);
      const body = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buf.length < headEnd + 4 + body) return;
      this.buf = this.buf.subarray(headEnd + 4 + body);
    }
  }
}
