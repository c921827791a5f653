import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { CaseService } from '../../src/cases/case-service.ts';
import { HeldFootage } from '../../src/cases/held-footage.ts';
import type { ClipInfo } from '../../src/clip/clip-types.ts';
import { ManualClock } from '../../src/clock.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Database } from '../../src/db/schema.ts';
import { cameraFactsFromIndex } from '../../src/evidence/camera-facts.ts';
import { ExportJobs, type ExportJobsOptions, type WriteClip } from '../../src/evidence/export-jobs.ts';
import { verifyPackage } from '../../src/evidence/package-verify.ts';
import { loadOrCreateSigningKey, type EvidenceSigningKey } from '../../src/evidence/signing-key.ts';
import { MinioObjectStore } from '../../src/store/minio-store.ts';
import type { ObjectStore } from '../../src/store/object-store.ts';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { clipInfoFor, makeTestMp4, T0, testMp4 } from './evidence-fixtures.ts';

const work = mkdtempSync(path.join(tmpdir(), 'vigil-export-jobs-'));
const handler = { actor: { userId: 'u-7', username: 'lan.nguyen' }, ip: '10.20.0.5' };
const CAM = 'ward-x-counter-3';
let minio: MinioServer;
let key: EvidenceSigningKey;
let n = 0;
const open: Array<{ db: Kysely<Database>; jobs: ExportJobs[] }> = [];

beforeAll(async () => {
  minio = await startMinio();
  key = await loadOrCreateSigningKey(path.join(work, 'key-home'));
});
const gates: Array<() => void> = [];
afterEach(async () => {
  for (const g of gates.splice(0)) g(); // a failed test must not leave a job waiting forever
  for (const o of open.splice(0)) {
    for (const j of o.jobs) await j.stop();
    await o.db.destroy();
  }
});
afterAll(async () => {
  await minio?.destroy();
  rmSync(work, { recursive: true, force: true });
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  gates.push(open);
  return { open, opened };
}

async function setup(writeClip: WriteClip, extra: Partial<ExportJobsOptions> = {}) {
  const id = ++n;
  const dataDir = path.join(work, `data-${id}`);
  const db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dataDir, 'vigil.db') });
  const clock = new ManualClock(T0 + 3_600_000);
  const audit = new AuditLog({ db, clock });
  const cases = new CaseService({ db, clock, audit });
  const store: ObjectStore = new MinioObjectStore({ endPoint: minio.endPoint, port: minio.port, useSSL: false, accessKey: minio.accessKey, secretKey: minio.secretKey, bucket: `exports-${id}` });
  const cameras = new CamerasRepo(db, () => clock.nowMs());
  await cameras.upsert({ id: CAM, name: 'Quầy 3', siteId: 'ward-x', source: 'onvif', details: { clockOffsetMs: -1250, clockOffsetMeasuredMs: T0 - 86_400_000 } });
  const make = (more: Partial<ExportJobsOptions> = {}) => {
    const jobs = new ExportJobs({
      db, store, clock, audit, writeClip, dataDir,
      signingKey: async () => key,
      describeCamera: cameraFactsFromIndex(cameras, [{ id: 'ward-x', name: 'UBND Phường X' }]),
      timeZone: 'Asia/Ho_Chi_Minh',
      vigilVersion: '0.1.0-test',
      runnerId: 'node-a',
      ...extra,
      ...more,
    });
    entry.jobs.push(jobs);
    return jobs;
  };
  const entry = { db, jobs: [] as ExportJobs[] };
  open.push(entry);
  const theCase = await cases.createCase({ reference: 'KN-2026/031', title: 'Quầy 3', siteId: 'ward-x' }, handler);
  return { db, clock, audit, cases, store, dataDir, theCase, make, held: new HeldFootage(db) };
}

const request = (caseId: string, startMs = T0, endMs = T0 + 4000) => ({ caseId, cameraId: CAM, startMs, endMs, reason: 'Công dân phản ánh lúc 9 giờ 40' });

describe('an export job', () => {
  it('shows progress while it runs, ends done with a verifiable package in the object store, held and audited', async () => {
    const g = gate();
    const writeClip: WriteClip = async (job, dest, onProgress) => {
      onProgress(0.5);
      await g.opened;
      await makeTestMp4(dest, 4, onProgress); // real ffmpeg, real progress
      return clipInfoFor(job.cameraId, job.startMs, job.endMs);
    };
    const s = await setup(writeClip);
    const jobs = s.make();
    await jobs.start();
    const created = await jobs.create(request(s.theCase.id), handler);
    expect(created).toMatchObject({ status: 'queued', progress: 0, caseId: s.theCase.id, requestedBy: handler.actor, requestedIp: '10.20.0.5' });

    const running = await waitFor('the job to report clip progress', async () => {
      const e = await jobs.get(created.id);
      return e?.status === 'running' && e.progress > 0 ? e : null;
    });
    expect(running).toMatchObject({ phase: 'clip', progress: 0.35 });
    expect((await s.held.overlapping(CAM, { startMs: T0 + 1000, endMs: T0 + 1001 })).map((r) => r.exportIds)).toEqual([[created.id]]);

    g.open();
    await jobs.idle();
    const done = (await jobs.get(created.id))!;
    expect(done).toMatchObject({ status: 'done', phase: 'done', progress: 1, error: null, actualStartMs: T0 - 400, actualEndMs: T0 + 3960, objectKey: `exports/${s.theCase.id}/${created.id}.tar`, keyFingerprint: key.fingerprint });
    expect((await s.store.stat(done.objectKey!))?.sizeBytes).toBe(done.sizeBytes);
    expect(existsSync(path.join(s.dataDir, 'exports', 'work', created.id))).toBe(false);

    const downloaded = path.join(work, `${created.id}.tar`);
    await pipeline((await jobs.openPackage(created.id)).stream, createWriteStream(downloaded));
    expect(createHash('sha256').update(readFileSync(downloaded)).digest('hex')).toBe(done.packageSha256);
    const v = await verifyPackage(downloaded, { expectedFingerprint: key.fingerprint });
    if (!v.ok) throw new Error(v.message);
    expect(v.manifest).toMatchObject({
      packageId: created.id,
      vigilVersion: '0.1.0-test',
      camera: { id: CAM, name: 'Quầy 3', clockOffsetMs: -1250, clockOffsetMeasuredAt: { iso: '2026-03-02T09:40:00.000+07:00' } },
      site: { id: 'ward-x', name: 'UBND Phường X' },
      case: { id: s.theCase.id, reference: 'KN-2026/031' },
      exportedBy: handler.actor,
      reason: 'Công dân phản ánh lúc 9 giờ 40',
      askedRange: { start: { iso: '2026-03-03T09:40:00.000+07:00' } },
      createdAt: { epochMs: T0 + 3_600_000 },
    });
    expect(v.manifest.clips[0]!.name).toBe('ward-x-counter-3_20260303-093959.mp4');

    expect((await s.held.overlapping(CAM, { startMs: T0 - 300, endMs: T0 - 299 })).map((r) => r.exportIds)).toEqual([[created.id]]);
    const audited = (await s.audit.query({ caseId: s.theCase.id })).entries.reverse();
    expect(audited.map((e) => e.action)).toEqual(['case.create', 'export.create', 'export.complete']);
    expect(audited[1]).toMatchObject({ actor: handler.actor, ip: '10.20.0.5', cameraId: CAM, startMs: T0, endMs: T0 + 4000, reason: 'Công dân phản ánh lúc 9 giờ 40', detail: { exportId: created.id } });
    expect(audited[2]!.detail).toMatchObject({ exportId: created.id, packageSha256: done.packageSha256 });
    expect((await s.audit.verify()).ok).toBe(true);
  });

  it('runs at most `concurrency` jobs at once, the rest wait queued', async () => {
    const g = gate();
    let active = 0;
    let maxActive = 0;
    const writeClip: WriteClip = async (job, dest) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      try {
        await g.opened;
        await testMp4(work, dest);
        return clipInfoFor(job.cameraId, job.startMs, job.endMs);
      } finally {
        active -= 1;
      }
    };
    const s = await setup(writeClip, { concurrency: 2 });
    const jobs = s.make(); // no start(): create() runs the start-up recovery first, once
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await jobs.create(request(s.theCase.id, T0 + i * 10_000, T0 + i * 10_000 + 4000), handler)).id);
    await waitFor('two jobs in writeClip', () => active === 2);
    const statuses = await Promise.all(ids.map(async (id) => (await jobs.get(id))!.status));
    expect(statuses.filter((x) => x === 'running').length).toBe(2);
    expect(statuses.filter((x) => x === 'queued').length).toBe(2);
    g.open();
    await jobs.idle();
    expect(maxActive).toBe(2);
    expect(await Promise.all(ids.map(async (id) => (await jobs.get(id))!.status))).toEqual(['done', 'done', 'done', 'done']);
    expect(await jobs.start()).toEqual({ failedIds: [], queuedIds: [] });
  });

  it('a job running when the runner is recreated is marked failed, not left running; queued ones run', async () => {
    const stuck = gate();
    const s = await setup(async (job, dest) => {
      await stuck.opened; // never opened until the end: this runner "died"
      await testMp4(work, dest);
      return clipInfoFor(job.cameraId, job.startMs, job.endMs);
    });
    const first = s.make();
    await first.start();
    const a = await first.create(request(s.theCase.id), handler);
    const b = await first.create(request(s.theCase.id, T0 + 20_000, T0 + 24_000), handler);
    await waitFor('job a in its clip phase', async () => (await first.get(a.id))?.phase === 'clip');
    expect((await first.get(b.id))!.status).toBe('queued');

    // another node's runner does not touch node-a's jobs
    const otherNode = s.make({ runnerId: 'node-b' });
    expect(await otherNode.start()).toEqual({ failedIds: [], queuedIds: [] });
    expect((await first.get(a.id))!.status).toBe('running');

    const fast: WriteClip = async (job, dest) => {
      await testMp4(work, dest);
      return clipInfoFor(job.cameraId, job.startMs, job.endMs);
    };
    const second = s.make({ writeClip: fast });
    expect(existsSync(path.join(s.dataDir, 'exports', 'work', a.id))).toBe(true);
    expect(await second.start()).toEqual({ failedIds: [a.id], queuedIds: [b.id] });
    expect(existsSync(path.join(s.dataDir, 'exports', 'work', a.id))).toBe(false); // the dead job's files are cleared
    const failed = (await second.get(a.id))!;
    expect(failed).toMatchObject({ status: 'failed', phase: 'failed' });
    expect(failed.error).toMatch(/^interrupted: Vigil stopped or restarted while this export was running/);
    await second.idle();
    expect((await second.get(b.id))!.status).toBe('done');

    // the old runner finishing late changes nothing and leaves no package behind
    stuck.open();
    await first.idle();
    expect((await first.get(a.id))!).toMatchObject({ status: 'failed', error: failed.error });
    expect(await s.store.stat(`exports/${s.theCase.id}/${a.id}.tar`)).toBeNull();
    expect((await s.held.overlapping(CAM, { startMs: T0, endMs: T0 + 1 })).flatMap((r) => r.exportIds)).toEqual([]);
    const fails = (await s.audit.query({ action: 'export.fail' })).entries;
    expect(fails.some((e) => e.detail.exportId === a.id && String(e.detail.error).startsWith('interrupted'))).toBe(true);
  });
});

describe('export failures', () => {
  it('a failing clip writer, an empty range and an unreachable store each end failed with the reason', async () => {
    let mode: 'throw' | 'empty' | 'ok' = 'throw';
    const writeClip: WriteClip = async (job, dest) => {
      if (mode === 'throw') throw new Error('ffmpeg exited with 1: moov atom not found');
      await testMp4(work, dest);
      const info: ClipInfo = clipInfoFor(job.cameraId, job.startMs, job.endMs);
      return mode === 'empty' ? { ...info, segments: [] } : info;
    };
    const s = await setup(writeClip);
    const jobs = s.make();
    await jobs.start();
    const e1 = await jobs.create(request(s.theCase.id), handler);
    await jobs.idle();
    expect(await jobs.get(e1.id)).toMatchObject({ status: 'failed', error: 'unexpected error: ffmpeg exited with 1: moov atom not found' });

    mode = 'empty';
    const e2 = await jobs.create(request(s.theCase.id), handler);
    await jobs.idle();
    expect(await jobs.get(e2.id)).toMatchObject({ status: 'failed', error: 'there is no recorded footage in this range' });

    mode = 'ok';
    const deadPort = await freePort();
    const deadStore = new MinioObjectStore({ endPoint: '127.0.0.1', port: deadPort, useSSL: false, accessKey: 'x', secretKey: 'secret-never-shown', bucket: 'nothing' });
    const broken = s.make({ store: deadStore, runnerId: 'node-dead' });
    await broken.start();
    const e3 = await broken.create(request(s.theCase.id), handler);
    await broken.idle();
    const r3 = (await broken.get(e3.id))!;
    expect(r3.status).toBe('failed');
    expect(r3.error).toContain(`127.0.0.1:${deadPort}`);
    expect(r3.error).not.toContain('secret-never-shown');
    expect(await s.held.allActive()).toEqual([]);
  });

  it.each<[string, (caseId: string) => ReturnType<typeof request>, string]>([
    ['no reason', (c) => ({ ...request(c), reason: '  ' }), 'invalid_request'],
    ['an empty range', (c) => request(c, T0, T0), 'invalid_range'],
    ['a range over the limit', (c) => request(c, T0, T0 + 5 * 3_600_000), 'invalid_range'],
    ['an unknown case', () => request('case-nope'), 'not_found'],
  ])('refuses an export with %s', async (_n, req, code) => {
    const s = await setup(async () => {
      throw new Error('not reached');
    });
    const jobs = s.make();
    await expect(jobs.create(req(s.theCase.id), handler)).rejects.toMatchObject({ code });
  });

  it('refuses an export for a closed case', async () => {
    const s = await setup(async () => {
      throw new Error('not reached');
    });
    await s.cases.closeCase(s.theCase.id, handler);
    await expect(s.make().create(request(s.theCase.id), handler)).rejects.toMatchObject({ code: 'case_closed' });
  });
});
