import type { VigilConfig } from '../config/schema.ts';
import type { CameraRetention, RetentionPolicy, SiteQuota } from './retention-plan.ts';

/**
 * The retention policy from the configuration: a camera keeps its own `retentionDays`, else
 * that of its site or the nearest site above it, else `retention.days`. A site quota covers
 * the cameras of that site and of every site below it.
 */
type PolicyConfig = Pick<VigilConfig, 'timeZone' | 'retention' | 'sites' | 'cameras'>;

export function retentionPolicyFrom(config: PolicyConfig): RetentionPolicy {
  const sites = new Map(config.sites.map((s) => [s.id, s]));
  const ancestry = (siteId: string | undefined): string[] => {
    const chain: string[] = [];
    for (let id = siteId; id !== undefined && !chain.includes(id); id = sites.get(id)?.parent) chain.push(id);
    return chain;
  };
  const cameras = new Map<string, CameraRetention>();
  for (const c of config.cameras) {
    const siteDays = ancestry(c.site).map((id) => sites.get(id)?.retentionDays).find((d) => d !== undefined);
    cameras.set(c.id, { cameraId: c.id, siteId: c.site ?? null, keepDays: c.retentionDays ?? siteDays ?? config.retention.days });
  }
  const siteQuotas: SiteQuota[] = config.sites
    .filter((s) => s.quotaBytes !== undefined)
    .map((s) => ({ siteId: s.id, quotaBytes: s.quotaBytes!, cameraIds: config.cameras.filter((c) => ancestry(c.site).includes(s.id)).map((c) => c.id) }));
  return {
    cameras,
    defaultKeepDays: config.retention.days,
    timeZone: config.retention.timeZone ?? config.timeZone,
    quotaBytes: config.retention.quotaBytes ?? null,
    siteQuotas,
  };
}
