import type { CameraSimulator } from '../../recorder/sim/simulator.ts';
import type { FaultStep } from './fault-plan.ts';

/**
 * Applies fault steps to the simulator's cameras at their offsets from now (real time: the
 * recorder under test runs on the system clock), then heals every camera at `untilMs`.
 */
export async function runFaultSteps(sim: CameraSimulator, steps: readonly FaultStep[], o: { untilMs: number }): Promise<void> {
  const t0 = Date.now();
  for (const step of steps) {
    await waitUntil(t0 + step.atMs);
    const cam = sim.camera(step.cameraId);
    if ('drop' in step.action) cam.faults.dropSessions();
    else cam.faults.set(step.action.set);
  }
  await waitUntil(t0 + o.untilMs);
  for (const c of sim.cameras) c.faults.clear();
}

/** The scenario's clock: waiting for a planned moment is the plan, not waiting for behaviour. */
function waitUntil(atMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - Date.now())));
}
