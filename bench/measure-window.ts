import { cpuSeconds, machineCpuJiffies, pssBytes, reapedChildrenCpuSeconds } from './proc-stats.ts';

/**
 * CPU and memory of a set of processes over a window: CPU as % of one core (user + system
 * seconds over wall seconds, processes that appear during the window counted from 0), PSS
 * sampled every sampleMs and its maximum kept. With `reapedOf`, the CPU of that process's
 * children that ended during the window is added (e.g. a thumbnail's ffmpeg).
 */
export interface WindowFigures {
  cpuPct: number;
  pssMaxBytes: number;
  wallSeconds: number;
}

export interface ProcessGroup {
  name: string;
  pids: () => number[];
  reapedOf?: number;
}

/** The name under which measureWindow reports the whole machine's busy share (cpuPct of all cores, 0–100). */
export const MACHINE = 'machine';

/** Measures several groups over the same window; resolves when `until` resolves (or after ms). */
export async function measureWindow(groups: readonly ProcessGroup[], until: number | Promise<unknown>, sampleMs = 2_000): Promise<Map<string, WindowFigures>> {
  const t0 = process.hrtime.bigint();
  const m0 = machineCpuJiffies();
  const before = groups.map((g) => ({
    cpu: new Map(g.pids().map((p) => [p, cpuSeconds(p)])),
    reaped: g.reapedOf ? reapedChildrenCpuSeconds(g.reapedOf) : 0,
  }));
  const pssMax = groups.map(() => 0);
  const sample = () => groups.forEach((g, i) => (pssMax[i] = Math.max(pssMax[i]!, g.pids().reduce((n, p) => n + pssBytes(p), 0))));
  sample();
  const timer = setInterval(sample, sampleMs);
  await (typeof until === 'number' ? new Promise((r) => setTimeout(r, until)) : until);
  clearInterval(timer);
  sample();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const out = new Map<string, WindowFigures>();
  groups.forEach((g, i) => {
    let cpu = 0;
    for (const p of g.pids()) cpu += cpuSeconds(p) - (before[i]!.cpu.get(p) ?? 0);
    if (g.reapedOf) cpu += reapedChildrenCpuSeconds(g.reapedOf) - before[i]!.reaped;
    out.set(g.name, { cpuPct: (cpu / wallSeconds) * 100, pssMaxBytes: pssMax[i]!, wallSeconds });
  });
  const m1 = machineCpuJiffies();
  out.set(MACHINE, { cpuPct: ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100, pssMaxBytes: 0, wallSeconds });
  return out;
}
