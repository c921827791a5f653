import type { WindowFigures } from './measure-window.ts';
import type { IndexSize } from './index-stats.ts';
import { ms, type Spread } from './percentiles.ts';

/** What bench/system.ts measures per camera count (saved as JSON), and its markdown tables. */
export interface PhaseResult {
  cameras: number;
  recordingCameras: number;
  startupMs: number;
  stopMs: number;
  stopCode: number | null;
  recording: {
    seconds: number;
    vigil: WindowFigures;
    node: WindowFigures;
    ffmpeg: WindowFigures;
    minio: WindowFigures;
    sim: WindowFigures;
    machineBusyPct: number;
    segments: number;
    uploadBytesPerSec: number;
    putsPerSec: number;
    expectedPutsPerSec: number;
    lagMs: Spread;
    lateSegments: number;
    gapsMsByReason: Record<string, number>;
  };
  api: {
    seconds: number;
    vigilCpuPct: number;
    machineBusyPct: number;
    kinds: Array<{ kind: string; concurrency: number; requests: number; failures: number; statuses: Record<string, number>; firstByteMs: Spread; totalMs: Spread; mibPerSec: number }>;
    lagMs: Spread;
    lateSegments: number;
    segments: number;
    gapsMsByReason: Record<string, number>;
  };
  live: { served: boolean; why: string; viewers: number; cpuPct: number; baseCpuPct: number; closed: number; skipped: number; mbitPerSec: number } | null;
  index: IndexSize;
  bare: { cpuPct: number; pssBytes: number; machineBusyPct: number; segmentFiles: number } | null;
}

export interface SystemResult {
  machine: string;
  startedAt: string;
  options: { seconds: number; apiSeconds: number; bareSeconds: number; clipMs: number; segmentMs: number; live: boolean; liveSeconds: number };
  phases: PhaseResult[];
}

const pct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} %` : '–');
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const gaps = (g: Record<string, number>) => (Object.keys(g).length ? Object.entries(g).map(([r, v]) => `${r} ${(v / 1000).toFixed(0)} s`).join(', ') : 'none');

export function printReport(r: SystemResult): void {
  const o = r.options;
  console.log(`\n## Whole system (bench/system.ts), ${r.startedAt.slice(0, 16)}Z`);
  console.log(`machine: ${r.machine}; ${o.segmentMs / 1000} s segments, SQLite index, MinIO store, live view ${o.live ? 'on (the default)' : 'off'}; CPU in % of one core\n`);

  console.log(`### Recording (${o.seconds} s window; bare ffmpeg ${o.bareSeconds} s on the same cameras after)\n`);
  console.log('| cameras | recording | Vigil CPU / camera (ffmpeg + node) | Vigil PSS / camera (node total; ffmpeg / camera) | bare ffmpeg CPU / camera | bare PSS / camera | ratio | MinIO CPU | simulator CPU | machine busy | stored MB/s | PUT/s (expected) | upload lag p50 / p99 | late | gaps |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    const n = p.cameras;
    const v = p.recording;
    const b = p.bare;
    console.log(`| ${n} | ${p.recordingCameras} in ${(p.startupMs / 1000).toFixed(0)} s | ${(v.vigil.cpuPct / n).toFixed(2)} % (${(v.ffmpeg.cpuPct / n).toFixed(2)} + ${(v.node.cpuPct / n).toFixed(2)}) | ${(v.vigil.pssMaxBytes / n / 2 ** 20).toFixed(1)} MiB (${mib(v.node.pssMaxBytes)}; ${(v.ffmpeg.pssMaxBytes / n / 2 ** 20).toFixed(1)} MiB) | ${b ? `${(b.cpuPct / n).toFixed(2)} %` : '–'} | ${b ? `${(b.pssBytes / n / 2 ** 20).toFixed(1)} MiB` : '–'} | ${b ? (v.vigil.cpuPct / b.cpuPct).toFixed(2) : '–'} | ${pct(v.minio.cpuPct)} | ${pct(v.sim.cpuPct)} | ${pct(v.machineBusyPct)} | ${(v.uploadBytesPerSec / 1e6).toFixed(2)} | ${v.putsPerSec.toFixed(1)} (${v.expectedPutsPerSec.toFixed(1)}) | ${ms(v.lagMs.p50)} / ${ms(v.lagMs.p99)} | ${v.lateSegments} of ${v.segments} | ${gaps(v.gapsMsByReason)} |`);
  }
  console.log('\nVigil = its node process + its ffmpeg children (+ helpers that ended). Machine busy = all cores, all processes (other users of the machine too). Upload lag = segment end → its index row (ffmpeg closing it, spool, SHA-256, PUT, insert); late = lag over one segment length.');

  console.log(`\n### API while recording (${o.apiSeconds} s; clips of ${o.clipMs / 1000} s from MinIO)\n`);
  console.log('| cameras | request | concurrent | answered | first byte p50 / p99 | whole p50 / p99 | MiB/s | failures | Vigil CPU | machine busy | upload lag p99 (late) | gaps |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    for (const k of p.api.kinds) {
      console.log(`| ${p.cameras} | ${k.kind} | ${k.concurrency} | ${k.requests} | ${ms(k.firstByteMs.p50)} / ${ms(k.firstByteMs.p99)} | ${ms(k.totalMs.p50)} / ${ms(k.totalMs.p99)} | ${k.mibPerSec.toFixed(1)} | ${k.failures}${k.failures ? ` ${JSON.stringify(k.statuses)}` : ''} | ${pct(p.api.vigilCpuPct)} | ${pct(p.api.machineBusyPct)} | ${ms(p.api.lagMs.p99)} (${p.api.lateSegments} of ${p.api.segments}) | ${gaps(p.api.gapsMsByReason)} |`);
    }
  }

  console.log(`\n### Live viewers through the API (${o.liveSeconds} s)\n`);
  console.log('| cameras | viewers | Vigil CPU (no viewers → with viewers, windows back to back) | per viewer | viewers per core | Mbit/s out | dropped / skipped |');
  console.log('|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    const l = p.live;
    if (!l) continue;
    if (!l.served) {
      console.log(`| ${p.cameras} | – | not served by this build's API (${l.why}) | – | – | – | – |`);
      continue;
    }
    const per = (l.cpuPct - l.baseCpuPct) / l.viewers;
    console.log(`| ${p.cameras} | ${l.viewers} | ${pct(l.baseCpuPct)} → ${pct(l.cpuPct)} | ${per.toFixed(2)} % | ${per > 0 ? (100 / per).toFixed(0) : '–'} | ${l.mbitPerSec.toFixed(1)} | ${l.closed} / ${l.skipped} |`);
  }

  console.log('\n### Index and shutdown\n');
  console.log('| cameras | segment rows | gap rows | audit rows | index file (with WAL) | segments table + indexes per row | rows per camera-day | stop took (exit code) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const p of r.phases) {
    const i = p.index;
    console.log(`| ${p.cameras} | ${i.segmentRows} | ${i.gapRows} | ${i.auditRows} | ${mib(i.fileBytes)} | ${Number.isFinite(i.bytesPerSegment) ? `${i.bytesPerSegment.toFixed(0)} B` : '–'} | ${(86_400_000 / o.segmentMs).toFixed(0)} | ${ms(p.stopMs)} (${p.stopCode}) |`);
  }
}
