import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU and memory of processes from /proc, for benchmarks: CPU as seconds of user+system time
 * (compare two readings over a window), memory as PSS (proportional set size: shared pages
 * split between the processes sharing them, so N processes' PSS add up honestly).
 */
const CLK_TCK = 100;

export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of a process's children that have ended and been waited for (cutime + cstime):
 * short-lived helpers such as a thumbnail's ffmpeg, which a reading of live children misses.
 */
export function reapedChildrenCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
  } catch {
    return 0;
  }
}

export function pssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sums CPU seconds of several processes between two calls: start() then stop(). */
export function cpuWindow(pids: () => number[]): { stop(): { cpuSeconds: number; wallSeconds: number } } {
  const t0 = process.hrtime.bigint();
  const before = new Map(pids().map((p) => [p, cpuSeconds(p)]));
  return {
    stop() {
      let total = 0;
      for (const p of pids()) total += cpuSeconds(p) - (before.get(p) ?? 0);
      return { cpuSeconds: total, wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    },
  };
}

/** Whole-machine CPU jiffies from /proc/stat (every process, other users' too): busy and total. */
export function machineCpuJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function machineFacts(): string {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm)?.length ?? 0;
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return `${cpu}, ${cores} cores, ${(memKb / 1024 / 1024).toFixed(1)} GiB, Node ${process.version}`;
}

/** Direct children of a process (e.g. the ffmpeg processes of a recorder). */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
