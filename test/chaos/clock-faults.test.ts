import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { chaosRandom } from './chaos-random.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { checkSystem } from './system-check.ts';

/**
 * The system clock as the recorder sees it, plus an offset that a scenario steps (an NTP
 * correction, an operator setting the time by hand). Timers keep real durations, as Node's
 * do when the wall clock jumps.
 */
class SteppedClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
  setTimer(delayMs: number, fn: () => void): () => void {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(t);
  }
}

// Clocks that lie. One camera's clock is hours off from the start, the other's is corrected
// mid-recording; the recorder's own clock steps forward, then back past where it was, each
// time while a camera reconnects under the new time. Footage is placed on the recorder's
// clock, so the steps show as a jump in the timeline, never as footage counted twice or a
// second without a reason; the camera's clock offset is measured again at every onboarding.
describe('chaos: camera clock skew and recorder clock steps', () => {
  let h: RecorderHarness;
  const clock = new SteppedClock();
  const ids = ['skew-a', 'skew-b'] as const;
  const rng = chaosRandom('clock skew and steps');
  const skewA = rng.pick([-1, 1]) * rng.int(10 * 60_000, 3 * 3_600_000);

  beforeAll(async () => {
    h = await startRecorderHarness({
      cameras: [defaultSpec(0, { id: ids[0], video: 'h264', audio: 'aac' }), defaultSpec(1, { id: ids[1], video: 'h264-bframes', audio: 'pcma' })],
      clock,
    });
  }, 60_000);
  afterAll(async () => {
    if (process.env.CHAOS_DEBUG) console.log(h?.logLines.filter((l) => !l.includes('"level":20')).slice(-40).join('\n'));
    await h?.stop().catch(() => undefined);
  });

  const offsetOf = async (id: string) => {
    const row = await h.db.selectFrom('cameras').select(['details']).where('id', '=', id).executeTakeFirstOrThrow();
    return (JSON.parse(row.details) as { clockOffsetMs?: number }).clockOffsetMs;
  };
  const segmentsAfter = async (id: string, ms: number) => (await h.db.selectFrom('segments').select(['start_ms']).where('camera_id', '=', id).where('created_ms', '>=', ms).execute()).length;
  /** Segments indexed after the given row id (index order, whatever the clock said). */
  const lastId = async () => Number((await h.db.selectFrom('segments').select((e) => e.fn.max('id').as('id')).executeTakeFirstOrThrow()).id ?? 0);
  const newSegments = async (id: string, afterId: number) => (await h.db.selectFrom('segments').select(['id']).where('camera_id', '=', id).where('id', '>', afterId).execute()).length;
  // The dropped run's last piece, then two of the run started under the new time.
  const recordedAfter = (what: string, afterId: number) =>
    waitFor(what, async () => (await newSegments(ids[0], afterId)) >= 3 && (await newSegments(ids[1], afterId)) >= 3, { timeoutMs: 30_000, intervalMs: 200 });

  it('never double-counts or loses a second, and records each camera clock offset', async () => {
    const a = h.sim.camera(ids[0]);
    const b = h.sim.camera(ids[1]);
    await waitFor('both cameras recording', async () => (await segmentsAfter(ids[0], 0)) >= 1 && (await segmentsAfter(ids[1], 0)) >= 1, { timeoutMs: 30_000, intervalMs: 200 });
    a.faults.set({ clockSkewMs: skewA });
    a.faults.dropSessions(); // onboarded again, now with the skewed clock
    const skewedAt = clock.nowMs();
    await waitFor('camera A recording again', async () => (await segmentsAfter(ids[0], skewedAt)) >= 1, { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('camera A clock offset measured', async () => Math.abs(((await offsetOf(ids[0])) ?? 0) - skewA) < 2_000, { timeoutMs: 10_000, intervalMs: 200 });

    const skewB = rng.pick([-1, 1]) * rng.int(30_000, 20 * 60_000);
    const forward = rng.int(20_000, 120_000);
    const back = -(forward + rng.int(10_000, 120_000));
    console.log(`camera A skew ${skewA} ms; camera B corrected by ${skewB} ms; recorder clock +${forward} ms, then ${back} ms`);

    // Camera B's clock is corrected (it reconnects: its sessions are cut).
    b.faults.set({ clockSkewMs: skewB });
    b.faults.dropSessions();
    // The recorder's clock jumps forward; a camera reconnects under the new time.
    let mark = await lastId();
    clock.offsetMs += forward;
    rng.pick([a, b]).faults.dropSessions();
    await recordedAfter('footage after the forward step', mark);
    // Then back, past where it was before the first step; both cameras reconnect under it.
    mark = await lastId();
    clock.offsetMs += back;
    a.faults.dropSessions();
    b.faults.dropSessions();
    await recordedAfter('footage after the backward step', mark);
    await waitFor('camera B clock offset measured again', async () => Math.abs(((await offsetOf(ids[1])) ?? 0) - (skewB - clock.offsetMs)) < 2_000, { timeoutMs: 10_000, intervalMs: 200 });

    await h.recorder.stop();
    const check = await checkSystem(h.db, h.store, { cameraIds: ids, stoppedAtMs: clock.nowMs() });
    console.log(`clock faults: ${check.segments} segments, gaps ${JSON.stringify(check.gapMsByReason)}`);
    for (const id of ids) console.log(`${id}: footage ${check.accounting.get(id)?.segmentMs} ms, gaps ${JSON.stringify(check.accounting.get(id)?.gapMsByReason)}`);
    expect(check.problems).toEqual([]);
    expect(check.objects).toBe(check.segments);
    // Keys embed start times: a backward step must not make two segments share a key.
    const keys = await h.db.selectFrom('segments').select(['object_key']).execute();
    expect(new Set(keys.map((k) => k.object_key)).size).toBe(keys.length);
  }, 150_000);
});
