import { createTask, validateDetailed, type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.ts';

/**
 * Runs retention on a cron schedule in an explicit time zone (node-cron), never two runs at
 * once. A failed run is logged by the run itself and retried at the next tick, where it
 * resumes what it left.
 */
export interface RetentionSchedule {
  /** The next few run times, for logs and the dry run. */
  nextRuns(count: number): Date[];
  stop(): Promise<void>;
}

/** Why a cron expression is wrong, in plain words, or null when it is good. */
export function cronProblem(expression: string): string | null {
  const v = validateDetailed(expression);
  if (v.valid) return null;
  const fields = v.errors.map((e) => `${e.field}${e.value !== undefined ? ` "${e.value}"` : ''}: ${e.message}`).join('; ');
  return `is not a valid cron expression (minute hour day-of-month month day-of-week, e.g. "30 2 * * *" for 02:30 every day)${fields ? `: ${fields}` : ''}`;
}

export function scheduleRetention(o: { expression: string; timeZone: string; log: Logger; run: () => Promise<unknown> }): RetentionSchedule {
  const task: ScheduledTask = createTask(
    o.expression,
    async () => {
      await o.run().catch(() => undefined); // the run logs its own failure and metrics
    },
    { timezone: o.timeZone, noOverlap: true, name: 'vigil-retention' },
  );
  void task.start();
  o.log.info({ schedule: o.expression, timeZone: o.timeZone, next: task.getNextRun()?.toISOString() }, 'retention scheduled');
  return {
    nextRuns: (count) => task.getNextRuns(count),
    stop: async () => {
      await task.destroy();
    },
  };
}
