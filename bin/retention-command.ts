import type { ResolvedConfig } from '../src/config/load.ts';
import type { Clock } from '../src/clock.ts';
import { HeldFootage } from '../src/cases/held-footage.ts';
import { openDatabase } from '../src/db/database.ts';
import { VigilError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import type { Registry } from 'prom-client';
import { createRetentionMetrics, type RetentionMetrics } from '../src/retention/retention-metrics.ts';
import { retentionPolicyFrom } from '../src/retention/retention-policy.ts';
import { describePlan, runRetention, type RetentionOutcome } from '../src/retention/retention-run.ts';
import { scheduleRetention, type RetentionSchedule } from '../src/retention/retention-schedule.ts';
import { createObjectStore, type ObjectStore } from '../src/store/object-store.ts';
import { RetentionSettingsRepo } from '../src/db/retention-settings-repo.ts';
import { applyRetentionOverrides } from '../src/retention/retention-overrides.ts';

/**
 * `vigil retention --dry-run` prints the plan; `vigil retention --now` runs once; inside
 * `vigil` (all roles) and `vigil retention` alone it runs on its schedule.
 */
export interface RetentionCommand {
  config: ResolvedConfig;
  clock: Clock;
  log: Logger;
  dryRun: boolean;
  batchSize?: string | undefined;
  print: (line: string) => void;
}

export async function retentionOnce(c: RetentionCommand): Promise<RetentionOutcome> {
  const batchSize = c.batchSize === undefined ? undefined : Number(c.batchSize);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)) {
    throw new VigilError('config_invalid', `--batch-size must be a whole number of segments from 1 to 10000 (got "${c.batchSize}")`);
  }
  const db = await openDatabase(c.config.database);
  try {
    const outcome = await runRetention(
      { ...(await deps(c.config, c.clock, c.log, db, createObjectStore(c.config))), ...(batchSize !== undefined ? { batchSize } : {}) },
      { dryRun: c.dryRun },
    );
    for (const line of describePlan(outcome.plan, c.config.retention.timeZone ?? c.config.timeZone)) c.print(line);
    if (c.dryRun) c.print('Dry run: nothing was deleted.');
    else c.print(`Deleted ${outcome.deletedSegments} segment(s), ${outcome.freedBytes} bytes${outcome.resumedSegments ? `; finished ${outcome.resumedSegments} left by an interrupted run` : ''}.`);
    return outcome;
  } finally {
    await db.destroy();
  }
}

/**
 * The retention role inside a running process: on its schedule, with metrics on `registry`
 * (made here, or given: a process that starts the role again after losing its lock gives the
 * ones it made the first time, since a registry takes each name once).
 */
export async function startRetentionRole(o: { config: ResolvedConfig; clock: Clock; log: Logger; registry: Registry; metrics?: RetentionMetrics }): Promise<{ schedule: RetentionSchedule; close(): Promise<void> }> {
  const db = await openDatabase(o.config.database);
  const metrics = o.metrics ?? createRetentionMetrics(o.registry);
  const store = createObjectStore(o.config);
  const schedule = scheduleRetention({
    expression: o.config.retention.schedule,
    timeZone: o.config.retention.timeZone ?? o.config.timeZone,
    log: o.log,
    // The policy is built at every run: days and quotas saved in the web UI (and cameras added
    // while running) count from the next run, without a restart.
    run: async () => runRetention({ ...(await deps(o.config, o.clock, o.log, db, store)), metrics }),
  });
  return {
    schedule,
    async close() {
      await schedule.stop();
      await db.destroy();
    },
  };
}

/** The configuration's retention policy with the values saved in the web UI over it (migration 0008). */
async function deps(config: ResolvedConfig, clock: Clock, log: Logger, db: Awaited<ReturnType<typeof openDatabase>>, store: ObjectStore) {
  const effective = applyRetentionOverrides(config, await new RetentionSettingsRepo(db, () => clock.nowMs()).list());
  const siteOf = new Map(effective.cameras.map((cam) => [cam.id, cam.site ?? null]));
  return {
    db,
    store,
    clock,
    log,
    policy: retentionPolicyFrom(effective),
    held: new HeldFootage(db),
    warnAtFraction: config.retention.warnAtFraction,
    siteOf: (id: string) => siteOf.get(id) ?? null,
  };
}
