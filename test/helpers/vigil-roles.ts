import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

/**
 * Vigil roles as real processes, started the way an operator starts them
 * (`node --import tsx bin/vigil.ts <role> --config FILE`), so a scenario can kill -9 one of
 * them at any moment and start it again on the same data.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RoleProcess {
  readonly proc: ChildProcess;
  /** Everything it printed (JSON log lines), the last 200 kB. */
  output(): string;
  /** SIGKILL, as a power cut or the OOM killer would; resolves once it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (systemd's stop); resolves with the exit code, SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function startRole(role: 'recorder' | 'api' | 'run', configFile: string): RoleProcess {
  const args = ['--import', 'tsx', 'bin/vigil.ts', ...(role === 'run' ? [] : [role]), '--config', configFile];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + String(d)).slice(-200_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    output: () => out,
    async kill9() {
      if (alive()) proc.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 30_000) {
      if (alive()) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `vigil <args> --config FILE` to completion (e.g. user add), with its exit status and output. */
export function vigilCli(configFile: string, args: string[], input = ''): { status: number; output: string } {
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', ...args, '--config', configFile], { cwd: repoRoot, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { status: 0, output: stdout };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { status: err.status ?? 1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** Adds an admin account with the CLI, as an operator does on a new install; throws with its output if refused. */
export function addAdmin(configFile: string, a: { username: string; name: string; password: string }): void {
  const made = vigilCli(configFile, ['user', 'add', '--username', a.username, '--role', 'admin', '--name', a.name, '--password', '-'], `${a.password}\n`);
  if (made.status !== 0) throw new Error(`vigil user add failed: ${made.output}`);
}

/** Waits for the role's HTTP API at url (its OpenAPI document) while it runs; a timeout or exit carries its last output. */
export async function waitForApi(role: RoleProcess, url: string, timeoutMs = 60_000): Promise<void> {
  await waitFor('the API to answer', async () => role.proc.exitCode === null && (await fetch(`${url}/api/openapi.json`)).ok, { timeoutMs, intervalMs: 100 }).catch((e: Error) => {
    throw new Error(`${e.message}\n${role.output().slice(-3000)}`);
  });
}

/** Processes whose command line mentions the text (e.g. ffmpeg writing into a test's spool). */
export function processesMentioning(text: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  }).map(Number);
}
