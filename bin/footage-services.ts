import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { EvidenceServices, MediaServices } from '../api/app-deps.ts';
import { CameraDirectory } from '../api/camera-directory.ts';
import type { AuditLog } from '../src/audit/audit-log.ts';
import { CaseService } from '../src/cases/case-service.ts';
import type { Clock } from '../src/clock.ts';
import type { VigilConfig } from '../src/config/schema.ts';
import { CamerasRepo } from '../src/db/cameras-repo.ts';
import { GapsRepo } from '../src/db/gaps-repo.ts';
import type { Database } from '../src/db/schema.ts';
import { SegmentsRepo } from '../src/db/segments-repo.ts';
import { cameraFactsFromIndex } from '../src/evidence/camera-facts.ts';
import { DEFAULT_MAX_EXPORT_MS, ExportJobs, type WriteClip } from '../src/evidence/export-jobs.ts';
import type { CameraFacts } from '../src/evidence/manifest.ts';
import { loadOrCreateSigningKey, type EvidenceSigningKey } from '../src/evidence/signing-key.ts';
import { readVigilVersion } from '../src/evidence/vigil-version.ts';
import type { Logger } from '../src/logger.ts';
import { createMediaServices } from '../src/playback/media-services.ts';
import { preparePlaybackSegment } from '../src/playback/playback-segment.ts';
import type { ObjectStore } from '../src/store/object-store.ts';

/**
 * The footage and evidence services of the API, built from the configuration's parts: clips,
 * playback and thumbnails over one object store and index (createMediaServices of
 * src/playback/: one SegmentFacts cache shared by all three), cases, and evidence export jobs whose clip is written by prepareClip and whose
 * packages are signed with the key in <dataDir>/keys (made on first export). start() recovers
 * the job runner (jobs a dead process left running are marked failed, queued ones run);
 * stop() takes no new jobs and waits for the running ones.
 */
export interface FootageServicesInput {
  config: Pick<VigilConfig, 'dataDir' | 'timeZone' | 'sites' | 'cameras' | 'api' | 'recorder'>;
  db: Kysely<Database>;
  store: ObjectStore;
  clock: Clock;
  audit: AuditLog;
  log?: Logger;
}

export interface FootageServices {
  media: MediaServices;
  evidence: EvidenceServices;
  exportJobs: ExportJobs;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function buildFootageServices(o: FootageServicesInput): FootageServices {
  const nowMs = () => o.clock.nowMs();
  const segments = new SegmentsRepo(o.db, nowMs);
  const core = createMediaServices({
    store: o.store,
    segments,
    gaps: new GapsRepo(o.db, nowMs),
    timeZone: o.config.timeZone,
    ffmpegPath: o.config.recorder.ffmpegPath,
    // The clip route checks api.maxClipMs itself; exports (jobs) may be longer.
    limits: { maxClipMs: Math.max(o.config.api.maxClipMs, DEFAULT_MAX_EXPORT_MS) },
  });
  const media: MediaServices = {
    prepareClip: core.prepareClip,
    preparePlaybackSegment: (req) => preparePlaybackSegment({ store: o.store, facts: core.facts }, req),
    thumbnails: { thumbnailAt: core.thumbnailAt },
  };
  let key: Promise<EvidenceSigningKey> | null = null;
  const signingKey = () => {
    key ??= loadOrCreateSigningKey(o.config.dataDir);
    key.catch(() => (key = null)); // a key that could not be read is tried again next time
    return key;
  };
  const exportJobs = new ExportJobs({
    db: o.db,
    store: o.store,
    clock: o.clock,
    audit: o.audit,
    signingKey,
    writeClip: clipWriter(media),
    describeCamera: describeCamera(o),
    dataDir: o.config.dataDir,
    timeZone: o.config.timeZone,
    vigilVersion: readVigilVersion(),
    maxRangeMs: DEFAULT_MAX_EXPORT_MS,
    ...(o.log ? { log: o.log } : {}),
  });
  return {
    media,
    evidence: { cases: new CaseService({ db: o.db, clock: o.clock, audit: o.audit }), exports: exportJobs, auditLog: o.audit },
    exportJobs,
    async start() {
      const r = await exportJobs.start();
      if (r.failedIds.length || r.queuedIds.length) o.log?.info({ failed: r.failedIds, queued: r.queuedIds }, 'evidence export jobs recovered');
    },
    stop: () => exportJobs.stop(),
  };
}

/** ExportJobs' writeClip: the clip prepareClip assembles, streamed into destPath, progress by bytes written. */
export function clipWriter(media: Pick<MediaServices, 'prepareClip'>): WriteClip {
  return async (job, destPath, onProgress) => {
    const clip = await media.prepareClip({ cameraId: job.cameraId, startMs: job.startMs, endMs: job.endMs });
    try {
      let written = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          written += chunk.length;
          onProgress(clip.sizeBytes > 0 ? written / clip.sizeBytes : 1);
          cb(null, chunk);
        },
      });
      await pipeline(clip.open(), count, createWriteStream(destPath));
      return clip.info;
    } finally {
      await clip.dispose?.();
    }
  };
}

/**
 * A camera as the evidence manifest names it: the configuration decides name and site (as
 * everywhere in the API), the index row adds the clock offset measured at onboarding.
 */
function describeCamera(o: FootageServicesInput): (cameraId: string) => Promise<CameraFacts> {
  const nowMs = () => o.clock.nowMs();
  const fromIndex = cameraFactsFromIndex(new CamerasRepo(o.db, nowMs), o.config.sites);
  const directory = new CameraDirectory(o.config, o.db, nowMs);
  return async (cameraId) => {
    const [facts, entry] = await Promise.all([fromIndex(cameraId), directory.get(cameraId)]);
    if (!entry) return facts;
    const siteId = entry.siteId;
    return { ...facts, name: entry.name, siteId, siteName: siteId === null ? null : (o.config.sites.find((s) => s.id === siteId)?.name ?? null) };
  };
}
