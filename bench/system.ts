import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startMinio } from '../test/helpers/minio.ts';
import { processesMentioning } from '../test/helpers/vigil-roles.ts';
import { childPids, machineFacts } from './proc-stats.ts';
import { startSimProcess } from './sim-process.ts';
import { MACHINE, measureWindow, type ProcessGroup, type WindowFigures } from './measure-window.ts';
import { startBareFfmpeg } from './bare-ffmpeg.ts';
import { startBenchVigil } from './system-vigil.ts';
import { indexSize, indexWindow, recordedRanges } from './index-stats.ts';
import { runApiLoad } from './api-load.ts';
import { liveServed, openLiveViewers } from './live-load.ts';
import { spread } from './percentiles.ts';
import { printReport, type PhaseResult } from './system-report.ts';

/**
 * The whole system under load, one command: MinIO (.bin/minio) and the camera simulator (its
 * own process) on loopback, then `vigil` with every role, for each camera count:
 *   1. recording only: CPU and PSS of Vigil (node + its ffmpeg), of MinIO, of the simulator and
 *      of the whole machine; upload throughput and PUT rate, upload lag (segment end → indexed),
 *      late segments and gaps, from the index;
 *   2. live viewers through the API (when this build serves live): CPU per viewer, against a
 *      window without viewers just before;
 *   3. the API under load while recording: timelines, thumbnails, concurrent clip downloads
 *      (first byte and whole, p50/p99), and what that load does to the upload lag;
 *   4. the index's size; how long Vigil takes to stop;
 *   5. bare ffmpeg on the same cameras (the recorder's argv, nothing else) for the baseline.
 * Prints markdown tables and saves everything as JSON under bench/results/.
 *
 *   npm run bench:system -- [--cameras 10,30,100] [--seconds 45] [--api-seconds 30]
 *        [--bare-seconds 45] [--live on|off] [--live-viewers 50] [--live-seconds 20]
 *        [--clip-seconds 30] [--warmup-seconds 10] [--out FILE]
 */
const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '10,30,100' },
    seconds: { type: 'string', default: '45' },
    'api-seconds': { type: 'string', default: '30' },
    'bare-seconds': { type: 'string' },
    'live-viewers': { type: 'string', default: '50' },
    live: { type: 'string', default: 'on' },
    'live-seconds': { type: 'string', default: '20' },
    'clip-seconds': { type: 'string', default: '30' },
    'warmup-seconds': { type: 'string', default: '10' },
    out: { type: 'string' },
  },
});
const counts = values.cameras.split(',').map(Number);
const seconds = Number(values.seconds);
const apiSeconds = Number(values['api-seconds']);
const bareSeconds = Number(values['bare-seconds'] ?? values.seconds);
const liveOn = values.live !== 'off';
const liveViewers = liveOn ? Number(values['live-viewers']) : 0;
const liveSeconds = Number(values['live-seconds']);
const clipMs = Number(values['clip-seconds']) * 1000;
const warmupMs = Number(values['warmup-seconds']) * 1000;
const SEGMENT_MS = 10_000; // the default recorder.segmentMs
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const note = (line: string) => process.stderr.write(`[bench:system ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const isFfmpeg = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ffmpeg';
  } catch {
    return false;
  }
};
const figs = (m: Map<string, WindowFigures>, name: string) => m.get(name)!;

const machine = machineFacts();
const startedAt = new Date().toISOString();
note(`machine: ${machine}`);
const minio = await startMinio();
const minioPids = () => processesMentioning(minio.dataDir);
const phases: PhaseResult[] = [];
try {
  for (const n of counts) {
    note(`${n} cameras: starting the simulator`);
    const sim = await startSimProcess(n);
    const simPid = sim.proc.pid!;
    try {
      const t0 = Date.now();
      const vigil = await startBenchVigil({ cams: sim.cameras, minio, bucket: `bench-${n}-${Date.now().toString(36)}`, segmentMs: SEGMENT_MS, live: liveOn });
      process.once('exit', () => vigil.role.proc.kill('SIGKILL')); // never left behind by a failed run
      const recordingCameras = await vigil.waitRecording(n, 60_000 + n * 1_500);
      const startupMs = Date.now() - t0;
      note(`${n} cameras: ${recordingCameras} recording after ${(startupMs / 1000).toFixed(1)} s; warming up`);
      await sleep(warmupMs);

      const groups = (): ProcessGroup[] => [
        { name: 'vigil', pids: vigil.pids, reapedOf: vigil.nodePid },
        { name: 'vigil-node', pids: () => [vigil.nodePid], reapedOf: vigil.nodePid },
        { name: 'vigil-ffmpeg', pids: () => childPids(vigil.nodePid).filter(isFfmpeg) },
        { name: 'minio', pids: minioPids },
        { name: 'sim', pids: () => [simPid] },
      ];
      note(`${n} cameras: recording window ${seconds} s`);
      const w0 = Date.now();
      const rec = await measureWindow(groups(), seconds * 1000);
      const idx = indexWindow(vigil.dbFile, w0, Date.now());
      const wallS = figs(rec, 'vigil').wallSeconds;

      let live: PhaseResult['live'] = null;
      if (liveViewers > 0) {
        const probe = await liveServed(vigil.url, vigil.token, sim.cameras[0]!.id);
        if (!probe.served) live = { served: false, why: probe.why, viewers: 0, cpuPct: NaN, baseCpuPct: NaN, closed: 0, skipped: 0, mbitPerSec: 0 };
        else {
          note(`${n} cameras: ${liveViewers} live viewers for ${liveSeconds} s`);
          // The same length without viewers just before, so the rise is the viewers' and not a drift.
          const base = await measureWindow(groups(), liveSeconds * 1000);
          const viewers = await openLiveViewers(vigil.url, vigil.token, sim.cameras.slice(0, Math.min(5, n)).map((c) => c.id), liveViewers);
          await sleep(3_000);
          const before = viewers.totals();
          const lw = await measureWindow(groups(), liveSeconds * 1000);
          const after = viewers.totals();
          viewers.close();
          live = { served: true, why: '', viewers: liveViewers, cpuPct: figs(lw, 'vigil').cpuPct, baseCpuPct: figs(base, 'vigil').cpuPct, closed: after.closed, skipped: after.skipped, mbitPerSec: ((after.bytes - before.bytes) * 8) / figs(lw, 'vigil').wallSeconds / 1e6 };
        }
      }

      // Clips need footage to cut from: at least a clip and 20 s of margin on some camera.
      for (const until = Date.now() + 120_000; Date.now() < until; await sleep(1_000)) {
        if ([...recordedRanges(vigil.dbFile).values()].some((r) => r.endMs - r.startMs > clipMs + 20_000)) break;
      }
      note(`${n} cameras: API load ${apiSeconds} s`);
      const load = runApiLoad({ url: vigil.url, token: vigil.token, recorded: recordedRanges(vigil.dbFile), durationMs: apiSeconds * 1000, concurrency: { timeline: 2, thumbnail: 2, clip: 4 }, clipMs });
      const apiW0 = Date.now();
      const apiWin = await measureWindow(groups(), load);
      const apiLoad = await load;
      const apiIdx = indexWindow(vigil.dbFile, apiW0, Date.now());

      const size = indexSize(vigil.dbFile);
      note(`${n} cameras: stopping Vigil`);
      const stopped = await vigil.stop();

      let bare: PhaseResult['bare'] = null;
      if (bareSeconds > 0) {
        note(`${n} cameras: bare ffmpeg ${bareSeconds} s`);
        const b = startBareFfmpeg(sim.cameras, { segmentMs: SEGMENT_MS });
        await sleep(8_000);
        const bw = await measureWindow([{ name: 'bare', pids: b.pids }, { name: 'sim', pids: () => [simPid] }], bareSeconds * 1000);
        const files = readdirSync(b.dir).filter((f) => f.endsWith('.mp4')).length;
        await b.stop();
        bare = { cpuPct: figs(bw, 'bare').cpuPct, pssBytes: figs(bw, 'bare').pssMaxBytes, machineBusyPct: figs(bw, MACHINE).cpuPct, segmentFiles: files };
      }

      phases.push({
        cameras: n, recordingCameras, startupMs, stopMs: stopped.ms, stopCode: stopped.code,
        recording: {
          seconds: wallS,
          vigil: figs(rec, 'vigil'), node: figs(rec, 'vigil-node'), ffmpeg: figs(rec, 'vigil-ffmpeg'), minio: figs(rec, 'minio'), sim: figs(rec, 'sim'),
          machineBusyPct: figs(rec, MACHINE).cpuPct,
          segments: idx.segments, uploadBytesPerSec: idx.bytes / wallS, putsPerSec: idx.segments / wallS, expectedPutsPerSec: n / (SEGMENT_MS / 1000),
          lagMs: spread(idx.lagMs), lateSegments: idx.lagMs.filter((l) => l > SEGMENT_MS).length, gapsMsByReason: idx.gapsMsByReason,
        },
        api: {
          seconds: figs(apiWin, 'vigil').wallSeconds, vigilCpuPct: figs(apiWin, 'vigil').cpuPct, machineBusyPct: figs(apiWin, MACHINE).cpuPct,
          kinds: Object.values(apiLoad).map((r) => ({ kind: r.kind, concurrency: r.concurrency, requests: r.totalMs.length, failures: r.failures, statuses: r.statuses, firstByteMs: spread(r.firstByteMs), totalMs: spread(r.totalMs), mibPerSec: r.bytes / 2 ** 20 / figs(apiWin, 'vigil').wallSeconds })),
          lagMs: spread(apiIdx.lagMs), lateSegments: apiIdx.lagMs.filter((l) => l > SEGMENT_MS).length, segments: apiIdx.segments, gapsMsByReason: apiIdx.gapsMsByReason,
        },
        live, index: size, bare,
      });
    } finally {
      if (sim.proc.exitCode === null) {
        const gone = new Promise((r) => sim.proc.once('exit', r));
        sim.stop();
        await gone;
      }
    }
  }
} finally {
  await minio.destroy();
}

const result = { machine, startedAt, finishedAt: new Date().toISOString(), options: { counts, seconds, apiSeconds, bareSeconds, live: liveOn, liveViewers, liveSeconds, clipMs, warmupMs, segmentMs: SEGMENT_MS }, phases };
const out = values.out ?? path.join('bench', 'results', `system-${startedAt.replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
printReport(result);
console.log(`\nJSON: ${out}`);
process.exit(0);
