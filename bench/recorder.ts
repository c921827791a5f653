import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childPids, machineFacts } from './proc-stats.ts';
import { startSimProcess, type SimCameraInfo } from './sim-process.ts';
import { measureWindow } from './measure-window.ts';
import { startBareFfmpeg } from './bare-ffmpeg.ts';
import { stopChild } from './stop-child.ts';

/**
 * Recording cost per camera: the whole Vigil recorder (node + its ffmpeg children, uploading
 * to the embedded fs store and indexing in SQLite) against bare ffmpeg doing the same
 * segmenting, on the same simulated cameras in the same run.
 *   npm run bench:recorder -- 10,30 60      (camera counts, seconds measured per phase)
 * (bench/system.ts is the whole-system version: MinIO, the API under load, 100 cameras.)
 */
const counts = (process.argv[2] ?? '10,30').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 60);
const WARMUP_MS = 8_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures { cpuPct: number; pssMiB: number; bytesPerSec: number; segments: number }

async function measure(pids: () => number[], dataDir: string): Promise<Figures> {
  await sleep(WARMUP_MS);
  const bytes0 = dirBytes(dataDir);
  const w = (await measureWindow([{ name: 'all', pids }], seconds * 1000)).get('all')!;
  return { cpuPct: w.cpuPct, pssMiB: w.pssMaxBytes / 2 ** 20, bytesPerSec: (dirBytes(dataDir) - bytes0) / w.wallSeconds, segments: countFiles(dataDir) };
}

function mp4Files(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile() && e.name.endsWith('.mp4'));
  } catch {
    return [];
  }
}
function dirBytes(dir: string): number {
  let n = 0;
  for (const e of mp4Files(dir)) {
    n += statSync(path.join(e.parentPath, e.name)).size;
  }
  return n;
}
function countFiles(dir: string): number {
  return mp4Files(dir).length;
}

async function runVigil(cams: SimCameraInfo[]): Promise<Figures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bench-'));
  const config = path.join(dir, 'vigil.json');
  writeFileSync(config, JSON.stringify({
    dataDir: dir,
    log: { level: 'warn' },
    recorder: { segmentMs: 10_000 },
    cameras: cams.map((c) => ({ id: c.id, onvif: { host: '127.0.0.1', port: c.onvifPort, username: c.username, password: c.password } })),
  }));
  const p = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'recorder', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const f = await measure(() => [p.pid!, ...childPids(p.pid!)], path.join(dir, 'objects'));
  await stopChild(p);
  rmSync(dir, { recursive: true, force: true });
  return f;
}

async function runBare(cams: SimCameraInfo[]): Promise<Figures> {
  const bare = startBareFfmpeg(cams, { segmentMs: 10_000 });
  const f = await measure(bare.pids, bare.dir);
  await bare.stop();
  return f;
}

console.log(`\n### Recorder pipeline vs bare ffmpeg (${seconds} s measured per phase, 10 s segments)`);
console.log(`machine: ${machineFacts()}\n`);
console.log('| cameras | Vigil CPU/camera | bare ffmpeg CPU/camera | ratio | Vigil PSS/camera | bare PSS/camera | stored MB/s (Vigil) | segments (Vigil / bare) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const n of counts) {
  const sim = await startSimProcess(n);
  try {
    const v = await runVigil(sim.cameras);
    const b = await runBare(sim.cameras);
    console.log(
      `| ${n} | ${(v.cpuPct / n).toFixed(2)} % | ${(b.cpuPct / n).toFixed(2)} % | ${(v.cpuPct / b.cpuPct).toFixed(2)} | ${(v.pssMiB / n).toFixed(1)} MiB | ${(b.pssMiB / n).toFixed(1)} MiB | ${(v.bytesPerSec / 1e6).toFixed(2)} | ${v.segments} / ${b.segments} |`,
    );
  } finally {
    sim.stop();
  }
}
console.log('\nCPU in % of one core; PSS is proportional set size (shared pages split between processes).');
process.exit(0);
