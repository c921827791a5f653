import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CameraSimulator } from '../recorder/sim/simulator.ts';
import { defaultSpec } from '../recorder/sim/camera-spec.ts';
import type { LiveFragment } from '../recorder/live/live-channel.ts';
import { parseMoof } from '../src/fmp4/moof-info.ts';
import { scanTopLevelBoxes } from '../src/mp4-boxes.ts';
import { startLiveApi, startLiveRecorder } from '../test/integration/live-recorder-setup.ts';
import { LiveViewerClient } from '../test/integration/live-viewer-client.ts';
import { childPids, cpuSeconds, machineFacts } from './proc-stats.ts';
import { SendStamps, sliceHash } from './live-send-stamps.ts';

/**
 * Live view figures (printed, never pass/fail):
 *  1. glass-to-glass latency per live fragment length: the simulated camera's send time of each
 *     frame (stamped on the wire, live-send-stamps.ts) to its arrival at the recorder, at a
 *     WebSocket viewer, and its presentation in Chromium (requestVideoFrameCallback);
 *  2. CPU of the recorder + API process and its ffmpeg per WebSocket viewer (viewers in
 *     another process);
 *  3. a snapshot wall of N cameras refreshed every interval: time to refresh all of them.
 *
 *   npm run bench:live -- [--seconds 20] [--fragment-ms 200,40] [--viewers 0,10,50]
 *                         [--wall-cameras 30] [--wall-rounds 6] [--wall-interval-ms 5000] [--walls 2]
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    'fragment-ms': { type: 'string', default: '200,40' },
    viewers: { type: 'string', default: '0,10,50' },
    'wall-cameras': { type: 'string', default: '30' },
    'wall-rounds': { type: 'string', default: '6' },
    'wall-interval-ms': { type: 'string', default: '5000' },
    'wall-width': { type: 'string', default: '320' },
    walls: { type: 'string', default: '2' },
    only: { type: 'string', default: 'latency,cpu,wall' },
    'target-latency-s': { type: 'string', default: '' },
  },
});
const seconds = Number(values.seconds);
const only = new Set(values.only.split(','));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PLAYER_JS = readFileSync(fileURLToPath(new URL('../api/live/browser/live-player.js', import.meta.url)), 'utf8');
const PAGE = `<!doctype html><meta charset="utf-8"><video id="v" muted playsinline width="640"></video>
<script type="module">
  import { startLivePlayer } from '/live-player.js';
  window.frames = [];
  const target = new URLSearchParams(location.search).get('target');
  window.player = startLivePlayer(document.getElementById('v'), 'ws://' + location.host + '/api/v1/cameras/cam-1/live?user=bench', { onFrame: (f) => window.frames.push(f), ...(target ? { targetLatencyS: Number(target) } : {}) });
</script>`;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(0).padStart(5) : '    –');

interface SampleTimes { sentMs: number | null; tapMs: number; wsMs?: number; presentedMs?: number }

/** Per video sample of a live fragment: presentation time (s) and slice hash. */
function samplesOf(f: LiveFragment): Array<{ ptsS: number; hash: string | null }> {
  const moof = parseMoof(f.bytes, scanTopLevelBoxes(f.bytes).boxes[0]!);
  const traf = moof.trafs[0]!;
  const out: Array<{ ptsS: number; hash: string | null }> = [];
  let dts = traf.decodeTime!.value;
  for (const trun of traf.truns) {
    let at = trun.dataOffset ?? 0;
    for (const s of trun.samples) {
      const data = f.bytes.subarray(at, at + s.sizeBytes);
      let hash: string | null = null;
      for (let o = 0; o + 4 < data.length;) {
        const len = data.readUInt32BE(o);
        const nal = data.subarray(o + 4, o + 4 + len);
        const type = nal[0]! & 0x1f;
        if (type === 1 || type === 5) {
          hash = sliceHash(nal);
          break;
        }
        o += 4 + len;
      }
      out.push({ ptsS: (dts + s.compositionOffsetTicks) / f.timescale, hash });
      dts += s.durationTicks;
      at += s.sizeBytes;
    }
  }
  return out;
}

async function latency(fragmentMs: number): Promise<void> {
  const sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { video: 'h264', audio: 'none' })], discoveryPort: null, media: { loopSeconds: 10 } });
  const stamps = new SendStamps({ host: '127.0.0.1', port: sim.cameras[0]!.rtsp.port });
  await stamps.start();
  const rig = await startLiveRecorder({
    cameras: [], sim, live: { fragmentMs }, logLevel: 'warn',
    cameraConfig: (c) => ({ id: c.spec.id, rtspUrl: `rtsp://127.0.0.1:${stamps.port}/main`, username: c.spec.username, password: c.spec.password, audio: 'off' }),
  });
  const hub = rig.recorder.live!;
  const byPts = new Map<number, SampleTimes>();
  const key = (s: number) => Math.round(s * 1000);
  const fragStart = new Map<number, LiveFragment>();
  hub.channel('cam-1')!.on('fragment', (f: LiveFragment) => {
    fragStart.set(key(f.decodeTimeTicks / f.timescale), f);
    for (const s of samplesOf(f)) byPts.set(key(s.ptsS), { sentMs: s.hash ? stamps.sentAt(s.hash, f.receivedAtMs) : null, tapMs: f.receivedAtMs });
  });
  const api = await startLiveApi({
    source: hub, log: rig.log, allowed: ['cam-1'],
    extra: (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      else if (path === '/live-player.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(PLAYER_JS);
      else return false;
      return true;
    },
  });
  while (!hub.latestKeyframe('cam-1')) await sleep(100);
  const viewer = new LiveViewerClient(`ws://127.0.0.1:${api.port}/api/v1/cameras/cam-1/live?user=bench`);
  await viewer.opened();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const openedMs = Date.now();
  await page.goto(`http://127.0.0.1:${api.port}/${values['target-latency-s'] ? `?target=${values['target-latency-s']}` : ''}`);
  let firstFrameMs = NaN;
  while (!Number.isFinite(firstFrameMs)) {
    const n = await page.evaluate(() => (window as unknown as { frames: unknown[] }).frames.length);
    if (n > 0) firstFrameMs = Date.now() - openedMs;
    else await sleep(20);
  }
  await sleep(3_000); // settle at the live edge
  const fromMs = Date.now();
  await sleep(seconds * 1000);
  const frames = (await page.evaluate(() => (window as unknown as { frames: Array<{ mediaTime: number; presentedAtMs: number }> }).frames)).filter((f) => f.presentedAtMs >= fromMs);
  for (const vf of viewer.fragments.filter((f) => f.arrivedMs >= fromMs)) {
    const f = fragStart.get(key(vf.startS));
    if (!f) continue;
    for (const s of samplesOf(f)) {
      const t = byPts.get(key(s.ptsS));
      if (t) t.wsMs = vf.arrivedMs;
    }
  }
  for (const fr of frames) {
    const t = byPts.get(key(fr.mediaTime));
    if (t && t.presentedMs === undefined) t.presentedMs = fr.presentedAtMs;
  }
  const all = [...byPts.values()].filter((t) => t.sentMs !== null && t.tapMs >= fromMs);
  const d = (pick: (t: SampleTimes) => number | undefined) => all.map((t) => (pick(t) ?? NaN) - t.sentMs!).filter(Number.isFinite);
  const rows: Array<[string, number[]]> = [
    ['camera → recorder (fragment complete)', d((t) => t.tapMs)],
    ['camera → WebSocket viewer (node)', d((t) => t.wsMs)],
    ['camera → presented in Chromium', d((t) => t.presentedMs)],
  ];
  console.log(`\nlive fragments of at most ${fragmentMs} ms; ${all.length} frames stamped; first frame in Chromium ${firstFrameMs} ms after opening the page`);
  console.log('  path                                     p50 ms  p99 ms  frames');
  for (const [name, v] of rows) console.log(`  ${name.padEnd(40)} ${fmt(pct(v, 50))}   ${fmt(pct(v, 99))}   ${String(v.length).padStart(5)}`);
  const edge = await page.evaluate(() => {
    const v = document.getElementById('v') as HTMLVideoElement;
    return v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : NaN;
  });
  console.log(`  Chromium plays ${(edge * 1000).toFixed(0)} ms behind its newest buffered frame; player jumps: ${await page.evaluate(() => (window as unknown as { player: { stats: { jumps: number } } }).player.stats.jumps)}`);
  viewer.close();
  await browser.close();
  await api.close();
  await rig.stop();
  await stamps.stop();
  await sim.stop();
}

async function cpuPerViewer(fragmentMs: number): Promise<void> {
  const counts = values.viewers.split(',').map(Number);
  const sim = await CameraSimulator.start({ cameras: [defaultSpec(0, { video: 'h264', audio: 'pcma' })], discoveryPort: null, media: { loopSeconds: 10 } });
  const rig = await startLiveRecorder({ cameras: [], sim, logLevel: 'warn', live: { fragmentMs } });
  const hub = rig.recorder.live!;
  const api = await startLiveApi({ source: hub, log: rig.log, allowed: ['cam-1'] });
  while (!hub.latestKeyframe('cam-1')) await sleep(100);
  const ffmpegPids = () => childPids(process.pid).filter((p) => /ffmpeg/.test(readFileSync(`/proc/${p}/cmdline`, 'latin1')));
  console.log(`\nCPU of the recorder + API process and its ffmpeg, one 1080p H.264 camera (~2 Mbit/s), fragments of at most ${fragmentMs} ms, ${seconds} s per step`);
  console.log('  viewers  node %core  ffmpeg %core  Mbit/s out  per viewer %core  skipped  dropped');
  let base = NaN;
  for (const n of counts) {
    const child = n > 0 ? spawn(process.execPath, ['--import', 'tsx', 'bench/live-viewers.ts', `ws://127.0.0.1:${api.port}/api/v1/cameras/cam-1/live?user=bench`, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] }) : null;
    let out = '';
    child?.stdout!.on('data', (d) => (out += String(d)));
    while (child && !out.includes('ready')) await sleep(50);
    await sleep(3_000);
    const bytes0 = Number((await api.registry.getSingleMetric('vigil_live_bytes_out_total')!.get()).values.reduce((a, v) => a + v.value, 0));
    const node0 = process.cpuUsage();
    const ff = ffmpegPids();
    const ff0 = ff.reduce((a, p) => a + cpuSeconds(p), 0);
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const wall = (Date.now() - t0) / 1000;
    const nodeCpu = process.cpuUsage(node0);
    const nodePct = ((nodeCpu.user + nodeCpu.system) / 1e6 / wall) * 100;
    const ffPct = ((ff.reduce((a, p) => a + cpuSeconds(p), 0) - ff0) / wall) * 100;
    const bytes1 = Number((await api.registry.getSingleMetric('vigil_live_bytes_out_total')!.get()).values.reduce((a, v) => a + v.value, 0));
    let totals = { skipped: 0, closed: 0 };
    if (child) {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      totals = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as typeof totals;
    }
    if (n === 0) base = nodePct + ffPct;
    const per = n > 0 ? (nodePct + ffPct - base) / n : NaN;
    console.log(`  ${String(n).padStart(7)}  ${nodePct.toFixed(1).padStart(10)}  ${ffPct.toFixed(1).padStart(12)}  ${(((bytes1 - bytes0) * 8) / wall / 1e6).toFixed(1).padStart(10)}  ${Number.isFinite(per) ? per.toFixed(2).padStart(16) : '               –'}  ${String(totals.skipped ?? 0).padStart(7)}  ${String(totals.closed ?? 0).padStart(7)}`);
  }
  console.log(`  (node also runs the camera simulator, a constant; "per viewer" is the rise over 0 viewers divided by the count; camera sessions: ${sim.activeRtspSessions()})`);
  await api.close();
  await rig.stop();
  await sim.stop();
}

async function wall(): Promise<void> {
  const n = Number(values['wall-cameras']);
  const rounds = Number(values['wall-rounds']);
  const intervalMs = Number(values['wall-interval-ms']);
  const widthPx = Number(values['wall-width']);
  const walls = Number(values.walls);
  const sim = await CameraSimulator.start({ cameras: n, discoveryPort: null, media: { loopSeconds: 10 } });
  const rig = await startLiveRecorder({ cameras: [], sim, logLevel: 'warn' });
  const hub = rig.recorder.live!;
  const ids = sim.cameras.map((c) => c.spec.id);
  const api = await startLiveApi({ source: hub, log: rig.log, allowed: ids });
  const t0 = Date.now();
  while (ids.some((id) => !hub.latestKeyframe(id))) {
    if (Date.now() - t0 > 120_000) throw new Error('cameras did not all go live within 2 minutes');
    await sleep(200);
  }
  await sleep(3_000);
  const pids = () => [process.pid, ...childPids(process.pid)];
  // Running children, plus the CPU of children that ended (snapshot decodes): cutime + cstime.
  const reaped = () => {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  };
  const cpuOf = () => pids().reduce((a, p) => a + cpuSeconds(p), 0) + reaped();
  let c0 = cpuOf();
  let w0 = Date.now();
  await sleep(intervalMs * 2);
  const idlePct = ((cpuOf() - c0) / ((Date.now() - w0) / 1000)) * 100;
  const decodes0 = hub.snapshots.decodes;
  console.log(`\nsnapshot wall: ${n} cameras (1080p H.264 / H.264+B / H.265), ${walls} walls asking all at once every ${intervalMs} ms, ${widthPx} px JPEGs`);
  console.log(`  idle (recording + live, nobody asking): ${idlePct.toFixed(0)} % of a core; snapshot decodes while idle: ${decodes0}`);
  const times: number[] = [];
  let bytes = 0;
  let failures = 0;
  c0 = cpuOf();
  w0 = Date.now();
  for (let r = 0; r < rounds; r++) {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: walls }, (_, w) => Promise.all(ids.map(async (id) => {
      const res = await fetch(`http://127.0.0.1:${api.port}/api/v1/cameras/${id}/live/snapshot.jpg?width=${widthPx}`, { headers: { 'x-test-user': `wall-${w}` } });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) failures++;
      return body.length;
    }))));
    times.push(Date.now() - started);
    bytes += results[0]!.reduce((a, b) => a + b, 0);
    await sleep(Math.max(0, intervalMs - (Date.now() - started)));
  }
  const wallPct = ((cpuOf() - c0) / ((Date.now() - w0) / 1000)) * 100;
  const decodes = hub.snapshots.decodes - decodes0;
  const snap = (await rig.registry.getSingleMetric('vigil_live_snapshot_seconds')!.get()).values as Array<{ metricName?: string; value: number }>;
  const sum = snap.find((v) => v.metricName === 'vigil_live_snapshot_seconds_sum')?.value ?? 0;
  const count = snap.find((v) => v.metricName === 'vigil_live_snapshot_seconds_count')?.value ?? 0;
  console.log(`  refresh of all ${n} cameras: p50 ${pct(times, 50)} ms, max ${Math.max(...times)} ms (interval ${intervalMs} ms); rounds ${rounds}, failures ${failures}`);
  console.log(`  decodes ${decodes} for ${rounds * walls * n} asks (${(decodes / rounds).toFixed(1)} per round); one decode + JPEG ${((sum / Math.max(1, count)) * 1000).toFixed(0)} ms on average; JPEG ${(bytes / rounds / n / 1024).toFixed(1)} KiB`);
  console.log(`  CPU while the walls refresh: ${wallPct.toFixed(0)} % of a core (idle ${idlePct.toFixed(0)} %)`);
  await api.close();
  await rig.stop();
  await sim.stop();
}

console.log(`bench:live on ${machineFacts()}`);
if (only.has('latency')) for (const ms of values['fragment-ms'].split(',').map(Number)) await latency(ms);
if (only.has('cpu')) for (const ms of values['fragment-ms'].split(',').map(Number)) await cpuPerViewer(ms);
if (only.has('wall')) await wall();
process.exit(0);
