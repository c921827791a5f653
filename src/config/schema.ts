import { z } from 'zod';
import { cronProblem } from '../retention/retention-schedule.ts';
import { metricsSchema, notifySchema, opsConfigIssues, reportSchema } from './ops-schema.ts';
import { port, positiveMs, slug, timeZone } from './field-types.ts';
import { backfillSchema } from './backfill-schema.ts';

/**
 * The whole configuration, validated at start-up. Every object is strict, so a misspelt key is
 * an error rather than a silently ignored setting. Defaults are the embedded install:
 * SQLite file and a filesystem object store under ./data, HTTP on 127.0.0.1:8080.
 */
export const siteSchema = z.strictObject({
  id: slug('site'),
  name: z.string().min(1),
  /** The parent site's id: sites form the administrative tree (province › district › ward › office). */
  parent: slug('site').optional(),
  /** Days of footage kept for this site's cameras (and those of the sites below it). */
  retentionDays: z.number().int({ error: 'must be a whole number of days' }).min(1, { error: 'must be at least 1 day' }).optional(),
  /** Bytes this site's cameras (and those below it) may hold in the store. */
  quotaBytes: z.number().int().positive().optional(),
});

export const cameraSchema = z.strictObject({
  id: slug('camera'),
  name: z.string().min(1).optional(),
  site: slug('site').optional(),
  /** ONVIF device address; Vigil asks the camera for its stream URIs. */
  onvif: z
    .strictObject({
      host: z.string().min(1),
      port: port.default(80),
      username: z.string().default('admin'),
      password: z.string().default(''),
    })
    .optional(),
  /** Plain RTSP URL, for cameras without ONVIF. Credentials may be given inline or below. */
  rtspUrl: z.string().regex(/^rtsps?:\/\//i, { error: 'must start with rtsp:// or rtsps://' }).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  audio: z.enum(['auto', 'off']).default('auto'),
  enabled: z.boolean().default(true),
  /** Days of footage kept for this camera, over its site's and the default. */
  retentionDays: z.number().int({ error: 'must be a whole number of days' }).min(1, { error: 'must be at least 1 day' }).optional(),
  /** Many recorders: only these recorder nodes (recorder.nodeId) may record this camera. */
  recorders: z.array(z.string().min(1)).min(1).optional(),
});

export const configSchema = z
  .strictObject({
    dataDir: z.string().min(1).default('./data'),
    timeZone: timeZone.default('Asia/Ho_Chi_Minh'),
    http: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
      })
      .default({ host: '127.0.0.1', port: 8080 }),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      })
      .default({ level: 'info' }),
    database: z
      .strictObject({
        driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
        /** Default: <dataDir>/vigil.db */
        sqlitePath: z.string().min(1).optional(),
        postgresUrl: z.string().regex(/^postgres(ql)?:\/\//, { error: 'must start with postgres://' }).optional(),
      })
      .default({ driver: 'sqlite' }),
    storage: z
      .strictObject({
        driver: z.enum(['fs', 'minio']).default('fs'),
        /** Default: <dataDir>/objects */
        fsRoot: z.string().min(1).optional(),
        minio: z
          .strictObject({
            endPoint: z.string().min(1),
            port: port.default(9000),
            useSSL: z.boolean().default(false),
            accessKey: z.string().min(1),
            secretKey: z.string().min(1),
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
              error: 'must be a valid bucket name (3–63 lowercase letters, digits, dots, dashes)',
            }),
          })
          .optional(),
      })
      .default({ driver: 'fs' }),
    recorder: z
      .strictObject({
        segmentMs: positiveMs.min(1000, { error: 'must be at least 1000 ms' }).max(300_000, { error: 'must be at most 300000 ms (5 minutes)' }).default(10_000),
        stallTimeoutMs: positiveMs.default(5_000),
        spoolDir: z.string().min(1).optional(),
        spoolQuotaBytes: z.number().int().positive().default(2 * 1024 ** 3),
        ffmpegPath: z.string().min(1).default('ffmpeg'),
        /** Many recorders on PostgreSQL: this node's name (default: hostname + a hash of dataDir). */
        nodeId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'must be 1–100 letters, digits, dots, dashes or underscores' }).optional(),
        /** Many recorders: sites whose cameras this node may record (default: every site). */
        sites: z.array(slug('site')).min(1).optional(),
        /** Many recorders: a camera lease lasts this long unrenewed; a dead node's cameras move after it. */
        leaseTtlMs: positiveMs.min(2_000, { error: 'must be at least 2000 ms' }).default(15_000),
        /** Many recorders: how often leases are renewed and cameras (re)balanced; under leaseTtlMs / 2. */
        leaseRenewMs: positiveMs.min(200, { error: 'must be at least 200 ms' }).default(3_000),
        /** How often each ONVIF camera is asked its time (recorder/clock-watch.ts; default 10 minutes). */
        clockCheckMs: positiveMs
          .min(10_000, { error: 'must be at least 10000 ms (10 seconds): each check is a request to the camera' })
          .max(86_400_000, { error: 'must be at most 86400000 ms (one day): a camera clock drifts and evidence quotes the latest offset' })
          .default(600_000),
      })
      .default({ segmentMs: 10_000, stallTimeoutMs: 5_000, spoolQuotaBytes: 2 * 1024 ** 3, ffmpegPath: 'ffmpeg', leaseTtlMs: 15_000, leaseRenewMs: 3_000, clockCheckMs: 600_000 }),
    /** The HTTP API: sessions, login rate limit, request bounds, reverse proxies. */
    api: z
      .strictObject({
        /** Absolute lifetime of a browser session (default 12 h). */
        sessionTtlMs: positiveMs.default(12 * 3_600_000),
        /** A session unused this long ends (default 1 h). */
        sessionIdleMs: positiveMs.default(3_600_000),
        /** Longest clip or export one request may ask for (default 1 h). */
        maxClipMs: positiveMs.default(3_600_000),
        /** Longest timeline range one request may ask for (default 31 days). */
        maxTimelineRangeMs: positiveMs.default(31 * 86_400_000),
        /** Failed logins of one username before it is locked for loginLockoutMs, doubling after. */
        loginMaxFailures: z.number().int().min(1).default(5),
        /** Failed logins from one address before it is locked the same way. */
        loginMaxFailuresPerIp: z.number().int().min(1).default(20),
        loginLockoutMs: positiveMs.default(60_000),
        loginMaxLockoutMs: positiveMs.default(3_600_000),
        /** Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. */
        trustedProxies: z.array(z.string().min(1)).default([]),
      })
      .prefault({}),
    /** How long footage is kept and how much the store may hold (docs/architecture.md#retention). */
    retention: z
      .strictObject({
        /** Days of footage kept by default; a site or camera may say otherwise. Whole local days are kept. */
        days: z.number().int({ error: 'must be a whole number of days' }).min(1, { error: 'must be at least 1 day' }).default(30),
        /** Bytes the whole store may hold; oldest footage not on hold goes first when over. */
        quotaBytes: z.number().int().positive().optional(),
        /** Ops are warned (log, metric) when the store holds more than this share of a quota. */
        warnAtFraction: z.number().gt(0).max(1).default(0.9),
        /** When retention runs: a cron expression (minute hour day month weekday) in timeZone. */
        schedule: z.string().min(1).default('30 2 * * *'),
        /** Time zone of the schedule and of "whole days" (default: the top-level timeZone). */
        timeZone: timeZone.optional(),
      })
      .prefault({}),
    /** Live view (recorder/live/, api/live/): fragment length, slow-viewer policy, the recorder's live endpoint. */
    live: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Longest live fragment: what live waits for before bytes leave ffmpeg (40 = one frame at 25 fps; bench/live.ts). */
        fragmentMs: z.number().int({ error: 'must be a whole number of milliseconds' }).min(20, { error: 'must be at least 20 ms' }).max(2_000, { error: 'must be at most 2000 ms' }).default(40),
        /** A viewer whose oldest unacknowledged fragment is older than this is skipped ahead to the next keyframe. */
        maxViewerLagMs: positiveMs.default(1_500),
        /** A viewer behind for this long without a break is dropped. */
        dropViewerAfterMs: positiveMs.default(10_000),
        maxViewersPerCamera: z.number().int().min(1).max(10_000).default(100),
        /** A camera's snapshot is decoded again at most this often, however many walls ask. */
        snapshotIntervalMs: positiveMs.default(2_000),
        /** Where the recorder makes its private live socket directory (default: the OS temp dir). */
        socketDir: z.string().min(1).optional(),
        /** The recorder's live endpoint for an API running as another process (off when no port). */
        endpointHost: z.string().min(1).default('127.0.0.1'),
        endpointPort: port.optional(),
        /** Where an API running apart finds the recorder's live endpoint, e.g. http://10.0.0.5:8091. */
        recorderUrl: z.string().regex(/^https?:\/\//, { error: 'must start with http:// or https://' }).optional(),
        /**
         * Many recorder nodes (PostgreSQL): the address of this recorder's live endpoint as API
         * nodes on other machines reach it (e.g. http://10.0.0.5:8091), published with its heartbeat.
         */
        advertiseUrl: z.string().regex(/^https?:\/\/[^/]/, { error: 'must start with http:// or https:// and name a host' }).optional(),
        /** Shared secret between the recorder's live endpoint and the API (at least 32 characters). */
        secret: z.string().min(32, { error: 'must be at least 32 characters (e.g. openssl rand -base64 32)' }).optional(),
      })
      .prefault({}),
    /** The web UI: the Grafana address the ops page links its dashboards to (grafana/). */
    ui: z
      .strictObject({
        grafanaUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// address, e.g. http://10.0.0.5:3000' }).optional(),
      })
      .prefault({}),
    /** Operations (src/config/ops-schema.ts): metrics server, webhooks, uptime report. */
    /** Edge backfill (recorder/backfill/): footage of outages fetched back from the cameras' storage. */
    backfill: backfillSchema,
    metrics: metricsSchema,
    notify: notifySchema,
    report: reportSchema,
    sites: z.array(siteSchema).default([]),
    cameras: z.array(cameraSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.storage.driver === 'minio' && !cfg.storage.minio) {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', 'minio'],
        message: 'is required when storage.driver is "minio" (endPoint, accessKey, secretKey, bucket)',
      });
    }
    if (cfg.database.driver === 'postgres' && !cfg.database.postgresUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['database', 'postgresUrl'],
        message: 'is required when database.driver is "postgres"',
      });
    }
    if (cfg.recorder.leaseRenewMs * 2 > cfg.recorder.leaseTtlMs) {
      ctx.addIssue({ code: 'custom', path: ['recorder', 'leaseRenewMs'], message: `must be at most half of recorder.leaseTtlMs (${cfg.recorder.leaseTtlMs} ms), so a lease is renewed at least twice before it runs out` });
    }
    if (cfg.live.advertiseUrl && cfg.live.endpointPort === undefined) {
      ctx.addIssue({ code: 'custom', path: ['live', 'advertiseUrl'], message: 'is set but live.endpointPort is not, so nothing listens at that address; set live.endpointPort too' });
    }
    if ((cfg.live.endpointPort !== undefined || cfg.live.recorderUrl) && !cfg.live.secret) {
      ctx.addIssue({ code: 'custom', path: ['live', 'secret'], message: 'is required when live.endpointPort or live.recorderUrl is set (the API and the recorder share it)' });
    }
    const scheduleProblem = cronProblem(cfg.retention.schedule);
    if (scheduleProblem) ctx.addIssue({ code: 'custom', path: ['retention', 'schedule'], message: scheduleProblem });
    for (const issue of opsConfigIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    const siteIds = new Set(cfg.sites.map((s) => s.id));
    reportDuplicates(cfg.sites.map((s) => s.id), 'sites', 'site', ctx);
    cfg.sites.forEach((s, i) => {
      if (s.parent && !siteIds.has(s.parent)) {
        ctx.addIssue({ code: 'custom', path: ['sites', i, 'parent'], message: `names site "${s.parent}", which is not declared in sites` });
      }
    });
    reportDuplicates(cfg.cameras.map((c) => c.id), 'cameras', 'camera', ctx);
    cfg.cameras.forEach((c, i) => {
      if (!c.onvif === !c.rtspUrl) {
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', i],
          message: 'needs exactly one of "onvif" (address and credentials) or "rtspUrl"',
        });
      }
      if (c.site && !siteIds.has(c.site)) {
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'site'], message: `names site "${c.site}", which is not declared in sites` });
      }
    });
  });

function reportDuplicates(ids: string[], listKey: string, what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) {
      ctx.addIssue({ code: 'custom', path: [listKey, i, 'id'], message: `repeats ${what} id "${id}"; ids must be unique` });
    }
    seen.add(id);
  });
}

export type VigilConfig = z.infer<typeof configSchema>;
export type CameraConfig = z.infer<typeof cameraSchema>;
export type SiteConfig = z.infer<typeof siteSchema>;
