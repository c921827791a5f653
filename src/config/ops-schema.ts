import { z } from 'zod';
import { port, positiveMs, slug, timeZone } from './field-types.ts';
import { NOTICE_KINDS } from '../notify/notice.ts';
import { scheduleProblems } from '../report/office-schedule.ts';
import { cronProblem } from '../retention/retention-schedule.ts';

/**
 * The operations keys of the configuration: `metrics` (the /metrics, /healthz, /readyz server
 * of roles without the API), `notify` (webhooks) and `report` (office hours, holidays, the
 * daily report). Kept here and referenced from schema.ts, with their cross-key checks.
 */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, { error: 'must be a local time "HH:mm" such as "07:00" (24-hour)' });
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date written YYYY-MM-DD, e.g. "2026-04-30"' });
const language = z.enum(['vi', 'en'], { error: 'must be "vi" (Vietnamese) or "en" (English)' });

export const metricsSchema = z
  .strictObject({
    /** Serve /metrics, /healthz and /readyz from the recorder and retention roles. */
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1'),
    port: port.default(9464),
    /** When set, /metrics asks for "Authorization: Bearer <token>" (health endpoints stay open). */
    bearerToken: z.string().min(16, { error: 'must be at least 16 characters (e.g. openssl rand -hex 24)' }).optional(),
  })
  .prefault({});

export const webhookSchema = z.strictObject({
  id: slug('webhook'),
  /** Where messages are POSTed. Often carries the receiver's token: it is never logged. */
  url: z.string().regex(/^https?:\/\/[^\s]+$/, { error: 'must be an http:// or https:// URL' }),
  /** Key of the HMAC-SHA256 signature (X-Vigil-Signature). */
  secret: z.string().min(16, { error: 'must be at least 16 characters (e.g. openssl rand -hex 24)' }),
  /** Only these notice kinds (default: all). */
  events: z.array(z.enum(NOTICE_KINDS, { error: `must be one of ${NOTICE_KINDS.join(', ')}` })).min(1).optional(),
  /** Only cameras of these sites and the sites below them (an office's own chat group). */
  sites: z.array(slug('site')).min(1).optional(),
  /** Language of the text field (default: report.language). */
  language: language.optional(),
  timeoutMs: positiveMs.default(10_000),
});

export const notifySchema = z
  .strictObject({
    webhooks: z.array(webhookSchema).default([]),
    /** A camera not recording for this long is announced down (default 1 min). */
    cameraDownAfterMs: positiveMs.default(60_000),
    /** Gaps at least this long are announced, unless inside an announced outage. */
    gapMinMs: positiveMs.default(60_000),
    /** Uploads failing this long without a success: the object store is announced unreachable. */
    storeDownAfterMs: positiveMs.default(60_000),
    /** Messages waiting per webhook; beyond it the oldest is dropped. */
    maxQueue: z.number().int().min(1).max(100_000).default(1_000),
    /** A message not accepted after retrying this long is dropped. */
    giveUpAfterMs: positiveMs.default(6 * 3_600_000),
  })
  .prefault({});

export const reportSchema = z
  .strictObject({
    /** Time zone of office hours (default: the top-level timeZone). */
    timeZone: timeZone.optional(),
    officeHours: z
      .array(z.strictObject({ start: hhmm, end: hhmm }))
      .min(1, { error: 'needs at least one period, e.g. [{ start: "07:00", end: "11:00" }]' })
      .default([
        { start: '07:00', end: '11:00' },
        { start: '13:00', end: '17:00' },
      ]),
    /** Working weekdays, 1 = Monday … 7 = Sunday. */
    weekdays: z.array(z.number().int().min(1, { error: 'must be 1 (Monday) to 7 (Sunday)' }).max(7, { error: 'must be 1 (Monday) to 7 (Sunday)' })).min(1).default([1, 2, 3, 4, 5]),
    /** Local dates without office hours. */
    holidays: z.array(localDate).default([]),
    /** Local dates worked although their weekday is not (make-up working days). */
    extraWorkdays: z.array(localDate).default([]),
    language: language.default('vi'),
    /** When set, the day's report goes to the webhooks on this cron schedule (e.g. "30 17 * * 1-5"). */
    dailySchedule: z.string().min(1).optional(),
  })
  .prefault({});

type OpsKeys = {
  sites: Array<{ id: string }>;
  notify: z.infer<typeof notifySchema>;
  report: z.infer<typeof reportSchema>;
};

/** Cross-key checks of the operations keys: schedule sane, cron valid, webhook ids unique and sites declared. */
export function opsConfigIssues(cfg: OpsKeys): Array<{ path: Array<string | number>; message: string }> {
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  for (const p of scheduleProblems({ periods: cfg.report.officeHours, weekdays: cfg.report.weekdays, holidays: cfg.report.holidays, extraWorkdays: cfg.report.extraWorkdays })) {
    issues.push({ path: ['report'], message: p });
  }
  if (cfg.report.dailySchedule !== undefined) {
    const problem = cronProblem(cfg.report.dailySchedule);
    if (problem) issues.push({ path: ['report', 'dailySchedule'], message: problem });
  }
  const siteIds = new Set(cfg.sites.map((s) => s.id));
  const seen = new Set<string>();
  cfg.notify.webhooks.forEach((w, i) => {
    if (seen.has(w.id)) issues.push({ path: ['notify', 'webhooks', i, 'id'], message: `repeats webhook id "${w.id}"; ids must be unique` });
    seen.add(w.id);
    (w.sites ?? []).forEach((s, j) => {
      if (!siteIds.has(s)) issues.push({ path: ['notify', 'webhooks', i, 'sites', j], message: `names site "${s}", which is not declared in sites` });
    });
  });
  return issues;
}
