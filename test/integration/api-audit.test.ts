import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { toIsoInZone } from '../../src/time.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Credential } from './api-harness.ts';
import { startRecordedApi, type RecordedApi } from './api-footage-harness.ts';

/**
 * The audit log through the API, against a real recording: every footage access (clip,
 * playlist, thumbnail, export, download) leaves a row with the right actor, camera and range;
 * admins query it with filters and paging (scoped admins see their sites only); a row
 * modified in SQLite is named by GET /audit/verify.
 */
const CAM = 'quay-5';
const TZ = 'Asia/Ho_Chi_Minh';

let r: RecordedApi;
let lan: Credential; // investigator, ward-a
let admin: Credential; // unscoped
let district1Admin: Credential;
let district2Admin: Credential;
let segs: SegmentRecord[];

interface Entry { seq: number; action: string; actor: { username: string } | null; cameraId: string | null; startMs: number | null; endMs: number | null; caseId: string | null; ip: string | null; detail: Record<string, unknown> }
const auditPage = async (cred: Credential, query: string) => {
  const res = await r.h.fetch(`/api/v1/audit${query}`, { headers: cred.headers() });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { entries: Entry[]; nextBefore: number | null };
};
const get = (cred: Credential, p: string) => r.h.fetch(p, { headers: cred.headers() });

beforeAll(async () => {
  r = await startRecordedApi({ cameras: [defaultSpec(0, { id: CAM, video: 'h264', audio: 'none' })] });
  const segments = new SegmentsRepo(r.rec.db, () => Date.now());
  await waitFor('two segments', async () => (await segments.overlapping(CAM, { startMs: 0, endMs: Number.MAX_SAFE_INTEGER })).length >= 2, { timeoutMs: 40_000, intervalMs: 250 });
  await r.stopRecording();
  segs = (await segments.overlapping(CAM, { startMs: 0, endMs: Number.MAX_SAFE_INTEGER })).filter((s) => s.durationMs >= 2_000);
  lan = await r.h.token(await r.h.createUser({ username: 'lan', role: 'investigator', sites: ['ward-a'] }));
  admin = await r.h.token(await r.h.createUser({ username: 'root', role: 'admin' }));
  district1Admin = await r.h.token(await r.h.createUser({ username: 'admin-d1', role: 'admin', sites: ['district-1'] }));
  district2Admin = await r.h.token(await r.h.createUser({ username: 'admin-d2', role: 'admin', sites: ['district-2'] }));
}, 120_000);

afterAll(async () => r?.close());

describe('audit of footage access', () => {
  let caseId: string;
  const a = () => segs[0]!.startMs + 1_000;
  const b = () => segs[1]!.startMs + 2_000;
  const range = () => `?start=${encodeURIComponent(toIsoInZone(a(), TZ))}&end=${encodeURIComponent(toIsoInZone(b(), TZ))}`;

  it('every view and export of footage is a row naming who, what camera, what range, from where', async () => {
    const user = await r.h.createUser({ username: 'login-user', role: 'viewer', password: 'a long password 1' });
    expect((await r.h.fetch('/api/v1/auth/login', { method: 'POST', json: { username: user.username, password: 'a long password 1' } })).status).toBe(200);
    const clip = await get(lan, `/api/v1/cameras/${CAM}/clip${range()}`);
    expect(clip.status).toBe(200);
    await clip.arrayBuffer();
    const actual = { start: Date.parse(clip.headers.get('vigil-actual-start')!), end: Date.parse(clip.headers.get('vigil-actual-end')!) };
    expect((await get(lan, `/api/v1/cameras/${CAM}/playback.m3u8${range()}`)).status).toBe(200);
    const thumb = await get(lan, `/api/v1/cameras/${CAM}/thumbnail?at=${encodeURIComponent(toIsoInZone(a() + 500, TZ))}`);
    expect(thumb.status).toBe(200);
    const frameMs = Date.parse(thumb.headers.get('vigil-frame-time')!);
    const kase = await (await r.h.fetch('/api/v1/cases', { method: 'POST', headers: lan.headers(), json: { reference: 'KN-A1', title: 'audit', site: 'ward-a' } })).json();
    caseId = kase.id;
    const body = { cameraId: CAM, start: toIsoInZone(a(), TZ), end: toIsoInZone(b(), TZ), reason: 'Thanh tra yêu cầu' };
    const job = await (await r.h.fetch(`/api/v1/cases/${caseId}/exports`, { method: 'POST', headers: lan.headers(), json: body })).json();
    await waitFor('the export', async () => ((await (await get(lan, `/api/v1/exports/${job.id}`)).json()).status === 'done') || undefined, { timeoutMs: 30_000, intervalMs: 50 });
    const dl = await get(lan, `/api/v1/exports/${job.id}/package`);
    expect(dl.status).toBe(200);
    await dl.arrayBuffer();

    const { entries } = await auditPage(admin, `?cameraId=${CAM}&limit=50`);
    const byAction = (x: string) => entries.filter((e) => e.action === x);
    const who = { actor: expect.objectContaining({ username: 'lan' }), cameraId: CAM, ip: '127.0.0.1' };
    expect(byAction('clip.view')).toEqual([expect.objectContaining({ ...who, startMs: actual.start, endMs: actual.end })]);
    expect(byAction('playback.view')).toEqual([expect.objectContaining({ ...who, startMs: segs[0]!.startMs, endMs: segs[1]!.startMs + segs[1]!.durationMs })]);
    expect(byAction('thumbnail.view')).toEqual([expect.objectContaining({ ...who, startMs: frameMs, endMs: frameMs + 1 })]);
    expect(byAction('export.create')).toEqual([expect.objectContaining({ ...who, startMs: a(), endMs: b(), caseId })]);
    expect(byAction('export.complete')).toEqual([expect.objectContaining({ actor: { username: 'lan', userId: expect.any(String) }, cameraId: CAM, caseId })]);
    expect(byAction('export.download')).toEqual([expect.objectContaining({ ...who, caseId, detail: expect.objectContaining({ exportId: job.id }) })]);
    // Newest first, one row each.
    expect(entries.map((e) => e.action)).toEqual(['export.download', 'export.complete', 'export.create', 'thumbnail.view', 'playback.view', 'clip.view']);
  }, 60_000);

  it('admins filter and page; a scoped admin sees only rows about cameras and cases of their sites', async () => {
    const logins = await auditPage(admin, '?action=auth.login');
    expect(logins.entries.map((e) => e.actor?.username)).toEqual(['login-user']);
    const first = await auditPage(admin, '?limit=3');
    expect(first.entries).toHaveLength(3);
    expect(first.nextBefore).toBe(first.entries[2]!.seq);
    const next = await auditPage(admin, `?limit=3&before=${first.nextBefore}`);
    expect(next.entries[0]!.seq).toBeLessThan(first.entries[2]!.seq);
    const byCase = await auditPage(admin, `?caseId=${caseId}`);
    expect(byCase.entries.map((e) => e.action).sort()).toEqual(['case.create', 'export.complete', 'export.create', 'export.download']);
    const all = await auditPage(admin, '?limit=1000');
    const future = await auditPage(admin, `?from=${encodeURIComponent('2099-01-01T00:00:00+07:00')}`);
    expect(future.entries).toEqual([]);

    const d1 = await auditPage(district1Admin, '?limit=1000');
    expect(d1.entries.length).toBeGreaterThan(0);
    expect(d1.entries.every((e) => e.cameraId === CAM || e.caseId === caseId)).toBe(true);
    expect(d1.entries.length).toBe(all.entries.filter((e) => e.cameraId === CAM || e.caseId === caseId).length);
    expect(d1.entries.some((e) => e.action === 'auth.login')).toBe(false);
    // Paging stays exact through the scope filter.
    const paged: Entry[] = [];
    let before: number | null | undefined;
    do {
      const p = await auditPage(district1Admin, `?limit=2${before ? `&before=${before}` : ''}`);
      paged.push(...p.entries);
      before = p.nextBefore;
    } while (before);
    expect(paged.map((e) => e.seq)).toEqual(d1.entries.map((e) => e.seq));
    expect((await auditPage(district2Admin, '?limit=1000')).entries).toEqual([]);
    const bad = await r.h.fetch('/api/v1/audit?limit=0', { headers: admin.headers() });
    expect(bad.status).toBe(400);
  });

  it('GET /audit/verify: intact, then names a row modified in SQLite, and rows cut from the end against a kept head', async () => {
    const ok = await (await get(admin, '/api/v1/audit/verify')).json();
    expect(ok).toMatchObject({ ok: true, problem: null, seq: null });
    expect(ok.rowsChecked).toBeGreaterThanOrEqual(8); // login, 3 views, case, export ×2, download
    const head = ok.head as { seq: number; hash: string };
    const clipRow = await r.h.db.selectFrom('audit_log').select('seq').where('action', '=', 'clip.view').executeTakeFirstOrThrow();
    await r.h.db.updateTable('audit_log').set({ ip: '10.9.9.9' }).where('seq', '=', clipRow.seq).execute();
    const bad = await (await get(admin, '/api/v1/audit/verify')).json();
    expect(bad).toMatchObject({ ok: false, seq: Number(clipRow.seq), problem: 'row_modified' });
    expect(bad.message).toContain(String(clipRow.seq));
    await r.h.db.updateTable('audit_log').set({ ip: '127.0.0.1' }).where('seq', '=', clipRow.seq).execute();
    expect((await (await get(admin, '/api/v1/audit/verify')).json()).ok).toBe(true);
    await r.h.db.deleteFrom('audit_log').where('seq', '=', head.seq).execute();
    expect((await (await get(admin, '/api/v1/audit/verify')).json()).ok).toBe(true); // the cut is invisible without an anchor…
    const cut = await (await get(admin, `/api/v1/audit/verify?headSeq=${head.seq}&headHash=${head.hash}`)).json();
    expect(cut).toMatchObject({ ok: false, problem: 'head_mismatch' }); // …and found with the head kept earlier
    expect((await get(lan, '/api/v1/audit/verify')).status).toBe(403);
  });
});
