import { EventEmitter } from 'node:events';
import ffmpeg from 'fluent-ffmpeg';
import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../src/clock.ts';
import type { FfmpegArgs } from './ffmpeg-args.ts';
import { LineSplitter, parseSegmentListLine, type ClosedSegment } from './segment-list.ts';

/**
 * One ffmpeg run through fluent-ffmpeg: the only place that touches that (unmaintained)
 * package. Emits:
 *   'segment' (ClosedSegment)     a segment file was closed (from the CSV list on stdout)
 *   'progress' ({ mediaMs, atMs }) output time advanced (stats line), for stall detection
 *   'spawned' (pid)                the ffmpeg process exists
 *   'exit' ({ code, signal, stderrTail }) the process ended, after every 'segment'
 * The argv carries the camera URL with credentials: it is never logged or emitted.
 */
export interface RunExit {
  code: number | null;
  signal: string | null;
  stderrTail: string[];
}

export interface FfmpegRunOptions {
  ffmpegPath: string;
  clock: Clock;
  /** After SIGINT, how long before a second SIGINT (interrupts blocked I/O). */
  interruptAfterMs?: number;
  /** After SIGINT, how long to wait before SIGKILL. */
  stopTimeoutMs?: number;
}

export class FfmpegRun extends EventEmitter {
  private proc: ChildProcess | undefined;
  private exited = false;
  private readonly stderrTail: string[] = [];
  private lastMediaMs = -1;
  private exitPromise: Promise<void>;
  /** stop() came before the process existed (a camera stopped right after it started). */
  private stopWanted: { graceMs?: number } | null = null;
  private resolveExit!: () => void;

  constructor(private readonly args: FfmpegArgs, private readonly opts: FfmpegRunOptions) {
    super();
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  start(): void {
    const cmd = ffmpeg({ stdoutLines: 40 } as ffmpeg.FfmpegCommandOptions)
      .setFfmpegPath(this.opts.ffmpegPath)
      .input(this.args.input)
      .inputOptions(this.args.inputOptions)
      .output(this.args.output)
      .outputOptions(this.args.outputOptions);
    for (const extra of this.args.extraOutputs ?? []) cmd.output(extra.output).outputOptions(extra.options);
    const list = new LineSplitter();
    const onListLines = (lines: string[]) => {
      for (const line of lines) {
        const seg = parseSegmentListLine(line);
        if (seg) this.emit('segment', seg satisfies ClosedSegment);
      }
    };
    cmd.on('start', () => {
      const proc = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      this.proc = proc;
      if (proc?.pid) this.emit('spawned', proc.pid);
      if (this.stopWanted) void this.stop(this.stopWanted);
      proc?.stdout?.on('data', (d: Buffer) => onListLines(list.push(String(d))));
      // 'close' comes after the process exited AND its stdio closed, so every list line is in.
      proc?.once('close', (code, signal) => {
        if (this.exited) return;
        this.exited = true;
        onListLines(list.flush());
        this.emit('exit', { code, signal, stderrTail: [...this.stderrTail] } satisfies RunExit);
        this.resolveExit();
      });
    });
    cmd.on('stderr', (line: string) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
      const m = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line);
      if (m && !m[1]) {
        const mediaMs = Math.round((Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1000);
        if (mediaMs > this.lastMediaMs) {
          this.lastMediaMs = mediaMs;
          this.emit('progress', { mediaMs, atMs: this.opts.clock.nowMs() });
        }
      }
    });
    // fluent-ffmpeg reports a non-zero exit as 'error' (the close handler covers that), and
    // also failures before any process exists (ffmpeg not found): those become an exit here.
    cmd.on('error', (err: Error) => {
      if (this.proc || this.exited) return;
      this.exited = true;
      this.emit('exit', { code: null, signal: null, stderrTail: [err.message] } satisfies RunExit);
      this.resolveExit();
    });
    cmd.run();
  }

  /**
   * SIGINT (ffmpeg finalises the open segment), SIGKILL if it has not exited in time.
   * graceMs: first wait that long for ffmpeg to exit by itself. Used at shutdown after a
   * signal to Vigil's process group (Ctrl-C; systemd's default KillMode): ffmpeg got that
   * signal too, and a second SIGINT makes it abort its output writes, losing the last
   * segment's list line.
   */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    const proc = this.proc;
    if (this.exited) return this.exitPromise;
    if (!proc) {
      // Not spawned yet: stopped as soon as it is (else it would run on unseen, unstoppable).
      this.stopWanted = opts;
      return this.exitPromise;
    }
    if (opts.graceMs) {
      let cancelGrace: () => void = () => undefined;
      await Promise.race([this.exitPromise, new Promise<void>((r) => (cancelGrace = this.opts.clock.setTimer(opts.graceMs!, r)))]);
      cancelGrace();
      if (this.exited) return;
    }
    proc.kill('SIGINT');
    // ffmpeg's first SIGINT finishes gracefully but does not interrupt a blocked read (a
    // stalled camera); a second one does, at the cost of the last list line (the unlisted
    // file is salvaged by the caller). SIGKILL is the last resort.
    const cancelSecond = this.opts.clock.setTimer(this.opts.interruptAfterMs ?? 2_000, () => {
      if (!this.exited) proc.kill('SIGINT');
    });
    const cancelKill = this.opts.clock.setTimer(this.opts.stopTimeoutMs ?? 6_000, () => {
      if (!this.exited) proc.kill('SIGKILL');
    });
    await this.exitPromise;
    cancelSecond();
    cancelKill();
  }

  /** Resolves when the process has exited (and every segment was reported). */
  whenExited(): Promise<void> {
    return this.exitPromise;
  }
}
