import { createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { Logger } from '../../src/logger.ts';
import { Fmp4Splitter } from './fmp4-splitter.ts';
import type { LiveChannel } from './live-channel.ts';
import type { LiveMetrics } from './live-metrics.ts';

/**
 * The recorder end of one camera's live output: a unix socket ffmpeg connects to (as a
 * client, through its fifo muxer), read as fast as it comes and cut into init + fragments for
 * the channel. It always drains: nothing here waits on a viewer, and a connection is never
 * closed from this side while ffmpeg runs (a stream it cannot parse is still read, and
 * dropped). Each ffmpeg run, or reconnect of its live output, is a new connection = a new
 * stream; an older connection still open is drained and ignored.
 */
export class LiveTap {
  private server: Server | null = null;
  private current: Socket | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly o: { cameraId: string; socketPath: string; channel: LiveChannel; log: Logger; metrics?: LiveMetrics },
  ) {}

  get socketPath(): string {
    return this.o.socketPath;
  }

  /** Bytes read from ffmpeg since the tap started. */
  bytesIn = 0;

  async listen(): Promise<void> {
    await rm(this.o.socketPath, { force: true });
    const server = createServer((c) => this.accept(c));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.o.log.error({ cameraId: this.o.cameraId, err: err.message }, 'live socket error'));
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.o.socketPath, { force: true });
  }

  private accept(c: Socket): void {
    this.sockets.add(c);
    this.current = c;
    const splitter = new Fmp4Splitter();
    const camera = { camera: this.o.cameraId };
    c.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
      this.o.metrics?.ingestBytes.inc(camera, chunk.length);
      if (this.current !== c || splitter.broken) return;
      const { pieces, broken } = splitter.push(chunk);
      for (const p of pieces) {
        if (p.kind === 'init') this.o.channel.onInit(p.bytes);
        else this.o.channel.onFragment(p.bytes);
      }
      if (broken) {
        this.o.log.error({ cameraId: this.o.cameraId, problem: broken }, 'live stream from ffmpeg cannot be followed; live for this camera waits for the next run (recording is not affected)');
        this.o.metrics?.streamBroken.inc(camera);
        this.o.channel.onStreamEnd('the live stream from the camera could not be read');
      }
    });
    c.on('error', () => undefined);
    c.on('close', () => {
      this.sockets.delete(c);
      if (this.current !== c) return;
      this.current = null;
      this.o.channel.onStreamEnd('the camera stream stopped; the recorder is reconnecting');
    });
  }
}
