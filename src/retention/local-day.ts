import { zoneOffsetMinutes } from '../time.ts';

const DAY_MS = 86_400_000;

/**
 * The instant (epoch ms) at which the local calendar day containing `ms` began in `timeZone`.
 * Retention keeps whole office days: "30 days" never cuts a morning in half. Works across DST
 * changes (the offset is looked up again at the candidate midnight).
 */
export function localDayStartMs(ms: number, timeZone: string): number {
  const offsetMs = zoneOffsetMinutes(ms, timeZone) * 60_000;
  const localMidnight = Math.floor((ms + offsetMs) / DAY_MS) * DAY_MS;
  let start = localMidnight - offsetMs;
  // At midnight itself the offset may differ (a DST change during that day): look again.
  const offsetThen = zoneOffsetMinutes(start, timeZone) * 60_000;
  if (offsetThen !== offsetMs) start = localMidnight - offsetThen;
  return start > ms ? start - DAY_MS : start;
}

/**
 * Footage that ends at or before this instant is past retention for a camera keeping
 * `keepDays` days: the start of the local day that held the instant `keepDays` × 24 h ago.
 * So at least keepDays × 24 h are always kept, at most one local day more.
 */
export function retentionCutoffMs(nowMs: number, keepDays: number, timeZone: string): number {
  return localDayStartMs(nowMs - keepDays * DAY_MS, timeZone);
}
