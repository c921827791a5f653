import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

// The Prometheus side of ops/: the scrape config and alert rules checked by the real promtool
// (Debian's prometheus package), every rule's unit tests run, and each test shown able to
// fail: with any one alert disabled, the promtool tests must fail.
const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const promDir = path.join(repo, 'ops/prometheus');
const rulesFile = path.join(promDir, 'rules/vigil-alerts.yml');
const testFiles = readdirSync(path.join(promDir, 'tests')).filter((f) => f.endsWith('.yml')).sort();

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}
interface PromtoolTests {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

async function promtool(args: string[], cwd = repo): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd, timeout: 30_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('promtool is not installed (apt-get install prometheus, or run ops/setup.sh --test)');
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('Prometheus config and alert rules (promtool)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'vigil-prom-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('promtool check config accepts prometheus.yml and its rule files', async () => {
    // promtool checks that credential files exist: the copy points them into a temp dir.
    const dir = path.join(work, 'config');
    cpSync(promDir, dir, { recursive: true });
    const text = readFileSync(path.join(dir, 'prometheus.yml'), 'utf8');
    const files = [...text.matchAll(/credentials_file: (\S+)/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    let rewritten = text;
    for (const f of files) {
      const local = path.join(work, path.basename(f));
      writeFileSync(local, 'vgl_example\n', { mode: 0o600 });
      rewritten = rewritten.replaceAll(f, local);
    }
    writeFileSync(path.join(dir, 'prometheus.yml'), rewritten);
    const r = await promtool(['check', 'config', path.join(dir, 'prometheus.yml')]);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code, r.out).toBe(0);
    const rules = parseYaml(readFileSync(rulesFile, 'utf8')) as RuleFile;
    expect(r.out).toContain(`${rules.groups.flatMap((g) => g.rules).length} rules found`);
  });

  it('promtool check rules accepts every rule file', async () => {
    const r = await promtool(['check', 'rules', rulesFile]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('every promtool unit test passes', async () => {
    const r = await promtool(['test', 'rules', ...testFiles.map((f) => path.join('ops/prometheus/tests', f))]);
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  it('every alert has a test where it fires and one where it does not', () => {
    const rules = parseYaml(readFileSync(rulesFile, 'utf8')) as RuleFile;
    const alerts = rules.groups.flatMap((g) => g.rules).map((r) => r.alert).filter((a): a is string => Boolean(a));
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    const cases = testFiles.flatMap((f) => (parseYaml(readFileSync(path.join(promDir, 'tests', f), 'utf8')) as PromtoolTests).tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} has a test where it fires`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} has a test where it stays silent`).toBe(true);
    }
    // The list, each covered by at least one rule.
    for (const needed of ['VigilCameraDown', 'VigilRecordingGap', 'VigilCameraFlapping', 'VigilSpoolFilling', 'VigilObjectStoreUnreachable', 'VigilStoreQuotaNearlyFull', 'VigilSpoolDiskNearlyFull', 'VigilRetentionFailing', 'VigilRecorderDown', 'VigilRecorderAbsent']) {
      expect(alerts).toContain(needed);
    }
  });

  it('the tests can fail: with any one alert disabled, its tests fail', async () => {
    const rules = parseYaml(readFileSync(rulesFile, 'utf8')) as RuleFile;
    const alerts = rules.groups.flatMap((g) => g.rules).map((r) => r.alert).filter((a): a is string => Boolean(a));
    const dir = path.join(work, 'mutants');
    cpSync(promDir, dir, { recursive: true });
    const failedWithout: string[] = [];
    for (const alert of alerts) {
      const mutant = structuredClone(rules);
      for (const g of mutant.groups) for (const r of g.rules) if (r.alert === alert) r.expr = 'vector(1) == 0';
      writeFileSync(path.join(dir, 'rules/vigil-alerts.yml'), stringifyYaml(mutant));
      const files = testFiles.filter((f) => readFileSync(path.join(promDir, 'tests', f), 'utf8').includes(`alertname: ${alert}\n`));
      const r = await promtool(['test', 'rules', ...files.map((f) => path.join(dir, 'tests', f))]);
      if (r.code !== 0 && r.out.includes(`alertname: ${alert}`)) failedWithout.push(alert);
    }
    expect(failedWithout).toEqual(alerts);
  }, 60_000);
});
