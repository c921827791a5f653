import { spawn, type ChildProcess } from 'node:child_process';
import { cpuWindow, machineFacts, pssBytes } from './proc-stats.ts';

/**
 * Simulator cost: N cameras served to N real ffmpeg readers (stream copy to null) for a fixed
 * time. Prints CPU % of one core and PSS per camera for the simulator process, the frames each
 * reader received (real time = 25 fps), and the readers' own CPU for scale.
 *   npm run bench:sim -- 30 20      (cameras, seconds)
 */
const cameras = Number(process.argv[2] ?? 30);
const seconds = Number(process.argv[3] ?? 20);

const sim = spawn(process.execPath, ['--import', 'tsx', 'recorder/sim/cli.ts', '--cameras', String(cameras), '--control-port', '0', '--discovery-port', '0', '--loop-seconds', '10'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
sim.stdout.on('data', (d) => (out += String(d)));
sim.stderr.on('data', () => undefined);
const controlUrl = await new Promise<string>((resolve, reject) => {
  const t = setTimeout(() => reject(new Error(`simulator did not start: ${out}`)), 300_000);
  sim.stdout.on('data', () => {
    const m = /fault control API at (http:\/\/\S+)\/cameras/.exec(out);
    if (m) {
      clearTimeout(t);
      resolve(m[1]!);
    }
  });
});
const list = (await (await fetch(`${controlUrl}/cameras`)).json()) as Array<{ id: string; rtsp: { main: string } }>;
const creds = new Map([...out.matchAll(/(cam-\d+) .* user (\S+) \/ (\S+)/g)].map((m) => [m[1]!, `${m[2]}:${m[3]}`]));

const idleWindow = cpuWindow(() => [sim.pid!]);
await new Promise((r) => setTimeout(r, 3_000));
const idle = idleWindow.stop();

const readers: ChildProcess[] = [];
const frames = new Map<string, number>();
const done: Promise<void>[] = [];
for (const cam of list) {
  const url = cam.rtsp.main.replace('rtsp://', `rtsp://${creds.get(cam.id)}@`);
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-t', String(seconds), '-c', 'copy', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d) => (err += String(d)));
  done.push(new Promise((resolve) => p.on('exit', () => {
    const all = [...err.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    frames.set(cam.id, all.length ? Math.max(...all) : 0);
    resolve();
  })));
  readers.push(p);
}
await new Promise((r) => setTimeout(r, 2_000)); // sessions set up, GOP bursts sent
const simWindow = cpuWindow(() => [sim.pid!]);
const readerWindow = cpuWindow(() => readers.map((r) => r.pid!).filter(Boolean));
await new Promise((r) => setTimeout(r, (seconds - 4) * 1000));
const busy = simWindow.stop();
const readersCpu = readerWindow.stop();
const pss = pssBytes(sim.pid!);
await Promise.all(done);
sim.kill('SIGINT');

const f = [...frames.values()];
const pct = (cpu: number, wall: number) => ((cpu / wall) * 100).toFixed(1);
console.log(`\n### Camera simulator: ${cameras} cameras (1080p main, 25 fps), ${seconds} s`);
console.log(`machine: ${machineFacts()}\n`);
console.log('| figure | value |');
console.log('|---|---|');
console.log(`| simulator CPU, idle (no viewers) | ${pct(idle.cpuSeconds, idle.wallSeconds)} % of one core |`);
console.log(`| simulator CPU, ${cameras} streams | ${pct(busy.cpuSeconds, busy.wallSeconds)} % of one core |`);
console.log(`| simulator CPU per camera | ${((busy.cpuSeconds / busy.wallSeconds) * 100 / cameras).toFixed(2)} % of one core |`);
console.log(`| simulator PSS total / per camera | ${(pss / 2 ** 20).toFixed(1)} MiB / ${(pss / 2 ** 20 / cameras).toFixed(2)} MiB |`);
console.log(`| frames per reader (expected ≈ ${seconds * 25}) | min ${Math.min(...f)}, max ${Math.max(...f)} |`);
console.log(`| bare ffmpeg readers' CPU per stream (for scale) | ${((readersCpu.cpuSeconds / readersCpu.wallSeconds) * 100 / cameras).toFixed(2)} % of one core |`);
process.exit(0);
