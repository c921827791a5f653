import type { Kysely } from 'kysely';
import type { ObjectStore } from '../src/store/object-store.ts';
import type { Registry } from 'prom-client';
import type { AuditSink } from '../src/audit/audit-types.ts';
import type { ClipRequest, PreparedClip } from '../src/clip/clip-types.ts';
import type { Clock } from '../src/clock.ts';
import type { VigilConfig } from '../src/config/schema.ts';
import type { Database } from '../src/db/schema.ts';
import type { UserRecord } from '../src/db/users-repo.ts';
import type { Logger } from '../src/logger.ts';
import type { AuditLog } from '../src/audit/audit-log.ts';
import type { CaseService } from '../src/cases/case-service.ts';
import type { ExportJobs } from '../src/evidence/export-jobs.ts';
import type { PlaybackSegment, PlaybackSegmentRequest } from '../src/playback/playback-segment.ts';
import type { ThumbnailService } from '../src/thumbnail/thumbnail-service.ts';
import type { ClientOrigin } from './client-origin.ts';
import type { CameraAdminService } from './camera-admin.ts';

/**
 * What createApp needs, all passed in (no module singletons), so tests build many apps in one
 * process. media and evidence are the footage and case services; their routes are in the
 * route table (route-list.ts) only when they are given.
 */
export interface AppDeps {
  config: VigilConfig;
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  audit: AuditSink;
  media?: MediaServices;
  evidence?: EvidenceServices;
  /** The object store, for the readiness check (/api/v1/readyz). */
  store?: Pick<ObjectStore, 'ping'>;
  /** Camera discovery, connection test and adding (bin/camera-admin-service.ts); absent: no camera admin routes. */
  cameraAdmin?: CameraAdminService;
}

/**
 * Clips, playback and thumbnails (src/clip/, src/playback/, src/thumbnail/), bound to their
 * store and index by bin/ (buildFootageServices in bin/run-api.ts). A role that serves no
 * footage leaves them out, and then the footage routes are not in its route table.
 */
export interface MediaServices {
  /** prepareClip(deps, request) of src/clip/prepare-clip.ts with its deps bound. */
  prepareClip(request: ClipRequest): Promise<PreparedClip>;
  /** preparePlaybackSegment(deps, request) of src/playback/playback-segment.ts, bound. */
  preparePlaybackSegment(request: PlaybackSegmentRequest): Promise<PlaybackSegment>;
  thumbnails: Pick<ThumbnailService, 'thumbnailAt'>;
}

/**
 * Cases, holds, evidence exports and the audit log's reading side. CaseService and ExportJobs
 * write their own audit entries; the routes never audit those actions again.
 */
export interface EvidenceServices {
  cases: CaseService;
  exports: Pick<ExportJobs, 'create' | 'get' | 'forCase' | 'openPackage'>;
  auditLog: Pick<AuditLog, 'query' | 'verify'>;
}

/** The authenticated caller of a request. */
export interface Principal {
  user: UserRecord;
  via: 'session' | 'token';
  /** SHA-256 of the session cookie (session only): logout ends this one. */
  sessionHash?: string;
  /** The X-CSRF-Token this session must send with unsafe methods (session only). */
  csrfToken?: string;
  sessionExpiresMs?: number;
  tokenId?: string;
}

/** Hono's per-request variables. */
export interface AppEnv {
  Variables: {
    requestId: string;
    origin: ClientOrigin;
    /** Set by the authorize middleware on every non-public route. */
    principal: Principal;
    /** The site the route's resource belongs to (null: none or unsited), when the route has one. */
    siteId: string | null;
    /** The route pattern, for metrics and logs. */
    routeLabel: string;
  };
}
