import { describe, expect, it } from 'vitest';
import { actionsFor, planLeases, type CameraRow, type LeaseRow, type NodeRow } from '../../src/leases/lease-plan.ts';
import { readyFilesToKeep } from '../../recorder/leases/spool-adoption.ts';
import { defaultNodeId } from '../../src/leases/node-id.ts';

const NOW = 1_000_000;
const node = (nodeId: string, o: { sites?: string[]; dead?: boolean } = {}): NodeRow => ({ nodeId, sites: o.sites ?? null, expiresMs: o.dead ? NOW - 1 : NOW + 10_000 });
const cam = (cameraId: string, siteId: string | null = null, nodes: string[] | null = null): CameraRow => ({ cameraId, siteId, nodes });
const lease = (cameraId: string, nodeId: string, o: { epoch?: number; expired?: boolean } = {}): LeaseRow => ({ cameraId, nodeId, epoch: o.epoch ?? 1, expiresMs: o.expired ? NOW : NOW + 5_000 });
const cams = (n: number, site: string | null = null) => Array.from({ length: n }, (_, i) => cam(`c${String(i + 1).padStart(2, '0')}`, site));

function counts(target: Record<string, string | null>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of Object.values(target)) if (n) out[n] = (out[n] ?? 0) + 1;
  return out;
}

describe('planLeases', () => {
  const cases: Array<{ name: string; nodes: NodeRow[]; leases: LeaseRow[]; cameras: CameraRow[]; counts: Record<string, number>; actions?: Record<string, string[]> }> = [
    { name: 'free cameras spread evenly over live nodes', nodes: [node('a'), node('b'), node('c')], leases: [], cameras: cams(12), counts: { a: 4, b: 4, c: 4 } },
    { name: 'a dead node gets nothing', nodes: [node('a'), node('b'), node('c', { dead: true })], leases: [], cameras: cams(12), counts: { a: 6, b: 6 } },
    {
      name: "a dead node's valid-looking leases are taken by the others",
      nodes: [node('a'), node('b'), node('c', { dead: true })],
      leases: [...cams(4).map((c) => lease(c.cameraId, 'c')), ...cams(12).slice(4, 8).map((c) => lease(c.cameraId, 'a')), ...cams(12).slice(8).map((c) => lease(c.cameraId, 'b'))],
      cameras: cams(12),
      counts: { a: 6, b: 6 },
      actions: { a: ['keep', 'keep', 'keep', 'keep', 'take', 'take'], b: ['keep', 'keep', 'keep', 'keep', 'take', 'take'] },
    },
    {
      name: 'an expired lease is free even when its node is live',
      nodes: [node('a'), node('b')],
      leases: [lease('c01', 'a', { expired: true }), lease('c02', 'b')],
      cameras: cams(2),
      counts: { a: 1, b: 1 },
      actions: { a: ['take'], b: ['keep'] },
    },
    {
      name: 'a node that joins gets cameras handed over until balanced (one move per surplus camera)',
      nodes: [node('a'), node('b'), node('c')],
      leases: [...cams(6).map((c) => lease(c.cameraId, 'a')), ...cams(12).slice(6).map((c) => lease(c.cameraId, 'b'))],
      cameras: cams(12),
      counts: { a: 4, b: 4, c: 4 },
    },
    {
      name: 'an imbalance of one is left alone (moving costs a gap)',
      nodes: [node('a'), node('b')],
      leases: [lease('c01', 'a'), lease('c02', 'a'), lease('c03', 'b')],
      cameras: cams(3),
      counts: { a: 2, b: 1 },
      actions: { a: ['keep', 'keep'], b: ['keep'] },
    },
    {
      name: 'site affinity: a node takes only cameras of its sites',
      nodes: [node('a', { sites: ['north'] }), node('b', { sites: ['south'] }), node('c')],
      leases: [],
      cameras: [cam('n1', 'north'), cam('n2', 'north'), cam('n3', 'north'), cam('s1', 'south'), cam('x1', null)],
      counts: { a: 2, b: 1, c: 2 },
    },
    {
      name: 'node affinity on a camera; none eligible and live → unassigned',
      nodes: [node('a'), node('b'), node('z', { dead: true })],
      leases: [],
      cameras: [cam('p1', null, ['b']), cam('p2', null, ['b']), cam('q1', null, ['z'])],
      counts: { b: 2 },
    },
    {
      name: 'a lease on a node affinity no longer allows is handed over',
      nodes: [node('a', { sites: ['north'] }), node('b')],
      leases: [lease('s1', 'a')],
      cameras: [cam('s1', 'south')],
      counts: { b: 1 },
      actions: { a: [], b: ['take'] },
    },
  ];
  it.each(cases)('$name', (c) => {
    const plan = planLeases(c.nodes, c.leases, c.cameras, NOW);
    expect(counts(plan.target)).toEqual(c.counts);
    for (const [n, types] of Object.entries(c.actions ?? {})) expect(actionsFor(plan, n).map((a) => a.type).sort()).toEqual([...types].sort());
  });

  it('hands over exactly the surplus when a node joins, and each move names its receiver', () => {
    const plan = planLeases([node('a'), node('b'), node('c')], [...cams(6).map((c) => lease(c.cameraId, 'a')), ...cams(12).slice(6).map((c) => lease(c.cameraId, 'b'))], cams(12), NOW);
    const releases = plan.actions.filter((a) => a.type === 'release');
    expect(releases).toHaveLength(4);
    expect(releases.every((a) => a.type === 'release' && a.toNodeId === 'c')).toBe(true);
    expect(plan.actions.filter((a) => a.type === 'take')).toHaveLength(0); // c takes once released
  });

  it('is the same whatever the order of its inputs (every node computes the same plan)', () => {
    const nodes = [node('a'), node('b'), node('c')];
    const leases = [lease('c03', 'a'), lease('c07', 'b')];
    const p1 = planLeases(nodes, leases, cams(12), NOW);
    const p2 = planLeases([...nodes].reverse(), [...leases].reverse(), [...cams(12)].reverse(), NOW);
    expect(p2.target).toEqual(p1.target);
  });

  it('with no live node, nothing is assigned', () => {
    expect(planLeases([node('a', { dead: true })], [], cams(2), NOW)).toEqual({ target: { c01: null, c02: null }, actions: [] });
  });
});

describe('readyFilesToKeep', () => {
  const f = (startMs: number, path = `f${startMs}`) => ({ path, cameraId: 'c', startMs, durationMs: 2_000, sizeBytes: 1 });
  it.each([
    { name: 'nothing indexed: keep all', until: null, ready: [f(0), f(2000)], inFlight: [], keep: [0, 2000], drop: [] },
    { name: 'keeps what starts at or after the index end', until: 2000, ready: [f(0), f(2000), f(4000)], inFlight: [], keep: [2000, 4000], drop: [0] },
    { name: 'drops a segment straddling the index end', until: 3000, ready: [f(2000), f(4000)], inFlight: [], keep: [4000], drop: [2000] },
    { name: 'leaves in-flight uploads alone', until: 0, ready: [f(0), f(2000)], inFlight: ['f0'], keep: [2000], drop: [] },
  ])('$name', (c) => {
    const r = readyFilesToKeep(c.ready, c.until, new Set(c.inFlight));
    expect(r.keep.map((x) => x.startMs)).toEqual(c.keep);
    expect(r.drop.map((x) => x.startMs)).toEqual(c.drop);
  });
});

describe('defaultNodeId', () => {
  it('differs per data folder and keeps to the allowed characters', () => {
    const a = defaultNodeId('rec-01.office', '/var/lib/vigil');
    expect(a).toMatch(/^rec-01\.office-[0-9a-f]{8}$/);
    expect(defaultNodeId('rec-01.office', '/srv/vigil2')).not.toBe(a);
    expect(defaultNodeId('  *weird host*', '/d')).toMatch(/^weird-host--[0-9a-f]{8}$/);
  });
});
