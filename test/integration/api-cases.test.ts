import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeldFootage } from '../../src/cases/held-footage.ts';
import { problemOf, startApiHarness, T0, type ApiHarness, type Credential } from './api-harness.ts';

/**
 * Cases, clips, legal holds over real HTTP (real SQLite, real audit log). Sites: ward-a and
 * ward-b under district-1, ward-c under district-2; cameras ward-a-counter-1 and
 * ward-c-counter-1 (api-harness.ts).
 */
let h: ApiHarness;
let wardA: Credential; // investigator of ward-a
let district1: Credential; // investigator of district-1 (ward-a, ward-b)
let wardC: Credential; // investigator of ward-c
let admin: Credential; // unscoped admin
const CAM_A = 'ward-a-counter-1';
const CAM_C = 'ward-c-counter-1';
const iso = (ms: number) => new Date(ms).toISOString();

const send = (cred: Credential, method: string, path: string, json?: unknown) => h.fetch(path, { method, headers: cred.headers(), ...(json === undefined ? {} : { json }) });
async function created(cred: Credential, body: Record<string, unknown>) {
  const res = await send(cred, 'POST', '/api/v1/cases', body);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; site: { id: string; name: string } | null; status: string; reference: string };
}

beforeAll(async () => {
  h = await startApiHarness();
  wardA = await h.token(await h.createUser({ username: 'lan', role: 'investigator', sites: ['ward-a'] }));
  district1 = await h.token(await h.createUser({ username: 'minh', role: 'investigator', sites: ['district-1'] }));
  wardC = await h.token(await h.createUser({ username: 'hoa', role: 'investigator', sites: ['ward-c'] }));
  admin = await h.session(await h.createUser({ username: 'root', role: 'admin' }));
});
afterAll(async () => h?.close());

describe('cases', () => {
  it('are opened at a site of the caller: out of scope 403, unknown site 400, no site only for unscoped users, one reference per site', async () => {
    const c = await created(wardA, { reference: 'KN-2026/031', title: 'Thái độ phục vụ tại quầy 1', description: 'Công dân phản ánh', site: 'ward-a' });
    expect(c).toMatchObject({ site: { id: 'ward-a', name: 'Phường A' }, status: 'open', reference: 'KN-2026/031' });
    const dup = await problemOf(await send(district1, 'POST', '/api/v1/cases', { reference: 'KN-2026/031', title: 'again', site: 'ward-a' }));
    expect([dup.status, dup.code, dup.caseId]).toEqual([409, 'case_exists', c.id]);
    expect((await created(wardC, { reference: 'KN-2026/031', title: 'same reference, other ward', site: 'ward-c' })).site?.id).toBe('ward-c');
    const out = await problemOf(await send(wardA, 'POST', '/api/v1/cases', { reference: 'KN-1', title: 't', site: 'ward-c' }));
    expect([out.status, out.code]).toEqual([403, 'forbidden']);
    const unknown = await problemOf(await send(wardA, 'POST', '/api/v1/cases', { reference: 'KN-1', title: 't', site: 'ward-z' }));
    expect([unknown.status, unknown.invalidParams]).toEqual([400, [{ name: 'site', in: 'body', reason: 'is not a configured site (GET /api/v1/sites lists them)' }]]);
    const noSite = await problemOf(await send(wardA, 'POST', '/api/v1/cases', { reference: 'KN-1', title: 't' }));
    expect([noSite.status, noSite.detail]).toEqual([400, 'site is required: your account is limited to ward-a']);
    expect((await created(admin, { reference: 'KN-HQ-1', title: 'toàn thành phố' })).site).toBeNull();
    const blank = await problemOf(await send(wardA, 'POST', '/api/v1/cases', { reference: ' ', title: 't', site: 'ward-a' }));
    expect([blank.status, (blank.invalidParams as Array<{ name: string }>).map((p) => p.name)]).toEqual([400, ['reference']]);
  });

  it('are listed and shown only within the caller’s scope; another site’s case answers like an unknown one', async () => {
    const a = await created(wardA, { reference: 'KN-L1', title: 'ward a', site: 'ward-a' });
    const b = await created(district1, { reference: 'KN-L2', title: 'ward b', site: 'ward-b' });
    const c = await created(wardC, { reference: 'KN-L3', title: 'ward c', site: 'ward-c' });
    const ids = async (cred: Credential) => ((await (await send(cred, 'GET', '/api/v1/cases?limit=500')).json()) as { cases: Array<{ id: string }> }).cases.map((x) => x.id);
    const seenA = await ids(wardA);
    expect(seenA).toContain(a.id);
    expect(seenA).not.toContain(b.id);
    expect(seenA).not.toContain(c.id);
    const seenD = await ids(district1);
    expect(seenD).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(seenD).not.toContain(c.id);
    expect(await ids(admin)).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
    const other = await send(wardA, 'GET', `/api/v1/cases/${c.id}`);
    const missing = await send(wardA, 'GET', '/api/v1/cases/case-0000000000000000');
    expect([other.status, missing.status]).toEqual([404, 404]);
    const strip = (p: Record<string, unknown>) => ({ ...p, requestId: undefined, instance: undefined, detail: String(p.detail).replace(/"[^"]+"/, '"X"') });
    expect(strip(await problemOf(other))).toEqual(strip(await problemOf(missing)));
    expect((await (await send(wardA, 'GET', '/api/v1/cases?status=closed&limit=500')).json()).cases).toEqual([]);
  });

  it('take clips with a reason, each putting its range on a legal hold that retention sees until it is released with a reason', async () => {
    const kase = await created(wardA, { reference: 'KN-H1', title: 'holds', site: 'ward-a' });
    const res = await send(wardA, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 300_000), reason: 'Công dân phản ánh lúc 9 giờ' });
    expect(res.status, await res.clone().text()).toBe(201);
    const { clip, hold } = (await res.json()) as { clip: { id: number; holdId: number; startMs: number; endMs: number; reason: string; start: string }; hold: { id: number; active: boolean } };
    expect(clip).toMatchObject({ holdId: hold.id, startMs: T0, endMs: T0 + 300_000, reason: 'Công dân phản ánh lúc 9 giờ', start: '2026-03-03T09:00:00.000+07:00' });
    expect(hold.active).toBe(true);
    const held = new HeldFootage(h.db);
    expect(await held.overlapping(CAM_A, { startMs: T0 + 1000, endMs: T0 + 2000 })).toHaveLength(1);
    expect(((await (await send(wardA, 'GET', `/api/v1/cases/${kase.id}/clips`)).json()) as { clips: unknown[] }).clips).toHaveLength(1);

    const noReason = await problemOf(await send(wardA, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 1000) }));
    expect([noReason.status, (noReason.invalidParams as Array<{ name: string }>).map((p) => p.name)]).toEqual([400, ['reason']]);
    const reversed = await problemOf(await send(wardA, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_A, start: iso(T0 + 1000), end: iso(T0), reason: 'x' }));
    expect([reversed.status, reversed.code, reversed.invalidParams]).toEqual([400, 'invalid_range', [{ name: 'end', in: 'body', reason: 'must be after start' }]]);
    const tooLong = await problemOf(await send(wardA, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 25 * 3_600_000), reason: 'x' }));
    expect([tooLong.status, tooLong.code, tooLong.maxRangeMs]).toEqual([400, 'invalid_range', 24 * 3_600_000]);
    // A camera the caller cannot see is unknown; one of another site than the case's is a 400.
    const unseen = await problemOf(await send(wardA, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_C, start: iso(T0), end: iso(T0 + 1000), reason: 'x' }));
    expect([unseen.status, unseen.detail]).toEqual([404, `there is no camera "${CAM_C}" that you may see`]);
    const otherSite = await problemOf(await send(admin, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_C, start: iso(T0), end: iso(T0 + 1000), reason: 'x' }));
    expect([otherSite.status, otherSite.code]).toEqual([400, 'invalid_request']);
    expect(otherSite.detail).toContain(`camera ${CAM_C} is at site ward-c, outside the site of case KN-H1 (ward-a)`);

    const noWhy = await problemOf(await send(wardA, 'POST', `/api/v1/cases/${kase.id}/holds/${hold.id}/release`, {}));
    expect(noWhy.status).toBe(400);
    const rel = await send(wardA, 'POST', `/api/v1/cases/${kase.id}/holds/${hold.id}/release`, { reason: 'đã giải quyết xong' });
    expect(rel.status).toBe(200);
    expect(await rel.json()).toMatchObject({ released: true, hold: { id: hold.id, active: false, releasedBy: { username: 'lan' }, releaseReason: 'đã giải quyết xong' } });
    expect(await held.overlapping(CAM_A, { startMs: T0 + 1000, endMs: T0 + 2000 })).toEqual([]);
    expect(await (await send(wardA, 'POST', `/api/v1/cases/${kase.id}/holds/${hold.id}/release`, { reason: 'lần nữa' })).json()).toMatchObject({ released: false });
    expect(((await (await send(wardA, 'GET', `/api/v1/cases/${kase.id}/holds`)).json()) as { holds: unknown[] }).holds).toEqual([]);
    expect(((await (await send(wardA, 'GET', `/api/v1/cases/${kase.id}/holds?includeReleased=true`)).json()) as { holds: unknown[] }).holds).toHaveLength(1);
    // A hold is released through its own case only.
    const elsewhere = await created(wardA, { reference: 'KN-H2', title: 'other', site: 'ward-a' });
    expect((await problemOf(await send(wardA, 'POST', `/api/v1/cases/${elsewhere.id}/holds/${hold.id}/release`, { reason: 'x' }))).status).toBe(404);
  });

  it('are changed, closed (holds released only with a reason) and reopened; a closed case takes no clips', async () => {
    const kase = await created(district1, { reference: 'KN-C1', title: 'to close', site: 'ward-b' });
    const patched = await (await send(district1, 'PATCH', `/api/v1/cases/${kase.id}`, { title: 'Thái độ phục vụ (đã xác minh)', description: 'Đã xem đoạn phim' })).json();
    expect(patched).toMatchObject({ title: 'Thái độ phục vụ (đã xác minh)', description: 'Đã xem đoạn phim' });
    await send(district1, 'POST', `/api/v1/cases/${kase.id}/clips`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 60_000), reason: 'quầy 1' }).then((r) => expect(r.status).toBe(400)); // ward-a camera, ward-b case
    const bCase = await created(district1, { reference: 'KN-C2', title: 'district case', site: 'district-1' });
    expect((await send(district1, 'POST', `/api/v1/cases/${bCase.id}/clips`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 60_000), reason: 'quầy 1' })).status).toBe(201); // a district's case takes its wards' cameras
    const needsWhy = await problemOf(await send(district1, 'POST', `/api/v1/cases/${bCase.id}/close`, { releaseHolds: true }));
    expect([needsWhy.status, needsWhy.invalidParams]).toEqual([400, [{ name: 'reason', in: 'body', reason: 'is required with releaseHolds' }]]);
    const closed = await (await send(district1, 'POST', `/api/v1/cases/${bCase.id}/close`, { releaseHolds: true, reason: 'đã trả lời công dân' })).json();
    expect(closed).toMatchObject({ case: { status: 'closed' }, releasedHoldIds: [expect.any(Number)] });
    const late = await problemOf(await send(district1, 'POST', `/api/v1/cases/${bCase.id}/clips`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 1000), reason: 'x' }));
    expect([late.status, late.code]).toEqual([409, 'case_closed']);
    expect(await (await send(district1, 'POST', `/api/v1/cases/${bCase.id}/reopen`)).json()).toMatchObject({ status: 'open', closed: null });
  });

  it('exports check the camera against the case’s site (400) and the range for footage (404) before queueing', async () => {
    const kase = await created(admin, { reference: 'KN-E1', title: 'export checks', site: 'ward-a' });
    const other = await problemOf(await send(admin, 'POST', `/api/v1/cases/${kase.id}/exports`, { cameraId: CAM_C, start: iso(T0), end: iso(T0 + 5000), reason: 'thanh tra' }));
    expect([other.status, other.code]).toEqual([400, 'invalid_request']);
    const none = await problemOf(await send(admin, 'POST', `/api/v1/cases/${kase.id}/exports`, { cameraId: CAM_A, start: iso(T0), end: iso(T0 + 5000), reason: 'thanh tra' }));
    expect([none.status, none.code]).toEqual([404, 'not_found']);
    expect(none.detail).toContain(`camera ${CAM_A} has no footage from 2026-03-03T09:00:00.000+07:00`);
    expect(((await (await send(admin, 'GET', `/api/v1/cases/${kase.id}/exports`)).json()) as { exports: unknown[] }).exports).toEqual([]);
  });

  it('each change is one audit entry, written by the case service (not twice)', async () => {
    const rows = await h.auditRows();
    const actions = rows.map((r) => r.action);
    const count = (a: string) => actions.filter((x) => x === a).length;
    // created above: KN-2026/031 ×2, KN-HQ-1, KN-L1..3, KN-H1, KN-H2, KN-C1, KN-C2, KN-E1
    expect(count('case.create')).toBe(11);
    expect(count('case.clip_add')).toBe(2);
    expect(count('hold.release')).toBe(1);
    expect(count('case.update')).toBe(1);
    expect(count('case.close')).toBe(1);
    expect(count('case.reopen')).toBe(1);
    const release = rows.find((r) => r.action === 'hold.release')!;
    expect(release).toMatchObject({ actor_name: 'lan', ip: '127.0.0.1' });
  });
});
