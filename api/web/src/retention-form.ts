import type { RetentionSettings } from './api-types.ts';

/**
 * The retention page's boxes (pure): what the server saved → the text in each box, and the
 * boxes → the PUT body or the boxes that are wrong. An empty box clears the saved value (the
 * configuration's or the level above's applies again). Quotas are typed in GB (GiB, 1024³).
 */
export interface RetentionBoxes {
  days: string;
  quotaGb: string;
  sites: Record<string, { days: string; quotaGb: string }>;
  cameras: Record<string, { days: string }>;
}

export const GIB = 1024 ** 3;

const text = (n: number | null) => (n === null ? '' : String(n));
export const gbText = (bytes: number | null) => (bytes === null ? '' : String(Math.round((bytes / GIB) * 1000) / 1000));

export function boxesFrom(v: RetentionSettings): RetentionBoxes {
  return {
    days: text(v.default.days.saved),
    quotaGb: gbText(v.default.quotaBytes.saved),
    sites: Object.fromEntries(v.sites.map((s) => [s.id, { days: text(s.days.saved), quotaGb: gbText(s.quotaBytes.saved) }])),
    cameras: Object.fromEntries(v.cameras.map((c) => [c.id, { days: text(c.days.saved) }])),
  };
}

/** '' → null; a whole number ≥ 1 → it; anything else → undefined (wrong). */
export function parseDays(s: string): number | null | undefined {
  const x = s.trim();
  if (x === '') return null;
  if (!/^\d+$/.test(x)) return undefined;
  const n = Number(x);
  return n >= 1 && Number.isSafeInteger(n) ? n : undefined;
}

/** '' → null; a number of GB above 0 (comma or dot) → bytes; else undefined. */
export function parseQuotaGb(s: string): number | null | undefined {
  const x = s.trim().replace(',', '.');
  if (x === '') return null;
  if (!/^\d+(\.\d+)?$/.test(x)) return undefined;
  const bytes = Math.round(Number(x) * GIB);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Keys of wrong boxes: 'days', 'quotaGb', 'site:<id>:days', 'site:<id>:quotaGb', 'camera:<id>:days'. */
export function retentionBody(b: RetentionBoxes, initial?: RetentionBoxes): { body: Record<string, unknown> } | { errors: string[] } {
  const errors: string[] = [];
  const days = parseDays(b.days);
  const quota = parseQuotaGb(b.quotaGb);
  if (days === undefined) errors.push('days');
  if (quota === undefined) errors.push('quotaGb');
  const sites = Object.entries(b.sites).map(([id, s]) => {
    const d = parseDays(s.days);
    const q = parseQuotaGb(s.quotaGb);
    if (d === undefined) errors.push(`site:${id}:days`);
    if (q === undefined) errors.push(`site:${id}:quotaGb`);
    return { id, days: d ?? null, quotaBytes: q ?? null };
  });
  const cameras = Object.entries(b.cameras).map(([id, c]) => {
    const d = parseDays(c.days);
    if (d === undefined) errors.push(`camera:${id}:days`);
    return { id, days: d ?? null };
  });
  if (errors.length) return { errors };
  if (!initial) return { body: { days: days ?? null, quotaBytes: quota ?? null, sites, cameras } };
  // Only what changed, so a site-scoped admin's save touches only their own sites.
  const same = (x: string | undefined, y: string) => (x ?? '').trim() === y.trim();
  const body: Record<string, unknown> = {};
  if (!same(initial.days, b.days)) body.days = days ?? null;
  if (!same(initial.quotaGb, b.quotaGb)) body.quotaBytes = quota ?? null;
  const changedSites = sites
    .map((x) => {
      const was = initial.sites[x.id];
      const d = same(was?.days, b.sites[x.id]!.days) ? {} : { days: x.days };
      const q = same(was?.quotaGb, b.sites[x.id]!.quotaGb) ? {} : { quotaBytes: x.quotaBytes };
      return { id: x.id, ...d, ...q };
    })
    .filter((x) => Object.keys(x).length > 1);
  const changedCameras = cameras.filter((x) => !same(initial.cameras[x.id]?.days, b.cameras[x.id]!.days));
  if (changedSites.length) body.sites = changedSites;
  if (changedCameras.length) body.cameras = changedCameras;
  return { body };
}
