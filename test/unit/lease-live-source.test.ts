import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import type { LiveHolderRow } from '../../src/leases/live-route.ts';
import { LeaseLiveSource } from '../../api/live/lease-live-source.ts';
import type { LiveSink, LiveSource } from '../../api/live/live-source.ts';

// The API side of "live follows the lease", on an injected clock: which source a viewer goes to,
// and that a viewer is ended (4503, with its reason) once its camera's holder changes. The
// lease rows are a plain map standing in for the index (the real one: live-multi-node.test.ts).
const log = createLogger({ level: 'silent' });
const flush = () => new Promise<void>((r) => setImmediate(r));

/** A source that records who watched and stopped, and can push a piece. */
function recordingSource(name: string) {
  const watchers: Array<{ cameraId: string; sink: LiveSink; stopped: boolean; acks: number[] }> = [];
  const source: LiveSource = {
    watch(cameraId, sink) {
      const w = { cameraId, sink, stopped: false, acks: [] as number[] };
      watchers.push(w);
      return { ack: (n) => w.acks.push(n), stop: () => (w.stopped = true) };
    },
    snapshot: async () => ({ jpeg: Buffer.from(name), widthPx: 1, heightPx: 1, capturedAtMs: 0 }),
  };
  return { source, watchers };
}

function sink() {
  const s = { media: [] as Buffer[], closed: null as { code: number; reason: string } | null };
  const out: LiveSink = { sendMedia: (b) => s.media.push(b), sendControl: () => undefined, bufferedBytes: () => 0, close: (code, reason) => (s.closed = { code, reason }) };
  return { s, out };
}

function setup(o: { self?: string; secret?: boolean } = {}) {
  const clock = new ManualClock();
  const rows = new Map<string, LiveHolderRow>();
  let lookups = 0;
  const index = { down: false };
  const remotes = new Map<string, ReturnType<typeof recordingSource>>();
  const local = recordingSource('local');
  const src = new LeaseLiveSource({
    lookup: async (ids) => {
      lookups++;
      if (index.down) throw new Error('connection refused');
      return new Map(ids.filter((id) => rows.has(id)).map((id) => [id, rows.get(id)!]));
    },
    local: o.self ? { nodeId: o.self, source: local.source } : null,
    remote: o.secret === false ? null : (url) => {
      if (!remotes.has(url)) remotes.set(url, recordingSource(url));
      return remotes.get(url)!.source;
    },
    clock, log, cacheMs: 1_000, followMs: 2_000,
  });
  const hold = (cameraId: string, nodeId: string, url: string | null = `http://${nodeId}:8091`) => rows.set(cameraId, { nodeId, epoch: 1, expiresMs: clock.nowMs() + 10_000, liveUrl: url });
  return { clock, rows, src, remotes, local, hold, index, lookups: () => lookups };
}

describe('LeaseLiveSource', () => {
  it('watches through the holder\'s published URL, relays acks, and follows the lease: ends the viewer with 4503 when it moves', async () => {
    const t = setup();
    t.hold('cam-1', 'rec-b');
    const v = sink();
    const watch = t.src.watch('cam-1', v.out);
    watch.ack(3); // before the route is known: delivered once connected
    await flush();
    const onB = t.remotes.get('http://rec-b:8091')!.watchers[0]!;
    expect(onB.cameraId).toBe('cam-1');
    expect(onB.acks).toEqual([3]);
    onB.sink.sendMedia(Buffer.from('piece'));
    expect(v.s.media).toHaveLength(1);
    // A renewal: same node, the viewer stays.
    t.hold('cam-1', 'rec-b');
    t.clock.advance(2_000);
    await flush();
    expect(v.s.closed).toBeNull();
    // Failover to A: the next round ends the viewer, stops the relay to B.
    t.hold('cam-1', 'rec-a');
    t.clock.advance(2_000);
    await flush();
    expect(v.s.closed).toEqual({ code: 4503, reason: 'camera cam-1 moved to recorder node rec-a; connect again to watch it there' });
    expect(onB.stopped).toBe(true);
    watch.stop(); // the handler stops it after close: harmless
    // A new viewer goes to A.
    const v2 = sink();
    t.src.watch('cam-1', v2.out);
    await flush();
    expect(t.remotes.get('http://rec-a:8091')!.watchers).toHaveLength(1);
    expect(v2.s.closed).toBeNull();
    t.src.close();
  });

  it('ends a viewer when its camera is held by nobody (lease ran out), not when the index cannot be read', async () => {
    const t = setup();
    t.hold('cam-1', 'rec-b');
    const v = sink();
    t.src.watch('cam-1', v.out);
    await flush();
    t.index.down = true;
    t.clock.advance(2_000);
    await flush();
    expect(v.s.closed).toBeNull(); // the index may be back at the next round
    t.index.down = false;
    t.rows.set('cam-1', { ...t.rows.get('cam-1')!, expiresMs: t.clock.nowMs() });
    t.clock.advance(2_000);
    await flush();
    expect(v.s.closed?.code).toBe(4503);
    expect(v.s.closed?.reason).toMatch(/no recorder holds camera cam-1 now/);
    t.src.close();
  });

  it('uses this process\'s own hub for the cameras it holds, a remote node for the others', async () => {
    const t = setup({ self: 'rec-a' });
    t.hold('cam-1', 'rec-a', null);
    t.hold('cam-2', 'rec-b');
    t.src.watch('cam-1', sink().out);
    t.src.watch('cam-2', sink().out);
    await flush();
    expect(t.local.watchers.map((w) => w.cameraId)).toEqual(['cam-1']);
    expect(t.remotes.get('http://rec-b:8091')!.watchers.map((w) => w.cameraId)).toEqual(['cam-2']);
    expect((await t.src.snapshot('cam-1', { widthPx: 320 })).jpeg.toString()).toBe('local');
    t.src.close();
  });

  it('refuses in plain words: no holder, a holder without a live address, no secret', async () => {
    const t = setup();
    const v = sink();
    t.src.watch('cam-9', v.out);
    await flush();
    expect(v.s.closed).toEqual({ code: 4502, reason: 'no recorder has recorded camera cam-9 yet' });
    t.hold('cam-1', 'rec-b', null);
    await expect(t.src.snapshot('cam-1', { widthPx: 320 })).rejects.toMatchObject({ code: 'camera_unreachable', message: expect.stringMatching(/rec-b .*publishes no live address/) });
    const n = setup({ secret: false });
    n.hold('cam-1', 'rec-b');
    await expect(n.src.snapshot('cam-1', { widthPx: 320 })).rejects.toMatchObject({ code: 'camera_unreachable', message: expect.stringMatching(/no live\.secret/) });
    t.src.close();
    n.src.close();
  });

  it('caches routes for a short time: a wall of snapshots reads the index once per camera per second', async () => {
    const t = setup();
    t.hold('cam-1', 'rec-b');
    for (let i = 0; i < 5; i++) await t.src.snapshot('cam-1', { widthPx: 320 });
    expect(t.lookups()).toBe(1);
    t.clock.advance(1_000);
    await t.src.snapshot('cam-1', { widthPx: 320 });
    expect(t.lookups()).toBe(2);
    t.src.close();
  });
});
