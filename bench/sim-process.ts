import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs the camera simulator as its own process (so its CPU is not counted with what is being
 * measured) and returns the cameras with credentials, for benchmarks.
 */
export interface SimCameraInfo {
  id: string;
  onvifPort: number;
  rtspMain: string;
  username: string;
  password: string;
}

export async function startSimProcess(cameras: number): Promise<{ proc: ChildProcess; cameras: SimCameraInfo[]; stop(): void }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'recorder/sim/cli.ts', '--cameras', String(cameras), '--control-port', '0', '--discovery-port', '0', '--loop-seconds', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', () => undefined);
  const controlUrl = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`simulator did not start: ${out}`)), 300_000);
    proc.stdout!.on('data', () => {
      const m = /fault control API at (http:\/\/\S+)\/cameras/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
  });
  const list = (await (await fetch(`${controlUrl}/cameras`)).json()) as Array<{ id: string; onvif: string; rtsp: { main: string } }>;
  const creds = new Map([...out.matchAll(/(cam-\d+) .* user (\S+) \/ (\S+)/g)].map((m) => [m[1]!, { username: m[2]!, password: m[3]! }]));
  return {
    proc,
    cameras: list.map((c) => ({ id: c.id, onvifPort: Number(new URL(c.onvif).port), rtspMain: c.rtsp.main, ...creds.get(c.id)! })),
    stop: () => proc.kill('SIGINT'),
  };
}
