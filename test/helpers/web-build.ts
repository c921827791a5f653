import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the web UI (api/web → api/web/dist) when it is missing or older than its sources, as
 * `ops/setup.sh` does, so browser tests always run the current UI. Several vitest runs may
 * start at once (engineers share this machine): a lock directory serialises builds, and a
 * build goes to a temporary folder swapped in by rename, so no run sees a half-written dist.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_DIR = path.join(repoRoot, 'api', 'web');
export const DIST_DIR = path.join(WEB_DIR, 'dist');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSourceMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** True when dist/index.html exists and is newer than every source file and the lock file. */
export function webBuildFresh(): boolean {
  const index = path.join(DIST_DIR, 'index.html');
  if (!existsSync(index)) return false;
  const builtMs = statSync(index).mtimeMs;
  return builtMs >= newestSourceMs(WEB_DIR) && builtMs >= statSync(path.join(repoRoot, 'package-lock.json')).mtimeMs;
}

export async function ensureWebBuilt(opts: { timeoutMs?: number } = {}): Promise<'fresh' | 'built'> {
  if (webBuildFresh()) return 'fresh';
  const lock = path.join(WEB_DIR, '.build-lock');
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock older than 5 minutes is left by a killed run.
      if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`the web UI build lock ${lock} is held for too long; remove it if no build is running`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (webBuildFresh()) return 'fresh';
    const tmp = path.join(WEB_DIR, `.dist-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', path.join(WEB_DIR, 'vite.config.ts'), '--outDir', tmp, '--emptyOutDir'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const old = path.join(WEB_DIR, `.dist-old-${process.pid}`);
    if (existsSync(DIST_DIR)) renameSync(DIST_DIR, old);
    renameSync(tmp, DIST_DIR);
    rmSync(old, { recursive: true, force: true });
    return 'built';
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
