import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { AuditSink } from '../audit/audit-types.ts';
import type { ClipInfo } from '../clip/clip-types.ts';
import type { Clock } from '../clock.ts';
import { CasesRepo } from '../db/cases-repo.ts';
import { ExportsRepo, type ExportRecord } from '../db/exports-repo.ts';
import type { Database } from '../db/schema.ts';
import { VigilError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { assertObjectKey } from '../store/store-keys.ts';
import { isValidRange, toIsoUtc } from '../time.ts';
import type { ActorContext } from '../cases/case-service.ts';
import { clipFileName, type CameraFacts } from './manifest.ts';
import { buildEvidencePackage } from './package-writer.ts';
import { verifyPackage } from './package-verify.ts';
import type { EvidenceSigningKey } from './signing-key.ts';
import { exportProgress } from './export-progress.ts';

/**
 * Evidence export jobs. create() records a queued job (and an audit entry) and returns at
 * once; jobs run in the background, at most `concurrency` at a time (default 1: an export
 * reads and writes the whole clip, and the machine also records). Each job: clip MP4 by the
 * caller's writeClip → package (package-writer.ts) → verified again as a recipient would →
 * stored in the object store under exports/<caseId>/<exportId>.tar → row done. Progress
 * (0..1 and phase) is in the exports row while it runs.
 *
 * Packages go to the object store, not only <dataDir>/exports: there they have the footage's
 * durability (MinIO redundancy), any API node can serve the download, and retention and
 * backups see one place. <dataDir>/exports/work holds only the files of jobs in progress.
 *
 * A job this runner had running when the process died is marked failed at start() with the
 * reason, never left "running" (re-running it silently could loop on a job that kills the
 * process; the handler sees why and creates it again). Queued jobs are run after a restart.
 * Each runner has an id (host + dataDir by default) and claims a job with a conditional
 * update, so runners on other nodes sharing the database never take or fail its jobs.
 */
export interface ExportJobSpec {
  exportId: string;
  cameraId: string;
  startMs: number;
  endMs: number;
}

/** Writes the clip MP4 of [startMs, endMs) of the camera to destPath and says what it covers. */
export type WriteClip = (job: ExportJobSpec, destPath: string, onProgress: (fraction: number) => void) => Promise<ClipInfo>;

export interface ExportJobsOptions {
  db: Kysely<Database>;
  store: ObjectStore;
  clock: Clock;
  audit: AuditSink;
  signingKey: () => Promise<EvidenceSigningKey>;
  writeClip: WriteClip;
  describeCamera: (cameraId: string) => Promise<CameraFacts>;
  dataDir: string;
  timeZone: string;
  vigilVersion: string;
  concurrency?: number;
  runnerId?: string;
  maxRangeMs?: number;
  log?: Logger;
  newExportId?: () => string;
}

export interface NewExport {
  caseId: string;
  cameraId: string;
  startMs: number;
  endMs: number;
  reason: string;
}

export const DEFAULT_MAX_EXPORT_MS = 4 * 3_600_000;

export function exportObjectKey(caseId: string, exportId: string): string {
  return `exports/${caseId}/${exportId}.tar`;
}

export class ExportJobs {
  private readonly exports: ExportsRepo;
  private readonly cases: CasesRepo;
  private readonly runnerId: string;
  private readonly concurrency: number;
  private readonly workRoot: string;
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private started: Promise<{ failedIds: string[]; queuedIds: string[] }> | null = null;

  constructor(private readonly o: ExportJobsOptions) {
    this.exports = new ExportsRepo(o.db);
    this.cases = new CasesRepo(o.db);
    this.workRoot = path.join(path.resolve(o.dataDir), 'exports', 'work');
    this.runnerId = o.runnerId ?? `${hostname()}:${path.resolve(o.dataDir)}`;
    this.concurrency = o.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new VigilError('config_invalid', `export concurrency must be a whole number above 0 (got ${o.concurrency})`);
  }

  /**
   * Fails this runner's jobs left running by a previous process, clears their files, queues its
   * waiting jobs. Runs once (create() waits for it), so it never fails a job of this process.
   */
  start(): Promise<{ failedIds: string[]; queuedIds: string[] }> {
    this.started ??= this.recover();
    return this.started;
  }

  private async recover(): Promise<{ failedIds: string[]; queuedIds: string[] }> {
    const now = this.o.clock.nowMs();
    const failedIds = await this.exports.failRunning(this.runnerId, `interrupted: Vigil stopped or restarted while this export was running (recorded at start-up ${toIsoUtc(now)}); create the export again`, now);
    for (const id of failedIds) {
      const e = await this.exports.get(id);
      if (e) await this.auditEnd(e, 'export.fail', { exportId: id, error: e.error });
      this.o.log?.warn({ exportId: id }, 'evidence export interrupted by a restart; marked failed');
    }
    await this.clearWorkFiles();
    const queuedIds = (await this.exports.queued(this.runnerId)).map((e) => e.id);
    for (const id of queuedIds) this.enqueue(id);
    return { failedIds, queuedIds };
  }

  /** Records a queued export of an open case (one audit entry) and schedules it. */
  async create(req: NewExport, by: ActorContext): Promise<ExportRecord> {
    if (this.stopped) throw new VigilError('export_failed', 'exports are not taken while Vigil is stopping; try again in a moment');
    await this.start();
    const reason = typeof req.reason === 'string' ? req.reason.trim() : '';
    if (reason.length === 0) throw new VigilError('invalid_request', 'an export needs a reason: say in a few words why this footage is exported');
    if (reason.length > 1000) throw new VigilError('invalid_request', `the reason is longer than 1000 characters (${reason.length})`);
    if (!isValidRange(req)) throw new VigilError('invalid_range', `the export range ${req.startMs}–${req.endMs} is empty, reversed or not whole milliseconds`);
    const maxMs = this.o.maxRangeMs ?? DEFAULT_MAX_EXPORT_MS;
    if (req.endMs - req.startMs > maxMs) throw new VigilError('invalid_range', `an export covers at most ${maxMs / 60_000} minutes; split it into several`);
    const c = await this.cases.get(req.caseId);
    if (!c) throw new VigilError('not_found', `there is no case "${req.caseId}"`);
    if (c.status !== 'open') throw new VigilError('case_closed', `case "${c.reference}" is closed`, { hint: 'Reopen the case to export footage for it.' });
    const now = this.o.clock.nowMs();
    const id = this.o.newExportId ? this.o.newExportId() : newExportId(now);
    assertObjectKey(exportObjectKey(c.id, id));
    await this.exports.insert({ id, caseId: c.id, cameraId: req.cameraId, askedStartMs: req.startMs, askedEndMs: req.endMs, reason, requestedBy: by.actor, requestedIp: by.ip ?? null, runnerId: this.runnerId, createdMs: now });
    await this.o.audit.append({ actor: by.actor, ip: by.ip, action: 'export.create', cameraId: req.cameraId, startMs: req.startMs, endMs: req.endMs, caseId: c.id, reason, detail: { exportId: id } });
    const queued = (await this.exports.get(id))!;
    this.enqueue(id);
    return queued;
  }

  get(id: string): Promise<ExportRecord | null> {
    return this.exports.get(id);
  }

  forCase(caseId: string): Promise<ExportRecord[]> {
    return this.exports.forCase(caseId);
  }

  /** The finished package's bytes (for a download), or not_found. */
  async openPackage(id: string): Promise<{ record: ExportRecord; stream: Readable }> {
    const e = await this.exports.get(id);
    if (!e || e.status !== 'done' || !e.objectKey) throw new VigilError('not_found', `export ${id} has no finished package${e ? ` (it is ${e.status})` : ''}`);
    return { record: e, stream: await this.o.store.get(e.objectKey) };
  }

  /** Resolves when no job of this runner is waiting or running. */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no new jobs and waits for the running ones; waiting ones stay queued for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    await Promise.allSettled([...this.running.values()]);
  }

  private enqueue(id: string): void {
    if (this.stopped || this.waiting.includes(id) || this.running.has(id)) return;
    this.waiting.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!;
      const run = this.runJob(id)
        .catch((e: unknown) => this.o.log?.error({ exportId: id, err: (e as Error).message }, 'evidence export bookkeeping failed'))
        .finally(() => {
          this.running.delete(id);
          this.pump();
          if (this.running.size === 0 && this.waiting.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
      this.running.set(id, run);
    }
  }

  private async runJob(id: string): Promise<void> {
    if (!(await this.exports.claim(id, this.runnerId, this.o.clock.nowMs()))) return;
    const job = (await this.exports.get(id))!;
    const workDir = path.join(this.workRoot, id);
    const progress = exportProgress((fraction, phase) => this.exports.setProgress(id, fraction, phase, this.o.clock.nowMs()));
    this.o.log?.info({ exportId: id, cameraId: job.cameraId, caseId: job.caseId }, 'evidence export started');
    try {
      await mkdir(workDir, { recursive: true });
      const [key, camera, theCase] = await Promise.all([this.o.signingKey(), this.o.describeCamera(job.cameraId), this.cases.get(job.caseId)]);
      if (!theCase) throw new VigilError('not_found', `case ${job.caseId} no longer exists`);
      progress.report('clip', 0);
      const clipPath = path.join(workDir, 'clip.mp4');
      const clip = await this.o.writeClip({ exportId: id, cameraId: job.cameraId, startMs: job.askedStartMs, endMs: job.askedEndMs }, clipPath, (f) => progress.report('clip', f));
      checkClip(clip, job);
      if (!(await stat(clipPath).catch(() => null))?.size) throw new VigilError('export_failed', 'the clip writer produced no file');
      const tarPath = path.join(workDir, `${id}.tar`);
      const built = await buildEvidencePackage({
        destPath: tarPath,
        clipFiles: [{ path: clipPath, name: clipFileName(job.cameraId, clip.actualStartMs, this.o.timeZone) }],
        key,
        manifest: {
          packageId: id,
          createdMs: this.o.clock.nowMs(),
          timeZone: this.o.timeZone,
          vigilVersion: this.o.vigilVersion,
          camera,
          case: { id: theCase.id, reference: theCase.reference, title: theCase.title },
          exportedBy: job.requestedBy,
          reason: job.reason,
          clip,
        },
        onProgress: (phase, f) => progress.report(phase, f),
      });
      progress.report('checking', 0);
      const verdict = await verifyPackage(tarPath, { expectedFingerprint: key.fingerprint });
      if (!verdict.ok) throw new VigilError('export_failed', `the package failed its own check: ${verdict.message}`);
      progress.report('storing', 0);
      const objectKey = exportObjectKey(job.caseId, id);
      await this.o.store.put(objectKey, { filePath: tarPath }, { contentType: 'application/x-tar' });
      await progress.flush();
      const done = { actualStartMs: clip.actualStartMs, actualEndMs: clip.actualEndMs, objectKey, sizeBytes: built.sizeBytes, packageSha256: built.sha256, keyFingerprint: key.fingerprint };
      if (!(await this.exports.markDone(id, done, this.o.clock.nowMs()))) {
        await this.o.store.delete([objectKey]).catch(() => undefined); // the row says failed: leave no package behind it
        throw new VigilError('export_failed', 'the export was no longer running when it finished (it was marked failed meanwhile)');
      }
      await this.auditEnd(job, 'export.complete', { exportId: id, ...done, gaps: clip.gaps.length, segments: clip.segments.length });
      this.o.log?.info({ exportId: id, cameraId: job.cameraId, sizeBytes: built.sizeBytes }, 'evidence export done');
    } catch (e) {
      await progress.flush().catch(() => undefined);
      const message = e instanceof VigilError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
      await this.exports.markFailed(id, message, this.o.clock.nowMs());
      await this.auditEnd(job, 'export.fail', { exportId: id, error: message });
      this.o.log?.error({ exportId: id, cameraId: job.cameraId, err: message }, 'evidence export failed');
    } finally {
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private auditEnd(e: ExportRecord, action: 'export.complete' | 'export.fail', detail: Record<string, unknown>): Promise<void> {
    return this.o.audit.append({ actor: e.requestedBy, ip: e.requestedIp ?? undefined, action, cameraId: e.cameraId, startMs: e.askedStartMs, endMs: e.askedEndMs, caseId: e.caseId, detail });
  }

  /** Work folders of jobs that are not running (left by a crash) are removed. */
  private async clearWorkFiles(): Promise<void> {
    const names = await readdir(this.workRoot).catch(() => [] as string[]);
    for (const name of names) {
      const e = await this.exports.get(name);
      if (e?.status === 'running') continue;
      await rm(path.join(this.workRoot, name), { recursive: true, force: true });
    }
  }
}

function checkClip(clip: ClipInfo, job: ExportRecord): void {
  if (clip.cameraId !== job.cameraId) throw new VigilError('export_failed', `the clip is of camera ${clip.cameraId}, not ${job.cameraId}`);
  if (clip.segments.length === 0) throw new VigilError('export_failed', 'there is no recorded footage in this range', { hint: 'Pick a range the timeline shows as recorded.' });
  if (!(clip.actualStartMs < clip.actualEndMs)) throw new VigilError('export_failed', 'the clip covers no time');
}

/** ev-<yyyymmdd>-<10 hex>: sortable by day, readable over the phone, unique enough. */
function newExportId(nowMs: number): string {
  const d = new Date(nowMs).toISOString().slice(0, 10).replaceAll('-', '');
  return `ev-${d}-${randomBytes(5).toString('hex')}`;
}
