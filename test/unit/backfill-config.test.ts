import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, validateConfig } from '../../src/config/load.ts';
import { parseDurationMs } from '../../src/config/backfill-schema.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const problems = (backfill: unknown): string => {
  try {
    validateConfig({ backfill }, { env: {}, cwd: '/tmp' });
    return 'valid';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('backfill configuration', () => {
  it('has working defaults', () => {
    expect(validateConfig({}, { env: {}, cwd: '/tmp' }).backfill).toEqual({
      enabled: true, concurrency: 1, maxBytesPerSec: 4_000_000, settle: 5_000, giveUpAfter: 7 * 86_400_000, minGap: 2_000,
      scanEvery: 60_000, requestTimeout: 15_000, retry: { first: 30_000, max: 1_800_000 },
    });
  });

  it('reads durations with units and byte rates', () => {
    const b = validateConfig({ backfill: { giveUpAfter: '3d', minGap: '500ms', settle: 2000, maxBytesPerSec: '2MiB', retry: { first: '1m', max: '2h' } } }, { env: {}, cwd: '/tmp' }).backfill;
    expect(b).toMatchObject({ giveUpAfter: 3 * 86_400_000, minGap: 500, settle: 2_000, maxBytesPerSec: 2 * 1024 ** 2, retry: { first: 60_000, max: 7_200_000 } });
    expect(validateConfig({ backfill: { maxBytesPerSec: null } }, { env: {}, cwd: '/tmp' }).backfill.maxBytesPerSec).toBeNull();
  });

  it.each<[string, unknown, RegExp]>([
    ['a duration without unit', { giveUpAfter: '7' }, /backfill\.giveUpAfter: must be a duration such as "500ms", "5s", "2m", "1h" or "7d"/],
    ['a give-up age under a minute', { giveUpAfter: '10s' }, /backfill\.giveUpAfter: must be at least 60000 ms/],
    ['concurrency 0', { concurrency: 0 }, /backfill\.concurrency: must be at least 1/],
    ['a byte rate in words', { maxBytesPerSec: 'fast' }, /backfill\.maxBytesPerSec: must be bytes per second, e\.g\. 4000000 or "4MB"/],
    ['retry max below first', { retry: { first: '10m', max: '1m' } }, /backfill\.retry\.max: must be at least backfill\.retry\.first/],
    ['a misspelt key', { giveUpAfer: '7d' }, /backfill\.giveUpAfer|giveUpAfer/],
  ])('%s is refused in plain words', (_n, backfill, re) => {
    expect(problems(backfill)).toMatch(re);
  });

  it.each([['7d', 604_800_000], ['2s', 2_000], ['500ms', 500], ['5m', 300_000], ['1h', 3_600_000], ['1.5h', null], ['h', null], ['-1s', null]])('parseDurationMs(%j) = %j', (t, ms) => {
    expect(parseDurationMs(t as string)).toBe(ms);
  });

  it('the example configuration is valid and documents backfill', () => {
    const cfg = loadConfig({ file: path.join(repoRoot, 'ops/vigil.example.yaml'), env: {}, cwd: '/tmp' });
    expect(cfg.backfill).toMatchObject({ enabled: true, concurrency: 1, maxBytesPerSec: 4_000_000, giveUpAfter: 604_800_000 });
  });
});
