import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { CaseService } from '../../src/cases/case-service.ts';
import { HeldFootage } from '../../src/cases/held-footage.ts';
import { ManualClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db/database.ts';
import { ExportsRepo } from '../../src/db/exports-repo.ts';
import type { Database } from '../../src/db/schema.ts';
import { TEST_DIALECTS, TestDatabases } from '../helpers/test-db.ts';

/** Every suite runs on a fresh SQLite file and a fresh PostgreSQL database per test. */
const dbs = new TestDatabases();
afterAll(() => dbs.cleanup());
const T0 = Date.UTC(2026, 2, 3, 2, 40); // 09:40 in Ha Noi
const handler = { actor: { userId: 'u-7', username: 'lan.nguyen' }, ip: '10.20.0.5' };

describe.each(TEST_DIALECTS)('on %s', (dialect) => {
  let db: Kysely<Database>;
  let clock: ManualClock;
  let audit: AuditLog;
  let cases: CaseService;
  let held: HeldFootage;
  beforeEach(async () => {
    db = await openDatabase(await dbs.fresh(dialect));
    clock = new ManualClock(T0 + 3_600_000);
    audit = new AuditLog({ db, clock });
    cases = new CaseService({ db, clock, audit });
    held = new HeldFootage(db);
  });
  afterEach(async () => {
    await db.destroy();
  });

  describe('cases', () => {
    it('creates, lists, closes and reopens a case, each an audit entry', async () => {
      const c = await cases.createCase({ reference: 'KN-2026/031', title: 'Thái độ cán bộ quầy 3', siteId: 'ward-x' }, handler);
      expect(c).toMatchObject({ reference: 'KN-2026/031', status: 'open', siteId: 'ward-x', createdBy: handler.actor, createdMs: clock.nowMs() });
      expect(c.id).toMatch(/^case-[0-9a-f]{16}$/);
      expect((await cases.listCases({ siteIds: ['ward-x'] })).map((x) => x.id)).toEqual([c.id]);
      expect(await cases.listCases({ siteIds: ['ward-y'] })).toEqual([]);
      clock.advance(1000);
      const closed = await cases.closeCase(c.id, handler);
      expect(closed.case).toMatchObject({ status: 'closed', closedMs: clock.nowMs() });
      expect((await cases.listCases({ status: 'open' })).length).toBe(0);
      expect((await cases.reopenCase(c.id, handler)).status).toBe('open');
      const actions = (await audit.query({ caseId: c.id })).entries.map((e) => e.action).reverse();
      expect(actions).toEqual(['case.create', 'case.close', 'case.reopen']);
      expect((await audit.query({ caseId: c.id })).entries[0]!.ip).toBe('10.20.0.5');
    });

    it('refuses a second case with the same reference at the same site, not at another one', async () => {
      await cases.createCase({ reference: 'KN-01', title: 'a', siteId: 'ward-x' }, handler);
      await expect(cases.createCase({ reference: ' KN-01 ', title: 'b', siteId: 'ward-x' }, handler)).rejects.toMatchObject({ code: 'case_exists' });
      await expect(cases.createCase({ reference: 'KN-01', title: 'c', siteId: 'ward-y' }, handler)).resolves.toMatchObject({ siteId: 'ward-y' });
      await cases.createCase({ reference: 'KN-01', title: 'no site' }, handler);
      await expect(cases.createCase({ reference: 'KN-01', title: 'no site again' }, handler)).rejects.toMatchObject({ code: 'case_exists' });
    });

    it.each<[string, Parameters<CaseService['createCase']>[0], string]>([
      ['empty reference', { reference: '  ', title: 't' }, 'invalid_request'],
      ['empty title', { reference: 'r', title: '' }, 'invalid_request'],
      ['overlong title', { reference: 'r', title: 'x'.repeat(201) }, 'invalid_request'],
    ])('refuses a case with %s', async (_n, input, code) => {
      await expect(cases.createCase(input, handler)).rejects.toMatchObject({ code });
    });
  });

  describe('case clips and legal holds', () => {
    it('adding a clip puts its range on hold; releasing it lets retention have it again', async () => {
      const c = await cases.createCase({ reference: 'KN-2', title: 'quầy 3' }, handler);
      const { clip, hold } = await cases.addClip(c.id, { cameraId: 'cam-3', startMs: T0, endMs: T0 + 120_000, reason: 'citizen says 09:40–09:42' }, handler);
      expect(clip).toMatchObject({ caseId: c.id, cameraId: 'cam-3', startMs: T0, endMs: T0 + 120_000, reason: 'citizen says 09:40–09:42', holdId: hold.id, addedBy: handler.actor });
      expect(hold).toMatchObject({ caseId: c.id, cameraId: 'cam-3', startMs: T0, endMs: T0 + 120_000, releasedMs: null });

      expect(await held.overlapping('cam-3', { startMs: T0 + 60_000, endMs: T0 + 60_001 })).toEqual([{ cameraId: 'cam-3', startMs: T0, endMs: T0 + 120_000, caseIds: [c.id], holdIds: [hold.id], exportIds: [] }]);
      expect(await held.overlapping('cam-3', { startMs: T0 + 120_000, endMs: T0 + 200_000 })).toEqual([]);
      expect(await held.overlapping('cam-4', { startMs: T0, endMs: T0 + 1 })).toEqual([]);

      const audited = (await audit.query({ action: 'case.clip_add' })).entries;
      expect(audited).toMatchObject([{ cameraId: 'cam-3', startMs: T0, endMs: T0 + 120_000, reason: 'citizen says 09:40–09:42', caseId: c.id }]);

      clock.advance(5000);
      expect(await cases.releaseHold(hold.id, 'complaint settled', handler)).toBe(true);
      expect(await cases.releaseHold(hold.id, 'again', handler)).toBe(false);
      expect(await held.overlapping('cam-3', { startMs: T0, endMs: T0 + 1 })).toEqual([]);
      const [released] = await cases.holdsOf(c.id, { includeReleased: true });
      expect(released).toMatchObject({ releasedMs: clock.nowMs(), releasedBy: handler.actor, releaseReason: 'complaint settled' });
      expect((await audit.verify()).ok).toBe(true);
    });

    it('requires a reason and an open case, and a sane range', async () => {
      const c = await cases.createCase({ reference: 'KN-3', title: 't' }, handler);
      await expect(cases.addClip(c.id, { cameraId: 'cam-1', startMs: T0, endMs: T0 + 1000, reason: ' ' }, handler)).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(cases.addClip(c.id, { cameraId: 'cam-1', startMs: T0, endMs: T0, reason: 'r' }, handler)).rejects.toMatchObject({ code: 'invalid_range' });
      await expect(cases.addClip(c.id, { cameraId: 'cam-1', startMs: T0, endMs: T0 + 25 * 3_600_000, reason: 'r' }, handler)).rejects.toMatchObject({ code: 'invalid_range' });
      await expect(cases.addClip('case-none', { cameraId: 'cam-1', startMs: T0, endMs: T0 + 1000, reason: 'r' }, handler)).rejects.toMatchObject({ code: 'not_found' });
      await cases.closeCase(c.id, handler);
      await expect(cases.addClip(c.id, { cameraId: 'cam-1', startMs: T0, endMs: T0 + 1000, reason: 'r' }, handler)).rejects.toMatchObject({ code: 'case_closed' });
      expect(await cases.clips(c.id)).toEqual([]);
      expect(await held.allActive()).toEqual([]);
    });

    it('closing a case with releaseHolds releases all of its holds and only its', async () => {
      const a = await cases.createCase({ reference: 'A', title: 'a' }, handler);
      const b = await cases.createCase({ reference: 'B', title: 'b' }, handler);
      await cases.addClip(a.id, { cameraId: 'cam-1', startMs: T0, endMs: T0 + 1000, reason: 'r' }, handler);
      await cases.addClip(a.id, { cameraId: 'cam-2', startMs: T0, endMs: T0 + 1000, reason: 'r' }, handler);
      await cases.addClip(b.id, { cameraId: 'cam-1', startMs: T0 + 500, endMs: T0 + 3000, reason: 'r' }, handler);
      const { releasedHoldIds } = await cases.closeCase(a.id, handler, { releaseHolds: true, reason: 'settled' });
      expect(releasedHoldIds.length).toBe(2);
      expect((await held.allActive()).map((r) => [r.cameraId, r.startMs - T0, r.endMs - T0, r.caseIds])).toEqual([['cam-1', 500, 3000, [b.id]]]);
    });
  });

  describe('held footage counts evidence exports', () => {
    it('queued, running and done exports hold footage; failed ones do not', async () => {
      const c = await cases.createCase({ reference: 'E', title: 'e' }, handler);
      const exportsRepo = new ExportsRepo(db);
      const add = (id: string, startMs: number, endMs: number) =>
        exportsRepo.insert({ id, caseId: c.id, cameraId: 'cam-1', askedStartMs: startMs, askedEndMs: endMs, reason: 'r', requestedBy: handler.actor, requestedIp: null, runnerId: 'r1', createdMs: clock.nowMs() });
      await add('ev-queued', T0, T0 + 10_000);
      await add('ev-running', T0 + 20_000, T0 + 30_000);
      await add('ev-done', T0 + 40_000, T0 + 50_000);
      await add('ev-failed', T0 + 60_000, T0 + 70_000);
      await exportsRepo.claim('ev-running', 'r1', clock.nowMs());
      await exportsRepo.claim('ev-done', 'r1', clock.nowMs());
      await exportsRepo.markDone('ev-done', { actualStartMs: T0 + 38_500, actualEndMs: T0 + 49_960, objectKey: 'exports/x/ev-done.tar', sizeBytes: 1, packageSha256: 'a'.repeat(64), keyFingerprint: 'f' }, clock.nowMs());
      await exportsRepo.claim('ev-failed', 'r1', clock.nowMs());
      await exportsRepo.markFailed('ev-failed', 'boom', clock.nowMs());
      const { hold } = await cases.addClip(c.id, { cameraId: 'cam-1', startMs: T0 + 5_000, endMs: T0 + 21_000, reason: 'r' }, handler);

      const all = await held.allActive();
      expect(all.map((r) => [r.startMs - T0, r.endMs - T0, r.exportIds, r.holdIds])).toEqual([
        [0, 30_000, ['ev-queued', 'ev-running'], [hold.id]],
        [38_500, 50_000, ['ev-done'], []],
      ]);
      expect((await held.overlapping('cam-1', { startMs: T0 + 39_000, endMs: T0 + 39_001 })).map((r) => r.exportIds)).toEqual([['ev-done']]);
      expect(await held.overlapping('cam-1', { startMs: T0 + 60_000, endMs: T0 + 70_000 })).toEqual([]);
      await expect(held.overlapping('cam-1', { startMs: T0, endMs: T0 })).rejects.toMatchObject({ code: 'invalid_range' });
    });
  });
});
