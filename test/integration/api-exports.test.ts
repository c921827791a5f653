import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo, type SegmentRecord } from '../../src/db/segments-repo.ts';
import { openPackageFiles } from '../../src/evidence/package-files.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { toIsoInZone } from '../../src/time.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { waitFor } from '../helpers/wait.ts';
import { problemOf, type Credential } from './api-harness.ts';
import { probe, startRecordedApi, type RecordedApi } from './api-footage-harness.ts';

/**
 * Evidence end to end over the real API: footage recorded by the real recorder from a
 * simulated camera into a real MinIO, a case, a clip on hold, an export job polled to done,
 * the package downloaded and checked by `vigil verify` as a real subprocess
 * (node --import tsx bin/vigil.ts verify file); one flipped byte makes it fail naming the file.
 */
const CAM = 'quay-3';
const TZ = 'Asia/Ho_Chi_Minh';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

let minio: MinioServer;
let r: RecordedApi;
let lan: Credential;
let segs: SegmentRecord[];
let work: string;

const send = (method: string, p: string, json?: unknown) => r.h.fetch(p, { method, headers: lan.headers(), ...(json === undefined ? {} : { json }) });
const vigilVerify = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/vigil.ts'), 'verify', ...args], { cwd: repoRoot, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code) || 1 : 0, stdout, stderr });
    });
  });

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-api-exports-'));
  minio = await startMinio();
  r = await startRecordedApi({ cameras: [defaultSpec(0, { id: CAM, video: 'h264', audio: 'aac' })], minio });
  const segments = new SegmentsRepo(r.rec.db, () => Date.now());
  await waitFor('three segments', async () => (await segments.overlapping(CAM, all)).length >= 3, { timeoutMs: 40_000, intervalMs: 250 });
  await r.stopRecording();
  segs = await segments.overlapping(CAM, all);
  lan = await r.h.token(await r.h.createUser({ username: 'lan.nguyen', role: 'investigator', sites: ['ward-a'] }));
}, 120_000);

afterAll(async () => {
  await r?.close();
  await minio?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('evidence export over the API', () => {
  let pkg: string;
  let exportId: string;
  let fingerprint: string;
  let caseId: string;
  const startMs = () => segs[0]!.startMs + 2_300;
  const lastFull = () => segs.filter((x) => x.durationMs >= 2_000).at(-1)!; // the one cut short by the stop may be tiny
  const endMs = () => lastFull().startMs + lastFull().durationMs - 700;

  it('case → clip on hold → export (202) → progress polled to done → package downloaded from MinIO', async () => {
    const kase = await (await send('POST', '/api/v1/cases', { reference: 'KN-2026/077', title: 'Quầy 3 — thái độ phục vụ', site: 'ward-a' })).json();
    caseId = kase.id;
    const range = { cameraId: CAM, start: toIsoInZone(startMs(), TZ), end: toIsoInZone(endMs(), TZ) };
    expect((await send('POST', `/api/v1/cases/${caseId}/clips`, { ...range, reason: 'Công dân phản ánh lúc 9 giờ 40' })).status).toBe(201);
    const res = await send('POST', `/api/v1/cases/${caseId}/exports`, { ...range, reason: 'Gửi thanh tra huyện' });
    expect(res.status, await res.clone().text()).toBe(202);
    const job = await res.json();
    exportId = job.id;
    expect(res.headers.get('location')).toBe(`/api/v1/exports/${exportId}`);
    expect(job).toMatchObject({ status: 'queued', caseId, cameraId: CAM, reason: 'Gửi thanh tra huyện', requestedBy: { username: 'lan.nguyen' }, links: { package: null } });
    const seen: Array<{ status: string; progress: number; phase: string }> = [];
    const done = await waitFor('the export to finish', async () => {
      const e = await (await send('GET', `/api/v1/exports/${exportId}`)).json();
      seen.push({ status: e.status, progress: e.progress, phase: e.phase });
      return e.status === 'done' || e.status === 'failed' ? e : undefined;
    }, { timeoutMs: 60_000, intervalMs: 20 });
    expect(done.status, done.error).toBe('done');
    expect(done).toMatchObject({ progress: 1, phase: 'done', error: null, links: { package: `/api/v1/exports/${exportId}/package` } });
    expect(done.actualRange.startMs).toBeLessThanOrEqual(startMs());
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b)); // never goes back
    console.log(`[figures] export job seen by polling every 20 ms: ${seen.map((s) => `${s.status}/${s.phase}/${s.progress}`).filter((x, i, a) => a.indexOf(x) === i).join(' → ')}`);
    fingerprint = done.keyFingerprint;

    const dl = await send('GET', `/api/v1/exports/${exportId}/package`);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/x-tar');
    expect(dl.headers.get('content-disposition')).toBe(`attachment; filename="vigil-evidence-${exportId}.tar"`);
    const body = Buffer.from(await dl.arrayBuffer());
    expect(body.length).toBe(done.sizeBytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(dl.headers.get('vigil-package-sha256'));
    pkg = path.join(work, `vigil-evidence-${exportId}.tar`);
    writeFileSync(pkg, body);
    // The package lives in MinIO (any API node can serve it), next to the footage.
    const stat = await minio.client.statObject(r.rec.config.storage.minio!.bucket, `exports/${caseId}/${exportId}.tar`);
    expect(stat.size).toBe(body.length);
  });

  it('holds the asked footage: manifest with camera, site, case, who, why, ranges, source segments; the clip plays the range', async () => {
    const opened = await openPackageFiles(pkg);
    if (!opened.ok) throw new Error(opened.why);
    const manifestFile = opened.files.find((f) => f.name === 'manifest.json')!;
    const m = JSON.parse((await manifestFile.read(1 << 20)).toString('utf8'));
    expect(m).toMatchObject({
      camera: { id: CAM },
      site: { id: 'ward-a', name: 'Phường A' },
      case: { id: caseId, reference: 'KN-2026/077' },
      exportedBy: { username: 'lan.nguyen' },
      reason: 'Gửi thanh tra huyện',
      askedRange: { start: { epochMs: startMs() }, end: { epochMs: endMs() } },
      gaps: [],
      signing: { algorithm: 'Ed25519', fingerprint },
    });
    const used = segs.filter((s) => s.startMs < endMs() && s.startMs + s.durationMs > startMs());
    expect(used.length).toBeGreaterThanOrEqual(2);
    expect(m.sourceSegments.map((s: { objectKey: string; sha256: string }) => [s.objectKey, s.sha256])).toEqual(used.map((s) => [s.objectKey, s.sha256]));
    const clip = opened.files.find((f) => f.name.endsWith('.mp4'))!;
    const clipFile = path.join(work, clip.name);
    writeFileSync(clipFile, await clip.read(1 << 30));
    const p = await probe(clipFile);
    expect(p.video).toMatchObject({ codec: 'h264' });
    // The clip covers what the manifest says it does: from the keyframe at or before the asked
    // start (at most a GOP, 2 s, earlier) to the end of the fragment holding the asked end (at
    // most a second later); its media lasts that long (within a second: indexed times are wall
    // clock, media times the camera's).
    const actualStartMs = m.actualRange.start.epochMs as number;
    const actualEndMs = m.actualRange.end.epochMs as number;
    expect(startMs() - actualStartMs).toBeGreaterThanOrEqual(0);
    expect(startMs() - actualStartMs).toBeLessThanOrEqual(2_000);
    expect(actualEndMs - endMs()).toBeGreaterThanOrEqual(0);
    expect(actualEndMs - endMs()).toBeLessThanOrEqual(1_500);
    expect(Math.abs(p.durationSec - (actualEndMs - actualStartMs) / 1000), JSON.stringify(m.actualRange)).toBeLessThanOrEqual(1);
  });

  it('vigil verify passes on the download; one flipped byte in the clip or the manifest fails naming that file', async () => {
    const ok = await vigilVerify(pkg, '--fingerprint', fingerprint);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/VALID: nothing was changed since the package was signed, and it was signed by the expected key/);
    const opened = await openPackageFiles(pkg);
    if (!opened.ok) throw new Error(opened.why);
    for (const name of [opened.files.find((f) => f.name.endsWith('.mp4'))!.name, 'manifest.json']) {
      const f = opened.files.find((x) => x.name === name)!;
      const tampered = path.join(work, `tampered-${name}.tar`);
      copyFileSync(pkg, tampered);
      const b = readFileSync(tampered);
      const at = f.offsetInArchive! + Math.floor(f.sizeBytes / 2);
      b[at] = b[at]! ^ 0x01;
      writeFileSync(tampered, b);
      const bad = await vigilVerify(tampered);
      expect(bad.code, bad.stdout).toBe(1);
      expect(bad.stdout).toContain(`NOT VALID: ${name} does not match`);
    }
  }, 90_000);

  it('audits the export (create, complete) and the download with who, camera, range and case', async () => {
    const rows = await r.h.db.selectFrom('audit_log').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
    expect(rows.map((x) => x.action)).toEqual(['case.create', 'case.clip_add', 'export.create', 'export.complete', 'export.download']);
    const dl = rows.at(-1)!;
    expect(dl).toMatchObject({ actor_name: 'lan.nguyen', camera_id: CAM, ip: '127.0.0.1' });
    expect(JSON.parse(dl.detail)).toMatchObject({ exportId });
    const create = rows.find((x) => x.action === 'export.create')!;
    expect([create.start_ms, create.end_ms, create.reason]).toEqual([startMs(), endMs(), 'Gửi thanh tra huyện']);
  });

  it('a job that cannot be built is failed with its reason; its package answers 409 saying so', async () => {
    // An index row whose object is not in the store (lost, or deleted behind Vigil's back).
    const lostAt = segs[0]!.startMs - 60_000;
    await new SegmentsRepo(r.rec.db, () => Date.now()).insert({ ...segs[0]!, startMs: lostAt, objectKey: segmentKey(CAM, lostAt, segs[0]!.durationMs) });
    const res = await send('POST', `/api/v1/cases/${caseId}/exports`, { cameraId: CAM, start: toIsoInZone(lostAt + 500, TZ), end: toIsoInZone(lostAt + 2_500, TZ), reason: 'thử' });
    expect(res.status).toBe(202);
    const id = (await res.json()).id;
    const failed = await waitFor('the job to fail', async () => {
      const e = await (await send('GET', `/api/v1/exports/${id}`)).json();
      return e.status === 'failed' ? e : e.status === 'done' ? { status: 'done' } : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toBeTruthy();
    const p = await problemOf(await send('GET', `/api/v1/exports/${id}/package`));
    expect([p.status, p.code]).toEqual([409, 'conflict']);
    expect(p.detail).toContain(`export ${id} has no package yet: it is failed:`);
    const list = (await (await send('GET', `/api/v1/cases/${caseId}/exports`)).json()).exports.map((e: { id: string; status: string }) => [e.id, e.status]);
    expect(list).toEqual(expect.arrayContaining([[exportId, 'done'], [id, 'failed']]));
  });
});
