import type { ChaosRandom } from './chaos-random.ts';

/**
 * A seeded plan of camera faults over a window: when, which camera, what, for how long. Pure,
 * so the plan printed with the seed is the plan that ran. Every camera gets at least one stall
 * longer than the recorder's stall timeout (a certain outage with a gap), then random refuse /
 * drop / stall faults follow, a few seconds apart, overlapping across cameras.
 */
export type FaultKind = 'refuse' | 'drop' | 'stall';

export interface PlannedFault {
  atMs: number;
  cameraId: string;
  kind: FaultKind;
  /** How long the fault lasts (0 for drop: sessions are cut once). */
  forMs: number;
}

export function planCameraFaults(rng: ChaosRandom, o: { cameraIds: readonly string[]; windowMs: number; stallTimeoutMs: number }): PlannedFault[] {
  const plan: PlannedFault[] = [];
  // One certain outage per camera, spread over the first half of the window.
  o.cameraIds.forEach((cameraId, i) => {
    const slot = o.windowMs / 2 / o.cameraIds.length;
    plan.push({ atMs: Math.round(i * slot + rng.next() * slot * 0.5), cameraId, kind: 'stall', forMs: o.stallTimeoutMs + rng.int(1_000, 3_000) });
  });
  for (let at = rng.int(1_000, 3_000); at < o.windowMs - 2_000; at += rng.int(1_500, 4_000)) {
    const kind = rng.pick<FaultKind>(['refuse', 'drop', 'stall']);
    const forMs = kind === 'drop' ? 0 : kind === 'refuse' ? rng.int(500, 6_000) : rng.int(1_000, 8_000);
    plan.push({ atMs: at, cameraId: rng.pick(o.cameraIds), kind, forMs: Math.min(forMs, o.windowMs - at) });
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

/** One step of a plan as it is applied: a fault state patch for a camera, or cutting its sessions. */
export interface FaultStep {
  atMs: number;
  cameraId: string;
  action: { drop: true } | { set: { refuse?: boolean; stall?: boolean } };
}

/**
 * The plan as steps: each camera's refuse and stall are on while any planned fault of that
 * kind covers the moment (faults that overlap on one camera merge, rather than one ending
 * the other early or leaving it on).
 */
export function faultSteps(plan: readonly PlannedFault[]): FaultStep[] {
  const steps: FaultStep[] = [];
  const on = (cameraId: string, kind: FaultKind, t: number) => plan.some((f) => f.cameraId === cameraId && f.kind === kind && f.atMs <= t && t < f.atMs + f.forMs);
  const times = new Set<string>();
  for (const f of plan) {
    if (f.kind === 'drop') {
      steps.push({ atMs: f.atMs, cameraId: f.cameraId, action: { drop: true } });
      continue;
    }
    for (const t of [f.atMs, f.atMs + f.forMs]) {
      const key = `${f.cameraId}/${f.kind}/${t}`;
      if (times.has(key)) continue;
      times.add(key);
      steps.push({ atMs: t, cameraId: f.cameraId, action: { set: { [f.kind]: on(f.cameraId, f.kind, t) } } });
    }
  }
  return steps.sort((a, b) => a.atMs - b.atMs);
}

export function describePlan(plan: readonly PlannedFault[]): string {
  return plan.map((f) => `  +${(f.atMs / 1000).toFixed(1)} s ${f.cameraId} ${f.kind}${f.forMs ? ` ${f.forMs} ms` : ''}`).join('\n');
}
