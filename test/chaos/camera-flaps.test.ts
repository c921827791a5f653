import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { chaosRandom } from './chaos-random.ts';
import { describePlan, faultSteps, planCameraFaults } from './fault-plan.ts';
import { runFaultSteps } from './chaos-run.ts';
import { checkSystem } from './system-check.ts';

// Three cameras (H.264 + G.711, H.264 with B-frames + AAC, H.265 without audio) flap for 30 s
// under a seeded plan of refused connections, cut sessions and stalls, overlapping across
// cameras. Afterwards every millisecond of every camera is footage or a gap with a reason,
// and the store holds exactly the indexed objects, byte for byte.
const WINDOW_MS = 30_000;
const STALL_TIMEOUT_MS = 5_000; // the harness's recorder.stallTimeoutMs

describe('chaos: random camera flaps', () => {
  let h: RecorderHarness;
  const ids = ['flap-a', 'flap-b', 'flap-c'] as const;

  beforeAll(async () => {
    h = await startRecorderHarness({
      cameras: [
        defaultSpec(0, { id: ids[0], video: 'h264', audio: 'pcma' }),
        defaultSpec(1, { id: ids[1], video: 'h264-bframes', audio: 'aac' }),
        defaultSpec(2, { id: ids[2], video: 'h265', audio: 'none' }),
      ],
      segmentMs: 2_000,
    });
  }, 60_000);
  afterAll(async () => h?.stop().catch(() => undefined));

  it('accounts for every second and keeps index and store identical', async () => {
    const rng = chaosRandom('camera flaps');
    await waitFor('every camera recording', () => h.recorder.cameraStates().every((c) => c.state === 'recording'), { timeoutMs: 30_000, intervalMs: 200 });
    const plan = planCameraFaults(rng, { cameraIds: ids, windowMs: WINDOW_MS, stallTimeoutMs: STALL_TIMEOUT_MS });
    console.log(`fault plan:\n${describePlan(plan)}`);
    await runFaultSteps(h.sim, faultSteps(plan), { untilMs: WINDOW_MS });
    const healedAt = Date.now();
    // Recovered: every camera records again and footage after the heal reached the index.
    await waitFor(
      'every camera recording again with footage after the faults',
      async () => {
        if (!h.recorder.cameraStates().every((c) => c.state === 'recording')) return false;
        const rows = await h.db.selectFrom('segments').select(['camera_id']).where('start_ms', '>=', healedAt).execute();
        return ids.every((id) => rows.some((r) => r.camera_id === id));
      },
      // Bound: the last fault's own length is over; then one backoff delay (≤ 10 s), a connect,
      // a first segment (2 s) and its upload, with room for a machine busy with other suites.
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch(async (e: Error) => {
      const rows = await h.db.selectFrom('segments').select(['camera_id', 'start_ms']).where('start_ms', '>=', healedAt).execute();
      const events = await h.db.selectFrom('events').select(['camera_id', 'at_ms', 'to_state', 'detail']).where('at_ms', '>=', healedAt - 5_000).orderBy('at_ms').execute();
      throw new Error(`${e.message}\nstates ${JSON.stringify(h.recorder.cameraStates())}\nsegments after the heal ${JSON.stringify(rows)}\nevents ${JSON.stringify(events.map((x) => ({ ...x, at: Number(x.at_ms) - healedAt })))}`);
    });
    await h.recorder.stop();
    const stoppedAt = Date.now();

    const check = await checkSystem(h.db, h.store, { cameraIds: ids, stoppedAtMs: stoppedAt });
    console.log(`camera flaps: ${check.segments} segments, gaps by reason (ms) ${JSON.stringify(check.gapMsByReason)}`);
    expect(check.problems).toEqual([]);
    expect(check.objects).toBe(check.segments);
    // The faults really happened: every camera lost footage to its long stall, for a reason.
    const gaps = await h.db.selectFrom('gaps').select(['camera_id', 'reason']).execute();
    for (const id of ids) expect(gaps.filter((g) => g.camera_id === id).length, id).toBeGreaterThan(0);
    expect(new Set(gaps.map((g) => g.reason))).toSatisfy((reasons: Set<string>) => [...reasons].every((r) => ['camera_unreachable', 'stream_stalled', 'stream_error'].includes(r)));
    expect(h.logLines.join('\n')).not.toMatch(/sim-pass-\d/);
  }, 150_000);
});
