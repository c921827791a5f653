import { execFileSync } from 'node:child_process';

/**
 * Runs once before the suite: fails fast, in plain words, when a real component the tests
 * need is not installed, instead of letting fifty tests time out one by one.
 */
export default function setup(): void {
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
}
