import { beforeAll, describe, expect, it } from 'vitest';
import { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.ts';
import { ApiTokensRepo } from '../../src/db/api-tokens-repo.ts';
import { CasesRepo } from '../../src/db/cases-repo.ts';
import { ExportsRepo } from '../../src/db/exports-repo.ts';
import { LoginAttemptsRepo } from '../../src/db/login-attempts-repo.ts';
import { SessionsRepo } from '../../src/db/sessions-repo.ts';
import { UsersRepo } from '../../src/db/users-repo.ts';
import { TEST_DIALECTS } from '../helpers/test-db.ts';
import { T0, useTestDatabases } from './db-fixture.ts';

const { dbs } = useTestDatabases();

describe.each(TEST_DIALECTS)('job and account repositories on real %s', (dialect) => {
  let db: Kysely<Database>;
  beforeAll(async () => {
    db = await dbs.open(dialect);
  });

  it('export jobs: claimed once, progress kept as a float, done or failed, running ones failed after a restart', async () => {
    const by = { userId: 'u1', username: 'lan' };
    await new CasesRepo(db).insert({ id: 'case-1', reference: 'KN-1', title: 't', description: '', siteId: null, status: 'open', createdBy: by, createdMs: T0, updatedMs: T0, closedMs: null });
    const jobs = new ExportsRepo(db);
    for (const id of ['ev-a', 'ev-b', 'ev-c']) {
      await jobs.insert({ id, caseId: 'case-1', cameraId: 'cam-a', askedStartMs: T0, askedEndMs: T0 + 60_000, reason: 'r', requestedBy: by, requestedIp: null, runnerId: 'r1', createdMs: T0 });
    }
    expect(await jobs.claim('ev-a', 'r1', T0 + 1)).toBe(true);
    expect(await jobs.claim('ev-a', 'r2', T0 + 2)).toBe(false);
    await jobs.setProgress('ev-a', 1 / 3, 'hashing', T0 + 3);
    expect(await jobs.get('ev-a')).toMatchObject({ status: 'running', progress: 1 / 3, phase: 'hashing', startedMs: T0 + 1, updatedMs: T0 + 3 });
    expect(await jobs.claim('ev-b', 'r1', T0 + 4)).toBe(true);
    expect(await jobs.markDone('ev-b', { actualStartMs: T0 - 500, actualEndMs: T0 + 60_000, objectKey: 'exports/case-1/ev-b.tar', sizeBytes: 5_000_000_000, packageSha256: 'a'.repeat(64), keyFingerprint: 'fp' }, T0 + 5)).toBe(true);
    expect(await jobs.get('ev-b')).toMatchObject({ status: 'done', sizeBytes: 5_000_000_000, actualStartMs: T0 - 500 });
    expect(await jobs.failRunning('r1', 'the runner restarted', T0 + 6)).toEqual(['ev-a']);
    expect((await jobs.queued('r1')).map((j) => j.id)).toEqual(['ev-c']);
    expect((await jobs.holdingNear('cam-a', { startMs: T0, endMs: T0 + 1 })).map((j) => j.id).sort()).toEqual(['ev-b', 'ev-c']); // same start: no order between them
  });

  it('users, sessions, tokens and login counters round-trip, with their conditional updates', async () => {
    let now = T0;
    const users = new UsersRepo(db, () => now);
    const u = await users.create({ username: ' Lan.Nguyen ', displayName: 'Nguyễn Thị Lan', role: 'admin', siteScopes: ['b', 'a', 'b'], passwordHash: 'h' });
    expect(u).toMatchObject({ username: 'lan.nguyen', siteScopes: ['a', 'b'], disabled: false, createdMs: T0 });
    await expect(users.create({ username: 'LAN.NGUYEN', displayName: 'x', role: 'viewer', siteScopes: [], passwordHash: 'h' })).rejects.toMatchObject({ code: 'conflict' });
    const root = await users.create({ username: 'root', displayName: 'Root', role: 'admin', siteScopes: [], passwordHash: 'h' });
    expect(await users.countUnscopedActiveAdmins()).toBe(1);
    now += 1;
    expect(await users.update(root.id, { disabled: true })).toMatchObject({ disabled: true, updatedMs: T0 + 1 });
    expect(await users.countUnscopedActiveAdmins()).toBe(0);
    expect((await users.list()).map((x) => x.username)).toEqual(['lan.nguyen', 'root']);

    const sessions = new SessionsRepo(db);
    await sessions.create({ tokenHash: 's1', userId: u.id, createdMs: T0, expiresMs: T0 + 1_000, lastSeenMs: T0, ip: '10.0.0.1', userAgent: 'x'.repeat(400) });
    await sessions.create({ tokenHash: 's2', userId: u.id, createdMs: T0, expiresMs: T0 + 100_000, lastSeenMs: T0 + 50_000, ip: '', userAgent: '' });
    expect((await sessions.get('s1'))?.userAgent).toHaveLength(300);
    expect(await sessions.purgeExpired(T0 + 1_000, 60_000)).toBe(1);
    expect(await sessions.deleteForUser(u.id, 's2')).toBe(0);

    const tokens = new ApiTokensRepo(db);
    await tokens.create({ id: 't1', tokenHash: 'th1', userId: u.id, name: 'đêm', createdMs: T0, expiresMs: null });
    expect(await tokens.revoke('t1', T0 + 9)).toBe(true);
    expect(await tokens.revoke('t1', T0 + 10)).toBe(true); // already revoked: still there
    expect(await tokens.byHash('th1')).toMatchObject({ revokedMs: T0 + 9, expiresMs: null });
    expect(await tokens.revoke('t-none', T0)).toBe(false);

    const attempts = new LoginAttemptsRepo(db);
    await attempts.put('user:lan', { failures: 2, lastFailureMs: T0, lockedUntilMs: 0 });
    await attempts.put('user:lan', { failures: 3, lastFailureMs: T0 + 1, lockedUntilMs: T0 + 60_000 });
    expect(await attempts.get('user:lan')).toEqual({ failures: 3, lastFailureMs: T0 + 1, lockedUntilMs: T0 + 60_000 });
    expect(await attempts.purgeStale(T0 + 2, T0 + 1)).toBe(0); // still locked
    expect(await attempts.purgeStale(T0 + 2, T0 + 60_000)).toBe(1);
    expect(await attempts.get('user:lan')).toBeNull();
  });
});
