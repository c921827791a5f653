import { describe, expect, it } from 'vitest';
import { seededRandom } from './chaos-random.ts';
import { faultSteps, planCameraFaults, type PlannedFault } from './fault-plan.ts';

// The chaos suite's own logic: a seed gives one plan, every camera surely loses footage, and
// overlapping faults on one camera merge instead of one ending the other early.
describe('chaos fault plan', () => {
  it('is the same plan for the same seed, and another for another seed', () => {
    const o = { cameraIds: ['a', 'b', 'c'], windowMs: 30_000, stallTimeoutMs: 5_000 };
    expect(planCameraFaults(seededRandom(42), o)).toEqual(planCameraFaults(seededRandom(42), o));
    expect(planCameraFaults(seededRandom(42), o)).not.toEqual(planCameraFaults(seededRandom(43), o));
  });

  it('gives every camera a stall longer than the stall timeout, all inside the window', () => {
    for (let seed = 0; seed < 50; seed++) {
      const plan = planCameraFaults(seededRandom(seed), { cameraIds: ['a', 'b', 'c'], windowMs: 30_000, stallTimeoutMs: 5_000 });
      for (const id of ['a', 'b', 'c']) expect(plan.some((f) => f.cameraId === id && f.kind === 'stall' && f.forMs > 5_000), `seed ${seed} camera ${id}`).toBe(true);
      for (const f of plan) expect(f.atMs + f.forMs).toBeLessThanOrEqual(30_000);
    }
  });

  const cases: Array<{ name: string; plan: PlannedFault[]; steps: Array<[number, string, unknown]> }> = [
    {
      name: 'one stall: on, then off',
      plan: [{ atMs: 1_000, cameraId: 'a', kind: 'stall', forMs: 2_000 }],
      steps: [[1_000, 'a', { set: { stall: true } }], [3_000, 'a', { set: { stall: false } }]],
    },
    {
      name: 'a short stall inside a long one does not end it',
      plan: [{ atMs: 0, cameraId: 'a', kind: 'stall', forMs: 6_000 }, { atMs: 2_000, cameraId: 'a', kind: 'stall', forMs: 1_000 }],
      steps: [[0, 'a', { set: { stall: true } }], [2_000, 'a', { set: { stall: true } }], [3_000, 'a', { set: { stall: true } }], [6_000, 'a', { set: { stall: false } }]],
    },
    {
      name: 'overlapping refusals end with the later one',
      plan: [{ atMs: 0, cameraId: 'a', kind: 'refuse', forMs: 3_000 }, { atMs: 2_000, cameraId: 'a', kind: 'refuse', forMs: 3_000 }],
      steps: [[0, 'a', { set: { refuse: true } }], [2_000, 'a', { set: { refuse: true } }], [3_000, 'a', { set: { refuse: true } }], [5_000, 'a', { set: { refuse: false } }]],
    },
    {
      name: 'kinds and cameras are independent; a drop is one step',
      plan: [{ atMs: 0, cameraId: 'a', kind: 'stall', forMs: 2_000 }, { atMs: 500, cameraId: 'b', kind: 'stall', forMs: 500 }, { atMs: 1_000, cameraId: 'a', kind: 'drop', forMs: 0 }],
      steps: [[0, 'a', { set: { stall: true } }], [500, 'b', { set: { stall: true } }], [1_000, 'b', { set: { stall: false } }], [1_000, 'a', { drop: true }], [2_000, 'a', { set: { stall: false } }]],
    },
  ];
  it.each(cases)('$name', ({ plan, steps }) => {
    expect(faultSteps(plan).map((s) => [s.atMs, s.cameraId, s.action])).toEqual(steps);
  });
});
