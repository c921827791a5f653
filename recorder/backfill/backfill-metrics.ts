import { Counter, Gauge, type Registry } from 'prom-client';
import { BACKFILL_STATES, type BackfillState } from '../../src/db/backfill-repo.ts';

/** Edge backfill series (on the recorder's registry). Labels: camera ids and job states only. */
export function createBackfillMetrics(registry: Registry) {
  const m = {
    jobs: new Gauge({ name: 'vigil_backfill_jobs', help: 'Backfill jobs in the index, by state', labelNames: ['state'], registers: [registry] }),
    recoveredSeconds: new Counter({ name: 'vigil_backfill_recovered_seconds_total', help: "Seconds of footage recovered from the cameras' own storage", labelNames: ['camera'], registers: [registry] }),
    fetchedBytes: new Counter({ name: 'vigil_backfill_fetched_bytes_total', help: "Bytes of segments fetched from the cameras' own storage", labelNames: ['camera'], registers: [registry] }),
    attempts: new Counter({ name: 'vigil_backfill_attempts_total', help: 'Backfill attempts, by outcome (fetched, failed)', labelNames: ['camera', 'outcome'], registers: [registry] }),
    running: new Gauge({ name: 'vigil_backfill_running', help: 'Backfill jobs running now on this recorder', registers: [registry] }),
    setJobs(counts: Record<BackfillState, number>): void {
      for (const s of BACKFILL_STATES) m.jobs.set({ state: s }, counts[s]);
    },
  };
  return m;
}

export type BackfillMetrics = ReturnType<typeof createBackfillMetrics>;
