import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { createRecorderMetrics } from '../../recorder/recorder-metrics.ts';
import { createClockMetrics } from '../../recorder/clock-metrics.ts';
import { createLiveMetrics } from '../../recorder/live/live-metrics.ts';
import { createRetentionMetrics } from '../../src/retention/retention-metrics.ts';
import { createNotifyMetrics } from '../../src/notify/notify-metrics.ts';
import { createHttpMetrics } from '../../api/http-metrics.ts';
import { createApiLiveMetrics } from '../../api/live/live-metrics.ts';

// Every dashboard is valid JSON wired to the provisioned datasource, and every metric (and
// label) named by a dashboard query or an alert rule exists in Vigil's real registries, built
// here the way the roles build them. The queries also parse as PromQL (promtool).
const repo = path.resolve(import.meta.dirname, '../..');
const dashDir = path.join(repo, 'grafana/dashboards');
const dashFiles = readdirSync(dashDir).filter((f) => f.endsWith('.json')).sort();

/** Metric name → its label names, from the real registries (histograms with their series). */
function vigilMetrics(): Map<string, Set<string>> {
  const registry = createMetricsRegistry({ defaultMetrics: true });
  createRecorderMetrics(registry);
  createClockMetrics(registry);
  createLiveMetrics(registry);
  createRetentionMetrics(registry);
  createNotifyMetrics(registry);
  createHttpMetrics(registry);
  createApiLiveMetrics(registry);
  const out = new Map<string, Set<string>>();
  const target = ['job', 'instance', 'role', 'node'];
  for (const m of registry.getMetricsAsArray()) {
    const labels = new Set([...((m as unknown as { labelNames?: string[] }).labelNames ?? []), ...target]);
    const type = (m as unknown as { type: string }).type;
    out.set(m.name, labels);
    if (type === 'histogram') {
      out.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    }
    if (type === 'summary') {
      out.set(m.name, new Set([...labels, 'quantile']));
      out.set(`${m.name}_sum`, labels);
      out.set(`${m.name}_count`, labels);
    }
  }
  // Series Prometheus itself adds for every target.
  out.set('up', new Set(target));
  return out;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
// Aggregations may be followed by "by (…)" before their parenthesis: never metric names.
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);

/** The selectors of a PromQL expression: metric names with the label names their matchers use. */
export function selectors(expr: string): Array<{ metric: string; labels: string[] }> {
  const out: Array<{ metric: string; labels: string[] }> = [];
  let i = 0;
  const skipTo = (close: string) => {
    const open = expr[i];
    let depth = 0;
    for (; i < expr.length; i++) {
      const ch = expr[i];
      if (ch === '"' || ch === "'") i = expr.indexOf(ch, i + 1);
      else if (ch === open) depth++;
      else if (ch === close && --depth === 0) return;
    }
  };
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === '"' || ch === "'") {
      i = expr.indexOf(ch, i + 1) + 1;
      continue;
    }
    if (ch === '[') {
      skipTo(']');
      i++;
      continue;
    }
    if (/[0-9.]/.test(ch)) {
      // A duration (5m, 1h30m) or a number (0.95, 1e9).
      const num = /^(?:(?:\d+(?:ms|s|m|h|d|w|y))+|(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)/i.exec(expr.slice(i));
      i += num ? num[0].length : 1;
      continue;
    }
    const id = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i));
    if (!id) {
      i++;
      continue;
    }
    i += id[0].length;
    while (expr[i] === ' ') i++;
    const word = id[0];
    if (LABEL_LISTS.has(word) && expr[i] === '(') {
      skipTo(')');
      i++;
      continue;
    }
    if (KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word)) continue;
    if (expr[i] === '(') continue; // a function or an aggregation
    const labels: string[] = [];
    if (expr[i] === '{') {
      const start = i;
      skipTo('}');
      const body = expr.slice(start + 1, i);
      for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g)) labels.push(m[1]!);
      i++;
    }
    out.push({ metric: word, labels });
  }
  return out;
}

/** Grafana's variables replaced by values PromQL accepts. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(site|camera|datasource)\}?/g, (_m, v: string) => (v === 'site' ? '.*' : 'x'));
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr?: string; refId: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
}

const dashboards = dashFiles.map((f) => ({ file: f, text: readFileSync(path.join(dashDir, f), 'utf8') }));
const parsed = () => dashboards.map((d) => ({ file: d.file, dash: JSON.parse(d.text) as Dashboard }));
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

function dashboardExprs(): Array<{ where: string; expr: string }> {
  return parsed().flatMap(({ file, dash }) => [
    ...allPanels(dash.panels).flatMap((p) => (p.targets ?? []).filter((t) => t.expr).map((t) => ({ where: `${file} › ${p.title} › ${t.refId}`, expr: t.expr! }))),
    ...dash.templating.list.flatMap((v) => {
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(v.definition ?? '');
      return m ? [{ where: `${file} › variable ${v.name}`, expr: `${m[1]}{${m[2]}!=""}` }] : [];
    }),
  ]);
}

function ruleExprs(): Array<{ where: string; expr: string }> {
  const rules = parseYaml(readFileSync(path.join(repo, 'ops/prometheus/rules/vigil-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

describe('Grafana dashboards and PromQL', () => {
  it('finds the three dashboards and the provisioning', () => {
    expect(dashFiles).toEqual(['vigil-camera.json', 'vigil-fleet.json', 'vigil-storage.json']);
    const ds = parseYaml(readFileSync(path.join(repo, 'grafana/provisioning/datasources/vigil-prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
    expect(ds.datasources[0]).toMatchObject({ uid: 'vigil-prometheus', type: 'prometheus' });
    const prov = parseYaml(readFileSync(path.join(repo, 'grafana/provisioning/dashboards/vigil.yml'), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(prov.providers[0]!.type).toBe('file');
  });

  it.each(dashboards)('$file is valid JSON, wired to the datasource variable, with a sane layout', ({ file, text }) => {
    const dash = JSON.parse(text) as Dashboard;
    expect(dash.uid).toMatch(/^vigil-[a-z-]+$/);
    expect(dash.title).toMatch(/^Vigil — /);
    expect(dash.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const panels = allPanels(dash.panels);
    expect(panels.length).toBeGreaterThan(5);
    expect(new Set(panels.map((p) => p.id)).size, `${file}: panel ids are unique`).toBe(panels.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, `${file} › ${p.title} fits 24 columns`).toBeLessThanOrEqual(24);
      if (p.type === 'row' || p.type === 'text') continue;
      expect(p.datasource, `${file} › ${p.title}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.targets?.length, `${file} › ${p.title} has queries`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr?.trim(), `${file} › ${p.title} › ${t.refId}`).toBeTruthy();
    }
    // Overlaps would hide panels: no two panels share a grid cell.
    const cells = new Set<string>();
    for (const p of panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${file} › ${p.title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('the selector reader finds metric names and matcher labels, not functions, labels or keywords', () => {
    expect(selectors('sum by (site) (vigil_camera_up * on (instance, job, camera) group_left (site) vigil_camera_info{site=~"$site"}) == 0')).toEqual([
      { metric: 'vigil_camera_up', labels: [] },
      { metric: 'vigil_camera_info', labels: ['site'] },
    ]);
    expect(selectors('histogram_quantile(0.95, sum by (le) (rate(x_bucket{a="b",c!~"d|e"}[5m]))) * 1e3 > bool 2')).toEqual([{ metric: 'x_bucket', labels: ['a', 'c'] }]);
    expect(selectors('absent(up{job="vigil-recorder"}) or vector(0)')).toEqual([{ metric: 'up', labels: ['job'] }]);
    expect(selectors('time() - max(a offset 5m) and b{l="x {y}"}')).toEqual([{ metric: 'a', labels: [] }, { metric: 'b', labels: ['l'] }]);
  });

  it('every metric and label in dashboards and alert rules exists in Vigil\'s registries', () => {
    const known = vigilMetrics();
    expect(known.has('vigil_camera_up') && known.has('process_cpu_seconds_total') && known.has('vigil_upload_latency_seconds_bucket')).toBe(true);
    const problems: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of [...dashboardExprs(), ...ruleExprs()]) {
      const found = selectors(substitute(expr));
      if (found.length === 0) problems.push(`${where}: names no metric`);
      for (const s of found) {
        used.add(s.metric);
        const labels = known.get(s.metric);
        if (!labels) problems.push(`${where}: metric ${s.metric} is not in any Vigil registry`);
        else for (const l of s.labels) if (!labels.has(l)) problems.push(`${where}: ${s.metric} has no label "${l}"`);
      }
    }
    expect(problems).toEqual([]);
    // The operations series added for alerts are used somewhere.
    for (const m of ['vigil_camera_info', 'vigil_camera_outages_total', 'vigil_spool_quota_bytes', 'vigil_upload_consecutive_failures', 'vigil_notify_queue']) expect(used).toContain(m);
  });

  it('every dashboard query parses as PromQL (promtool check rules)', () => {
    const exprs = dashboardExprs();
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-dash-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yml');
      writeFileSync(file, stringifyYaml({ groups: [{ name: 'dashboards', rules: exprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: substitute(e.expr) })) }] }));
      const out = execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(out).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
