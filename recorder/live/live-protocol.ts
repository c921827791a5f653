/**
 * The live protocol between the recorder and whoever relays to browsers (the API, in the same
 * process or another one), and on to the browser over WebSocket:
 *
 * - binary message = one fMP4 piece to append to the MediaSource as it is: an init segment
 *   (ftyp + moov) right after a 'stream' message, else a fragment (moof + mdat);
 * - text message = JSON control (LiveControl below), server to client;
 * - the client sends `{"type":"ack","count":N}` after appending: N = binary messages it has
 *   appended since it connected. Acks are how the server knows a viewer's real lag
 *   (delivery-policy.ts); a client that never acks is dropped as lagging.
 *
 * A viewer joining gets at once: 'stream', the init segment, and the current GOP from its
 * keyframe. A new ffmpeg run (reconnect) is a new 'stream' (timestamps restart): the client
 * starts a fresh MediaSource. After 'skipped' the next fragment is a keyframe later in time.
 */
export type LiveControl =
  | { type: 'stream'; cameraId: string; mime: string; codec: string; widthPx: number | null; heightPx: number | null }
  | { type: 'waiting'; cameraId: string; reason: string }
  | { type: 'skipped'; reason: 'behind' }
  | { type: 'ended'; reason: string };

/** Where one viewer's pieces go (a WebSocket, or a relay to one). Must never block. */
export interface LiveSink {
  sendMedia(bytes: Buffer): void;
  sendControl(msg: LiveControl): void;
  /** Bytes waiting in the connection (ws bufferedAmount). */
  bufferedBytes(): number;
  /** The server ends the viewer (dropped, camera removed, shutting down). */
  close(code: number, reason: string): void;
}

export interface LiveWatch {
  /** The client has appended `count` binary messages in total. */
  ack(count: number): void;
  /** The viewer left. */
  stop(): void;
}

/** WebSocket close codes (4000–4999 are the application's). */
export const LIVE_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  dropped: 4008,
  unknownCamera: 4004,
  unauthorized: 4401,
  forbidden: 4403,
  tooManyViewers: 4029,
} as const;

/** Parses a client text message; null for anything that is not a well-formed ack. */
export function parseClientMessage(text: string): { type: 'ack'; count: number } | null {
  if (text.length > 200) return null;
  try {
    const m = JSON.parse(text) as { type?: unknown; count?: unknown };
    if (m.type === 'ack' && Number.isSafeInteger(m.count) && (m.count as number) >= 0) return { type: 'ack', count: m.count as number };
  } catch {
    /* not JSON */
  }
  return null;
}
