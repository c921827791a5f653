import { spawn } from 'node:child_process';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import { redactText } from '../redact.ts';
import type { ObjectStore } from '../store/object-store.ts';

/**
 * Readiness of a role (`/readyz`): the index database answers, the object store answers, and
 * ffmpeg is present (for roles that run it). Each check is bounded by a timeout and reports
 * how long it took; the answer says which check failed in plain words, never a credential.
 * Liveness (`/healthz`) is only "the process answers" and checks nothing else.
 */
export interface ReadinessDeps {
  db?: Kysely<Database>;
  store?: Pick<ObjectStore, 'ping'>;
  /** Checked with `ffmpeg -version` when given. */
  ffmpegPath?: string;
  clock: Clock;
  timeoutMs?: number;
  /** A found ffmpeg is not looked for again within this time (default 60 s). */
  ffmpegCacheMs?: number;
}

export interface ReadinessCheck {
  name: 'database' | 'object_store' | 'ffmpeg';
  ok: boolean;
  ms: number;
  detail: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: ReadinessCheck[];
}

const ffmpegSeen = new WeakMap<ReadinessDeps, { path: string; atMs: number; version: string }>();

export async function checkReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 3_000;
  const checks: Array<Promise<ReadinessCheck>> = [];
  if (deps.db) {
    const db = deps.db;
    checks.push(timed('database', deps.clock, timeoutMs, async () => {
      await sql`select 1`.execute(db);
      return 'answers';
    }));
  }
  if (deps.store) {
    const store = deps.store;
    checks.push(timed('object_store', deps.clock, timeoutMs, async () => {
      await store.ping();
      return 'answers';
    }));
  }
  if (deps.ffmpegPath) {
    const path = deps.ffmpegPath;
    checks.push(timed('ffmpeg', deps.clock, timeoutMs, async () => {
      const seen = ffmpegSeen.get(deps);
      if (seen && seen.path === path && deps.clock.nowMs() - seen.atMs < (deps.ffmpegCacheMs ?? 60_000)) return seen.version;
      const version = await ffmpegVersion(path, timeoutMs);
      ffmpegSeen.set(deps, { path, atMs: deps.clock.nowMs(), version });
      return version;
    }));
  }
  const results = await Promise.all(checks);
  return { ready: results.every((c) => c.ok), checks: results };
}

async function timed(name: ReadinessCheck['name'], clock: Clock, timeoutMs: number, fn: () => Promise<string>): Promise<ReadinessCheck> {
  const began = clock.nowMs();
  let cancel: () => void = () => undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        cancel = clock.setTimer(timeoutMs, () => reject(new Error(`no answer within ${timeoutMs} ms`)));
      }),
    ]);
    return { name, ok: true, ms: clock.nowMs() - began, detail };
  } catch (e) {
    return { name, ok: false, ms: clock.nowMs() - began, detail: redactText((e as Error).message ?? String(e)) };
  } finally {
    cancel();
  }
}

/** "ffmpeg version 5.1.6-0+deb12u1" — the first line of `ffmpeg -version`, or a plain failure. */
function ffmpegVersion(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? `"${path}" is not installed or not on PATH (install ffmpeg, or set recorder.ffmpegPath)` : e.message)),
    );
    child.once('close', (code) => {
      const first = out.split('\n')[0]?.trim() ?? '';
      if (code === 0 && first.startsWith('ffmpeg version')) resolve(first.split(' Copyright')[0]!);
      else reject(new Error(`"${path} -version" did not run as ffmpeg (exit ${code})`));
    });
  });
}
