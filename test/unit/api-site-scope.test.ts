import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLE_PERMISSIONS, roleCan, type Permission } from '../../api/permissions.ts';
import { SiteTree } from '../../api/site-tree.ts';
import { checkGrant, mayManage, wouldRemoveLastFullAdmin } from '../../api/user-admin-rules.ts';
import { isVigilError } from '../../src/errors.ts';
import type { UserRecord } from '../../src/db/users-repo.ts';

const tree = new SiteTree([
  { id: 'hn', name: 'Hà Nội' },
  { id: 'd1', name: 'Quận 1', parent: 'hn' },
  { id: 'wa', name: 'Phường A', parent: 'd1' },
  { id: 'office-a', name: 'Một cửa A', parent: 'wa' },
  { id: 'wb', name: 'Phường B', parent: 'd1' },
  { id: 'd2', name: 'Quận 2', parent: 'hn' },
  { id: 'hcm', name: 'Hồ Chí Minh' },
]);

describe('site scope', () => {
  it.each<[string[], string | null, boolean]>([
    [[], 'office-a', true],
    [[], null, true],
    [['hn'], 'office-a', true],
    [['d1'], 'office-a', true],
    [['wa'], 'office-a', true],
    [['office-a'], 'office-a', true],
    [['office-a'], 'wa', false],
    [['wb'], 'office-a', false],
    [['d2'], 'office-a', false],
    [['d2', 'wa'], 'office-a', true],
    [['hn'], 'hcm', false],
    [['hn'], null, false],
    [['hn'], 'no-such-site', false],
    [['no-such-site'], 'office-a', false],
  ])('scopes %j cover %s: %s', (scopes, site, want) => {
    expect(tree.covers(scopes, site)).toBe(want);
  });

  it.each<[string[], string[], boolean]>([
    [[], [], true],
    [[], ['wa'], true],
    [['d1'], [], false],
    [['d1'], ['wa', 'wb'], true],
    [['d1'], ['wa', 'd2'], false],
    [['wa'], ['d1'], false],
  ])('scope %j includes %j: %s', (outer, inner, want) => {
    expect(tree.scopeIncludes(outer, inner)).toBe(want);
  });

  it('lists the visible subtrees depth first, by name, each site once', () => {
    const line = (scopes: string[]) => tree.visible(scopes).map((s) => `${s.depth}:${s.id}`);
    expect(line([])).toEqual(['0:hn', '1:d1', '2:wa', '3:office-a', '2:wb', '1:d2', '0:hcm']);
    expect(line(['wa', 'd1'])).toEqual(['0:d1', '1:wa', '2:office-a', '1:wb']);
    expect(line(['d2', 'wa'])).toEqual(['0:wa', '1:office-a', '0:d2']);
    expect(line(['nowhere'])).toEqual([]);
    expect(tree.visible(['wa'])[1]!.path).toEqual(['hn', 'd1', 'wa']);
  });
});

describe('roles', () => {
  const table: Record<string, Permission[]> = {
    viewer: ['account', 'sites.view', 'cameras.view', 'timeline.view', 'live.view', 'playback.view', 'thumbnails.view', 'reports.view'],
    investigator: ['account', 'sites.view', 'cameras.view', 'timeline.view', 'live.view', 'playback.view', 'thumbnails.view', 'reports.view', 'clips.create', 'cases.view', 'cases.edit', 'exports.create'],
    ops: ['account', 'sites.view', 'cameras.view', 'timeline.view', 'events.view', 'metrics.view', 'reports.view'],
    admin: [...PERMISSIONS],
  };
  it.each(Object.entries(table))('%s has exactly its permissions', (role, perms) => {
    for (const p of PERMISSIONS) expect(roleCan(role as keyof typeof ROLE_PERMISSIONS, p), `${role} ${p}`).toBe(perms.includes(p));
  });
  it('ops never gets footage', () => {
    for (const p of ['live.view', 'playback.view', 'thumbnails.view', 'clips.create', 'exports.create'] as const) expect(roleCan('ops', p)).toBe(false);
  });
});

describe('account administration rules', () => {
  const user = (siteScopes: string[], extra: Partial<UserRecord> = {}): UserRecord => ({ id: 'u', username: 'u', displayName: 'u', role: 'admin', siteScopes, disabled: false, createdMs: 0, updatedMs: 0, ...extra });
  it.each<[string[], string[], boolean]>([
    [[], [], true],
    [[], ['wa'], true],
    [['d1'], ['wa'], true],
    [['d1'], [], false],
    [['d1'], ['d2'], false],
  ])('an admin scoped %j may manage an account scoped %j: %s', (a, b, want) => {
    expect(mayManage(tree, user(a), user(b))).toBe(want);
  });

  it.each<[string[], string[], string | null]>([
    [[], [], null],
    [['d1'], ['wa'], null],
    [['d1'], [], 'forbidden'],
    [['d1'], ['d2'], 'forbidden'],
    [[], ['mars'], 'invalid_request'],
  ])('an admin scoped %j granting %j: %s', (a, grant, code) => {
    let got: string | null = null;
    try {
      checkGrant(tree, user(a), grant);
    } catch (e) {
      got = isVigilError(e) ? e.code : String(e);
    }
    expect(got).toBe(code);
  });

  it.each<[string, Partial<UserRecord>, { role: UserRecord['role']; siteScopes: string[]; disabled: boolean }, number, boolean]>([
    ['demoting the only full admin', {}, { role: 'ops', siteScopes: [], disabled: false }, 1, true],
    ['disabling the only full admin', {}, { role: 'admin', siteScopes: [], disabled: true }, 1, true],
    ['scoping the only full admin', {}, { role: 'admin', siteScopes: ['d1'], disabled: false }, 1, true],
    ['demoting one of two', {}, { role: 'ops', siteScopes: [], disabled: false }, 2, false],
    ['renaming the only full admin', {}, { role: 'admin', siteScopes: [], disabled: false }, 1, false],
    ['demoting a scoped admin', { siteScopes: ['d1'] }, { role: 'ops', siteScopes: ['d1'], disabled: false }, 1, false],
  ])('%s → refused: %s', (_n, target, after, count, want) => {
    expect(wouldRemoveLastFullAdmin(user(target.siteScopes ?? [], target), after, count)).toBe(want);
  });
});
