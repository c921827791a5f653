import type { IncomingMessage } from 'node:http';
import type { AuditSink } from '../../src/audit/audit-types.ts';
import type { Clock } from '../../src/clock.ts';
import type { Logger } from '../../src/logger.ts';
import type { ApiLiveMetrics } from './live-metrics.ts';

/**
 * What the API's live handlers need from wherever live comes from: the recorder's LiveHub in
 * this process (recorder/live/live-hub.ts, passed in by bin/), or the recorder's live
 * endpoint in another process (remote-live-source.ts). The API relays the recorder's pieces
 * and control messages unchanged, and the browser's acks back (protocol: recorder/live/
 * live-protocol.ts; these types mirror it, test/unit/live-protocol.test.ts keeps them equal).
 */
export interface LiveControlMessage {
  type: string;
  [key: string]: unknown;
}

export interface LiveSink {
  sendMedia(bytes: Buffer): void;
  sendControl(msg: LiveControlMessage): void;
  bufferedBytes(): number;
  close(code: number, reason: string): void;
}

export interface LiveWatch {
  ack(count: number): void;
  stop(): void;
}

export interface LiveSnapshotResult {
  jpeg: Buffer;
  widthPx: number;
  heightPx: number;
  capturedAtMs: number;
}

export interface LiveSource {
  watch(cameraId: string, sink: LiveSink): LiveWatch;
  snapshot(cameraId: string, opts: { widthPx: number }): Promise<LiveSnapshotResult>;
}

/** WebSocket close codes of the live protocol. */
export const LIVE_CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** The recorder dropped the viewer for staying behind. */
  dropped: 4008,
  unknownCamera: 4004,
  tooManyViewers: 4029,
  /** The recorder serving the camera cannot be reached. */
  recorderUnreachable: 4502,
  /** The camera's lease moved to another recorder node (or ran out): connect again. */
  recorderChanged: 4503,
} as const;

/** Who a request is from, as the API decides it (session cookie or bearer token). */
export type Authenticate<P> = (req: IncomingMessage) => Promise<P | null> | P | null;
/** Whether the principal may watch the camera (role and site scope); false answers 404. */
export type MayWatch<P> = (principal: P, cameraId: string) => Promise<boolean> | boolean;
/** The audit actor of a principal. */
export type ActorOf<P> = (principal: P) => { userId: string; username: string };

/** What both live entry points (WebSocket view, snapshot) are given to serve and audit a viewer. */
export interface LiveAccessOptions<P> {
  source: LiveSource;
  authenticate: Authenticate<P>;
  mayWatch: MayWatch<P>;
  actorOf: ActorOf<P>;
  audit: AuditSink;
  clock: Clock;
  log: Logger;
  metrics?: ApiLiveMetrics;
  /** The client's address for the audit (default: the TCP peer; pass the trusted-proxy rule). */
  clientIp?: (req: IncomingMessage) => string;
}

/** Parses a browser text message; null for anything that is not a well-formed ack. */
export function parseAck(text: string): number | null {
  if (text.length > 200) return null;
  try {
    const m = JSON.parse(text) as { type?: unknown; count?: unknown };
    if (m.type === 'ack' && Number.isSafeInteger(m.count) && (m.count as number) >= 0) return m.count as number;
  } catch {
    /* not JSON */
  }
  return null;
}
