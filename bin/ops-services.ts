import type { Kysely } from 'kysely';
import type { Gauge, Registry } from 'prom-client';
import type { Clock } from '../src/clock.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import type { Database } from '../src/db/schema.ts';
import { openDatabase } from '../src/db/database.ts';
import { createObjectStore } from '../src/store/object-store.ts';
import { checkReadiness, type ReadinessDeps } from '../src/health/readiness.ts';
import type { Logger } from '../src/logger.ts';
import type { RetentionEvent } from '../src/notify/notice.ts';
import { Notifier } from '../src/notify/notifier.ts';
import { NotifyDirectory } from '../src/notify/notify-directory.ts';
import { createNotifyMetrics } from '../src/notify/notify-metrics.ts';
import { scheduleDailyReport, type DailyReportSchedule } from '../src/report/daily-report.ts';
import { officeScheduleFrom } from '../src/report/report-data.ts';
import { startMetricsServer, type RunningMetricsServer } from './metrics-server.ts';

/**
 * The operations side of a running process, wired from the configuration: the notifier
 * (webhooks), the metrics/health server, the daily report, and retention notices.
 */

/** The webhook notifier of the configuration, or null when no webhook is configured. */
export function createNotifier(config: ResolvedConfig, o: { clock: Clock; log: Logger; registry: Registry; fetch?: typeof fetch; retryBaseMs?: number }): Notifier | null {
  if (config.notify.webhooks.length === 0) return null;
  const n = config.notify;
  const notifier = new Notifier({
    webhooks: n.webhooks,
    directory: new NotifyDirectory(config.cameras, config.sites),
    clock: o.clock,
    log: o.log.child({ part: 'notify' }),
    timeZone: officeScheduleFrom(config).timeZone,
    language: config.report.language,
    rules: { cameraDownAfterMs: n.cameraDownAfterMs, gapMinMs: n.gapMinMs, storeDownAfterMs: n.storeDownAfterMs },
    metrics: createNotifyMetrics(o.registry),
    maxQueue: n.maxQueue,
    giveUpAfterMs: n.giveUpAfterMs,
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.retryBaseMs !== undefined ? { retryBaseMs: o.retryBaseMs } : {}),
  });
  o.log.info({ webhooks: n.webhooks.map((w) => w.id) }, 'webhook notifications on');
  return notifier;
}

/**
 * Retention notices from the retention role's own gauges: each time
 * vigil_retention_last_run_timestamp_seconds moves, the run's success and quota gauges become
 * a retention_run event. Reading the role's registry keeps retention free of notification code.
 */
export function watchRetentionMetrics(o: { registry: Registry; clock: Clock; warnAtFraction: number; onRun: (e: RetentionEvent) => void; pollMs?: number }): () => void {
  let lastSeen: number | null = null;
  let cancel: (() => void) | null = null;
  let stopped = false;
  const read = async (name: string) => {
    const metric = o.registry.getSingleMetric(name) as Gauge | undefined;
    return metric ? (await metric.get()).values : [];
  };
  const poll = async () => {
    const lastRun = (await read('vigil_retention_last_run_timestamp_seconds'))[0]?.value ?? 0;
    if (lastRun > 0 && lastRun !== lastSeen) {
      const first = lastSeen === null;
      lastSeen = lastRun;
      const ok = ((await read('vigil_retention_last_run_success'))[0]?.value ?? 0) === 1;
      const byScope = async (name: string) => new Map((await read(name)).map((v) => [String(v.labels.scope), v.value]));
      const [quota, used, unmet] = await Promise.all([byScope('vigil_store_quota_bytes'), byScope('vigil_store_quota_used_bytes'), byScope('vigil_retention_quota_unmet')]);
      const quotas = [...quota.entries()].map(([scope, quotaBytes]) => ({ scope, quotaBytes, usedBytes: used.get(scope) ?? 0, unmet: (unmet.get(scope) ?? 0) === 1 }));
      if (!first || lastRun * 1000 > o.clock.nowMs() - 10 * 60_000) o.onRun({ type: 'retention_run', atMs: Math.round(lastRun * 1000), ok, quotas, warnAtFraction: o.warnAtFraction });
    } else if (lastSeen === null && lastRun === 0) lastSeen = 0;
  };
  const arm = () => {
    if (stopped) return;
    cancel = o.clock.setTimer(o.pollMs ?? 15_000, () => void poll().catch(() => undefined).finally(arm));
  };
  arm();
  return () => {
    stopped = true;
    cancel?.();
  };
}

/**
 * The /metrics, /healthz, /readyz server of roles without the API. A port already taken is
 * logged as an error and recording goes on: monitoring never stops the recorder.
 */
export async function startOpsServer(config: ResolvedConfig, o: { registries: Registry[]; readiness: ReadinessDeps; log: Logger }): Promise<RunningMetricsServer | null> {
  if (!config.metrics.enabled) return null;
  try {
    return await startMetricsServer({
      host: config.metrics.host,
      port: config.metrics.port,
      registries: o.registries,
      readiness: () => checkReadiness(o.readiness),
      log: o.log,
      bearerToken: config.metrics.bearerToken,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    o.log.error(
      { host: config.metrics.host, port: config.metrics.port },
      `metrics server cannot listen: ${why}; /metrics, /healthz and /readyz are unavailable (set metrics.port or VIGIL_METRICS_PORT to a free port, or metrics.enabled: false)`,
    );
    return null;
  }
}

/** Up to `graceMs` for the last messages to leave, then stops (what is left is logged). */
export async function closeNotifier(notifier: Notifier | null, graceMs = 2_000): Promise<void> {
  if (!notifier) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([notifier.idle(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  notifier.close();
}

/** The daily report on report.dailySchedule, published through the notifier; null when off. */
export function startDailyReport(config: ResolvedConfig, o: { db: Kysely<Database>; notifier: Notifier | null; clock: Clock; log: Logger }): DailyReportSchedule | null {
  const expression = config.report.dailySchedule;
  if (!expression) return null;
  if (!o.notifier) {
    o.log.warn('report.dailySchedule is set but no webhook is configured (notify.webhooks): no daily report is sent');
    return null;
  }
  const notifier = o.notifier;
  return scheduleDailyReport({
    expression,
    timeZone: officeScheduleFrom(config).timeZone,
    db: o.db,
    config,
    clock: o.clock,
    log: o.log,
    publish: (data) => notifier.publish('info', data),
  });
}

/**
 * The operations side of the retention role alone (`vigil retention`): its metrics and health
 * server, retention notices and the daily report (one retention process runs per install, so
 * the daily report is sent once).
 */
export async function startRetentionOps(config: ResolvedConfig, o: { registry: Registry; clock: Clock; log: Logger }): Promise<{ close(): Promise<void> }> {
  const db = await openDatabase(config.database);
  const notifier = createNotifier(config, { clock: o.clock, log: o.log, registry: o.registry });
  const stopWatch = notifier ? watchRetentionMetrics({ registry: o.registry, clock: o.clock, warnAtFraction: config.retention.warnAtFraction, onRun: notifier.handle }) : null;
  const daily = startDailyReport(config, { db, notifier, clock: o.clock, log: o.log });
  const server = await startOpsServer(config, { registries: [o.registry], readiness: { db, store: createObjectStore(config), clock: o.clock }, log: o.log });
  return {
    async close() {
      await server?.close();
      await daily?.stop();
      stopWatch?.();
      await closeNotifier(notifier);
      await db.destroy();
    },
  };
}
