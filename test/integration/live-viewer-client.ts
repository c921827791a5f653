import WebSocket from 'ws';
import { parseInit, type InitInfo } from '../../src/fmp4/init-info.ts';
import { describeFragment, trexMap } from '../../src/fmp4/fragments.ts';
import { parseMoof } from '../../src/fmp4/moof-info.ts';
import { scanTopLevelBoxes } from '../../src/mp4-boxes.ts';

/**
 * A live viewer for tests and benchmarks: a real WebSocket client of the live protocol that
 * acknowledges every piece as a browser does after appending it, and keeps what arrived
 * when (controls, init segments, fragments with keyframe flag and media time).
 */
export interface ReceivedFragment {
  arrivedMs: number;
  keyframe: boolean;
  /** Media time of the first sample (s) and span (s), from tfdt and trun. */
  startS: number;
  durationS: number;
  bytes: number;
  buffer: Buffer;
}

export class LiveViewerClient {
  readonly controls: Array<{ type: string; [k: string]: unknown }> = [];
  readonly inits: Buffer[] = [];
  readonly fragments: ReceivedFragment[] = [];
  /** Binary messages in arrival order: 'init' or 'fragment'. */
  readonly order: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private consumed = 0;
  private init: InitInfo | null = null;
  readonly ws: WebSocket;

  constructor(url: string, opts: { headers?: Record<string, string>; ack?: boolean; keepBuffers?: boolean } = {}) {
    this.ws = new WebSocket(url, { headers: opts.headers ?? {}, perMessageDeflate: false });
    this.ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      if (!isBinary) {
        this.controls.push(JSON.parse(buf.toString('utf8')) as { type: string });
        return;
      }
      const type = buf.toString('latin1', 4, 8);
      if (type === 'ftyp') {
        this.init = parseInit(buf);
        this.inits.push(buf);
        this.order.push('init');
      } else if (type === 'moof' && this.init) {
        const f = describeFragment(this.init, parseMoof(buf, scanTopLevelBoxes(buf).boxes[0]!, trexMap(this.init)), 0, buf.length);
        const video = this.init.tracks.find((t) => t.handler === 'vide')!;
        const track = f.tracks.find((t) => t.trackId === video.trackId)!;
        this.fragments.push({
          arrivedMs: Date.now(), keyframe: f.startsWithKeyframe, startS: track.decodeTimeTicks / video.timescale, durationS: track.durationTicks / video.timescale, bytes: buf.length,
          buffer: opts.keepBuffers ? buf : Buffer.alloc(0),
        });
        this.order.push('fragment');
      }
      this.consumed++;
      if (opts.ack !== false) this.ws.send(JSON.stringify({ type: 'ack', count: this.consumed }));
    });
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
    this.ws.on('error', () => undefined);
    this.ws.on('unexpected-response', (_req, res) => {
      this.closed = { code: res.statusCode ?? 0, reason: 'http' };
      res.resume();
    });
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** Media seconds received since the first fragment. */
  mediaSpanS(): number {
    const f = this.fragments;
    if (!f.length) return 0;
    return f.at(-1)!.startS + f.at(-1)!.durationS - f[0]!.startS;
  }

  close(): void {
    this.ws.close();
  }
}
