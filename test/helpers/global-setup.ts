import { execFileSync } from 'node:child_process';
import { ensureWebBuilt } from './web-build.ts';

/**
 * Runs once before the suite: fails fast, in plain words, when a real component the tests
 * need is not installed, instead of letting fifty tests time out one by one.
 */
export default async function setup(): Promise<void> {
  const missing: string[] = [];
  for (const [bin, args] of [
    ['ffmpeg', ['-version']],
    ['ffprobe', ['-version']],
  ] as const) {
    try {
      execFileSync(bin, [...args], { stdio: 'ignore' });
    } catch {
      missing.push(bin);
    }
  }
  if (missing.length > 0) {
    throw new Error(`The test suite needs ${missing.join(', ')}; run "bash ops/setup.sh --test" first.`);
  }
  // The browser tests serve the built web UI; build it when missing or older than its sources.
  // A failing build fails only those tests (their helper builds again and reports the error).
  await ensureWebBuilt().catch((e: unknown) => console.warn(`web UI build failed; the browser tests will report it: ${(e as Error).message.slice(0, 500)}`));
}
