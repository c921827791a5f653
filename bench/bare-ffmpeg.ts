import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildRecordArgs, toArgv } from '../recorder/ffmpeg-args.ts';
import { withCredentials } from '../recorder/onboarding.ts';
import type { SimCameraInfo } from './sim-process.ts';
import { stopChild } from './stop-child.ts';

/**
 * The baseline: one bare ffmpeg per camera with the recorder's own argv (buildRecordArgs:
 * RTSP/TCP, stream copy, G.711 → AAC, fragmented MP4 segments) writing to a temp folder, and
 * nothing else (no upload, no index, no live output). Audio follows the simulator's cameras,
 * which cycle G.711 / AAC / none.
 */
export interface BareFfmpeg {
  dir: string;
  pids(): number[];
  stop(): Promise<void>;
}

export function startBareFfmpeg(cams: readonly SimCameraInfo[], o: { segmentMs: number }): BareFfmpeg {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-bare-'));
  const procs: ChildProcess[] = cams.map((c, i) => {
    const args = buildRecordArgs({
      inputUrl: withCredentials(c.rtspMain, c.username, c.password),
      segmentMs: o.segmentMs,
      socketTimeoutMs: 7_000,
      audio: (['transcode_aac', 'copy', 'none'] as const)[i % 3]!,
      filePattern: path.join(dir, `${c.id}-%06d.mp4`),
    });
    return spawn('ffmpeg', toArgv(args), { stdio: ['ignore', 'ignore', 'ignore'] });
  });
  return {
    dir,
    pids: () => procs.filter((p) => p.exitCode === null).map((p) => p.pid!).filter(Boolean),
    async stop() {
      await Promise.all(procs.map((p) => stopChild(p)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
