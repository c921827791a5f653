import { describe, expect, it } from 'vitest';
import { resolveLiveRoute, sameHolder, type LiveHolderRow, type LiveRoute } from '../../src/leases/live-route.ts';

// camera → lease holder → the holder's published live URL, as an API node decides it.
const NOW = 1_000_000;
const held = (over: Partial<LiveHolderRow> = {}): LiveHolderRow => ({ nodeId: 'rec-b', epoch: 3, expiresMs: NOW + 5_000, liveUrl: 'http://10.0.0.6:8091', ...over });

describe('resolveLiveRoute', () => {
  const cases: Array<{ name: string; holder: LiveHolderRow | null; self: string | null; canReach: boolean; want: Partial<LiveRoute> & { kind: LiveRoute['kind'] }; reason?: RegExp }> = [
    { name: 'never leased', holder: null, self: null, canReach: true, want: { kind: 'none', nodeId: null, misconfigured: false }, reason: /no recorder has recorded camera cam-1 yet/ },
    { name: 'lease ran out', holder: held({ expiresMs: NOW }), self: null, canReach: true, want: { kind: 'none', misconfigured: false }, reason: /no recorder holds camera cam-1 now/ },
    { name: 'lease released (expires 0)', holder: held({ expiresMs: 0 }), self: 'rec-b', canReach: true, want: { kind: 'none', misconfigured: false } },
    { name: 'held by another node with a URL', holder: held(), self: null, canReach: true, want: { kind: 'remote', nodeId: 'rec-b', url: 'http://10.0.0.6:8091' } },
    { name: 'held by another node, this process records too', holder: held(), self: 'rec-a', canReach: true, want: { kind: 'remote', nodeId: 'rec-b' } },
    { name: 'held by this process', holder: held({ nodeId: 'rec-a', liveUrl: null }), self: 'rec-a', canReach: false, want: { kind: 'local', nodeId: 'rec-a' } },
    { name: 'holder publishes no URL', holder: held({ liveUrl: null }), self: null, canReach: true, want: { kind: 'none', nodeId: 'rec-b', misconfigured: true }, reason: /publishes no live address \(set live\.endpointPort and live\.advertiseUrl/ },
    { name: 'no secret to reach the holder', holder: held(), self: null, canReach: false, want: { kind: 'none', nodeId: 'rec-b', misconfigured: true }, reason: /no live\.secret/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = resolveLiveRoute('cam-1', c.holder, { nowMs: NOW, selfNodeId: c.self, canReachRemote: c.canReach });
      expect(r).toMatchObject(c.want);
      if (c.reason) expect(r.kind === 'none' ? r.reason : '').toMatch(c.reason);
    });
  }
  it('never puts the live URL in a reason', () => {
    const r = resolveLiveRoute('cam-1', held({ liveUrl: 'http://user:pw@10.0.0.6:1' }), { nowMs: NOW, selfNodeId: null, canReachRemote: false });
    expect(r.kind === 'none' && r.reason).not.toMatch(/10\.0\.0\.6|pw/);
  });
});

describe('sameHolder', () => {
  const remote = (nodeId: string, url = 'http://x:1'): LiveRoute => ({ kind: 'remote', nodeId, url });
  const cases: Array<[string, LiveRoute, LiveRoute, boolean]> = [
    ['same remote node', remote('rec-b'), remote('rec-b'), true],
    ['moved to another node', remote('rec-b'), remote('rec-a'), false],
    ['same node, new address', remote('rec-b', 'http://x:1'), remote('rec-b', 'http://y:2'), false],
    ['moved to this process', remote('rec-b'), { kind: 'local', nodeId: 'rec-a' }, false],
    ['moved away from this process', { kind: 'local', nodeId: 'rec-a' }, remote('rec-b'), false],
    ['still this process', { kind: 'local', nodeId: 'rec-a' }, { kind: 'local', nodeId: 'rec-a' }, true],
    ['held by nobody now', remote('rec-b'), { kind: 'none', nodeId: null, reason: 'x', misconfigured: false }, false],
  ];
  for (const [name, was, now, want] of cases) it(name, () => expect(sameHolder(was, now)).toBe(want));
});
