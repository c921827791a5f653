import type { VigilConfig } from '../config/schema.ts';
import type { RetentionOverride } from '../db/retention-settings-repo.ts';

/**
 * Retention values saved in the web UI laid over the configuration's (pure). The result has
 * the configuration's shape, so retentionPolicyFrom() plans with it unchanged, and the view
 * says for every value where it comes from: saved in the web UI, the configuration (file,
 * environment or built-in default), or inherited from the site above / the default.
 */
export type RetentionConfig = Pick<VigilConfig, 'timeZone' | 'retention' | 'sites' | 'cameras'>;

export function applyRetentionOverrides<C extends RetentionConfig>(config: C, overrides: readonly RetentionOverride[]): C {
  const find = (scope: RetentionOverride['scope'], id: string) => overrides.find((o) => o.scope === scope && o.targetId === id);
  const def = find('default', '');
  const retention = { ...config.retention };
  if (def?.days != null) retention.days = def.days;
  if (def?.quotaBytes != null) retention.quotaBytes = def.quotaBytes;
  const sites = config.sites.map((s) => {
    const o = find('site', s.id);
    return { ...s, ...(o?.days != null ? { retentionDays: o.days } : {}), ...(o?.quotaBytes != null ? { quotaBytes: o.quotaBytes } : {}) };
  });
  const cameras = config.cameras.map((c) => {
    const o = find('camera', c.id);
    return o?.days != null ? { ...c, retentionDays: o.days } : c;
  });
  return { ...config, retention, sites, cameras };
}

/** Where a value comes from. */
export type ValueSource = 'saved' | 'config' | 'inherited' | 'none';

export interface SettingValue {
  /** In the configuration at this level (null: not set there). */
  config: number | null;
  /** Saved in the web UI at this level (null: none). */
  saved: number | null;
  /** What retention uses (null: no limit, for quotas). */
  effective: number | null;
  source: ValueSource;
  /** For 'inherited': 'default' or the site id the value comes from. */
  from?: string;
}

export interface RetentionSettingsView {
  default: { days: SettingValue; quotaBytes: SettingValue };
  sites: Array<{ id: string; name: string; parent: string | null; days: SettingValue; quotaBytes: SettingValue }>;
  cameras: Array<{ id: string; name: string; site: string | null; days: SettingValue }>;
}

export function retentionSettingsView(config: RetentionConfig, overrides: readonly RetentionOverride[]): RetentionSettingsView {
  const applied = applyRetentionOverrides(config, overrides);
  const find = (scope: RetentionOverride['scope'], id: string) => overrides.find((o) => o.scope === scope && o.targetId === id);
  const siteById = new Map(applied.sites.map((s) => [s.id, s]));
  /** The days a camera of `siteId` gets from its sites, nearest first, or the default. */
  const daysFromSites = (siteId: string | undefined): { days: number; from: string } => {
    const seen: string[] = [];
    for (let id = siteId; id !== undefined && !seen.includes(id); id = siteById.get(id)?.parent) {
      seen.push(id);
      const d = siteById.get(id)?.retentionDays;
      if (d !== undefined) return { days: d, from: id };
    }
    return { days: applied.retention.days, from: 'default' };
  };
  const value = (configValue: number | null, saved: number | null, inherited: { value: number | null; from: string } | null): SettingValue => {
    if (saved !== null) return { config: configValue, saved, effective: saved, source: 'saved' };
    if (configValue !== null) return { config: configValue, saved, effective: configValue, source: 'config' };
    if (inherited && inherited.value !== null) return { config: null, saved: null, effective: inherited.value, source: 'inherited', from: inherited.from };
    return { config: null, saved: null, effective: null, source: 'none' };
  };
  const def = find('default', '');
  return {
    default: {
      days: value(config.retention.days, def?.days ?? null, null),
      quotaBytes: value(config.retention.quotaBytes ?? null, def?.quotaBytes ?? null, null),
    },
    sites: config.sites.map((s) => {
      const o = find('site', s.id);
      const above = daysFromSites(s.parent);
      return {
        id: s.id,
        name: s.name,
        parent: s.parent ?? null,
        days: value(s.retentionDays ?? null, o?.days ?? null, { value: above.days, from: above.from }),
        quotaBytes: value(s.quotaBytes ?? null, o?.quotaBytes ?? null, null),
      };
    }),
    cameras: config.cameras.map((c) => {
      const o = find('camera', c.id);
      const above = daysFromSites(c.site);
      return { id: c.id, name: c.name ?? c.id, site: c.site ?? null, days: value(c.retentionDays ?? null, o?.days ?? null, { value: above.days, from: above.from }) };
    }),
  };
}
