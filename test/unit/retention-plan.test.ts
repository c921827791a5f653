import { describe, expect, it } from 'vitest';
import { localDayStartMs, retentionCutoffMs } from '../../src/retention/local-day.ts';
import { planRetention, type HeldRange, type RetentionPolicy, type RetentionSegment } from '../../src/retention/retention-plan.ts';

const H = 3_600_000;
const D = 24 * H;
const HCM = 'Asia/Ho_Chi_Minh';
// 2026-03-10 10:00 in Ho Chi Minh City (UTC+7) = 03:00 UTC.
const NOW = Date.UTC(2026, 2, 10, 3, 0, 0);

let nextId = 1;
function seg(cameraId: string, startMs: number, durationMs = H, sizeBytes = 100): RetentionSegment {
  const id = nextId++;
  return { id, cameraId, startMs, durationMs, sizeBytes, objectKey: `${cameraId}/${startMs}-${durationMs}.mp4` };
}
function policy(p: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return { cameras: new Map(), defaultKeepDays: 30, timeZone: HCM, quotaBytes: null, siteQuotas: [], ...p };
}
/** Hourly segments of one camera from startMs for n hours. */
function hours(cameraId: string, startMs: number, n: number, sizeBytes = 100): RetentionSegment[] {
  return Array.from({ length: n }, (_, i) => seg(cameraId, startMs + i * H, H, sizeBytes));
}
const keys = (plan: ReturnType<typeof planRetention>) => plan.deletions.map((d) => `${d.cameraId}@${(d.startMs - NOW) / H}h:${d.reason}`);

describe('local day and cutoff', () => {
  it.each([
    // [instant, zone, expected local midnight]
    [Date.UTC(2026, 2, 10, 3, 0), HCM, Date.UTC(2026, 2, 9, 17, 0)],
    [Date.UTC(2026, 2, 9, 17, 0), HCM, Date.UTC(2026, 2, 9, 17, 0)], // exactly midnight local
    [Date.UTC(2026, 2, 9, 16, 59, 59, 999), HCM, Date.UTC(2026, 2, 8, 17, 0)],
    [Date.UTC(2026, 2, 10, 3, 0), 'UTC', Date.UTC(2026, 2, 10, 0, 0)],
    // Europe/Berlin springs forward on 2026-03-29 (02:00 → 03:00): that day began at 23:00 UTC of the 28th.
    [Date.UTC(2026, 2, 29, 12, 0), 'Europe/Berlin', Date.UTC(2026, 2, 28, 23, 0)],
    // The day after began at 22:00 UTC (summer time).
    [Date.UTC(2026, 2, 30, 12, 0), 'Europe/Berlin', Date.UTC(2026, 2, 29, 22, 0)],
    // Autumn: 2026-10-25 began in summer time (22:00 UTC of the 24th).
    [Date.UTC(2026, 9, 25, 12, 0), 'Europe/Berlin', Date.UTC(2026, 9, 24, 22, 0)],
  ])('localDayStartMs(%i, %s)', (ms, tz, expected) => {
    expect(localDayStartMs(ms, tz)).toBe(expected);
  });

  it('keeps at least keepDays × 24 h and cuts at local midnight', () => {
    const cutoff = retentionCutoffMs(NOW, 30, HCM);
    expect(cutoff).toBe(Date.UTC(2026, 1, 7, 17, 0)); // 2026-02-08 00:00 +07:00
    expect(NOW - cutoff).toBeGreaterThanOrEqual(30 * D);
    expect(NOW - cutoff).toBeLessThan(31 * D);
  });
});

describe('planRetention', () => {
  it('plans nothing for an empty index', () => {
    const plan = planRetention({ nowMs: NOW, segments: [], holds: [], policy: policy({ quotaBytes: 0 }) });
    expect(plan.deletions).toEqual([]);
    expect(plan.cameras).toEqual([]);
    expect(plan.quotas).toEqual([{ scope: 'store', quotaBytes: 0, beforeBytes: 0, afterBytes: 0, unmet: false }]);
  });

  it('deletes by age only what ends before the local-midnight cutoff', () => {
    const cutoff = retentionCutoffMs(NOW, 2, HCM);
    const segments = [
      seg('a', cutoff - 2 * H), // ends 1 h before the cutoff: goes
      seg('a', cutoff - H), // ends exactly at the cutoff: goes (half-open)
      seg('a', cutoff - H / 2), // straddles the cutoff: stays
      seg('a', cutoff + H),
    ];
    const plan = planRetention({ nowMs: NOW, segments, holds: [], policy: policy({ defaultKeepDays: 2 }) });
    expect(plan.deletions.map((d) => d.id)).toEqual([segments[0]!.id, segments[1]!.id]);
    expect(plan.deletions.every((d) => d.reason === 'age')).toBe(true);
    expect(plan.cameras[0]).toMatchObject({ cameraId: 'a', segmentsDeleted: 2, removedMs: 2 * H, freedBytes: 200, keptBytes: 200, cutoffMs: cutoff });
  });

  it('uses each camera its own days, and the default for cameras no longer configured', () => {
    const old = NOW - 10 * D;
    const segments = [seg('short', old), seg('long', old), seg('removed', old)];
    const cameras = new Map([
      ['short', { cameraId: 'short', siteId: null, keepDays: 7 }],
      ['long', { cameraId: 'long', siteId: null, keepDays: 90 }],
    ]);
    const plan = planRetention({ nowMs: NOW, segments, holds: [], policy: policy({ cameras, defaultKeepDays: 5 }) });
    expect(plan.deletions.map((d) => d.cameraId).sort()).toEqual(['removed', 'short']);
  });

  it('never deletes footage under a hold, even partly overlapping, and says which hold kept it', () => {
    const start = NOW - 40 * D;
    const segments = hours('a', start, 4);
    const holds: HeldRange[] = [
      { cameraId: 'a', startMs: start + H + 30 * 60_000, endMs: start + H + 31 * 60_000, why: 'case HS-1' }, // one minute inside hour 1
      { cameraId: 'a', startMs: start + 3 * H - 1, endMs: start + 3 * H + 1, why: 'export e1' }, // touches hours 2 and 3
      { cameraId: 'b', startMs: start, endMs: start + 4 * H, why: 'case other camera' },
    ];
    const plan = planRetention({ nowMs: NOW, segments, holds, policy: policy() });
    expect(plan.deletions.map((d) => d.id)).toEqual([segments[0]!.id]);
    expect(plan.cameras[0]!.heldKept.map((h) => h.why)).toEqual(['case HS-1', 'export e1']);
  });

  it('meets the store quota oldest first across cameras, after age', () => {
    const t = NOW - 3 * D;
    const segments = [seg('a', t, H, 100), seg('b', t + H, H, 100), seg('a', t + 2 * H, H, 100), seg('b', t + 3 * H, H, 100)];
    const plan = planRetention({ nowMs: NOW, segments, holds: [], policy: policy({ quotaBytes: 250 }) });
    expect(plan.deletions.map((d) => [d.id, d.reason])).toEqual([[segments[0]!.id, 'quota'], [segments[1]!.id, 'quota']]);
    expect(plan.quotas).toEqual([{ scope: 'store', quotaBytes: 250, beforeBytes: 400, afterBytes: 200, unmet: false }]);
  });

  it('counts age deletions before the quota and does not delete twice', () => {
    const segments = [seg('a', NOW - 60 * D, H, 500), seg('a', NOW - 2 * D, H, 100), seg('a', NOW - D, H, 100)];
    const plan = planRetention({ nowMs: NOW, segments, holds: [], policy: policy({ quotaBytes: 150 }) });
    expect(plan.deletions.map((d) => d.reason)).toEqual(['age', 'quota']);
    expect(plan.quotas[0]).toMatchObject({ beforeBytes: 200, afterBytes: 100, unmet: false });
  });

  it('reports an unmet quota rather than deleting held footage', () => {
    const segments = hours('a', NOW - 5 * H, 3, 100);
    const holds: HeldRange[] = [{ cameraId: 'a', startMs: NOW - 6 * H, endMs: NOW, why: 'case HS-9' }];
    const plan = planRetention({ nowMs: NOW, segments, holds, policy: policy({ quotaBytes: 100 }) });
    expect(plan.deletions).toEqual([]);
    expect(plan.quotas[0]).toEqual({ scope: 'store', quotaBytes: 100, beforeBytes: 300, afterBytes: 300, unmet: true });
    expect(plan.cameras[0]!.heldKept).toHaveLength(1);
  });

  it('applies a site quota to that site’s cameras only', () => {
    const t = NOW - 2 * D;
    const segments = [seg('ward-a', t, H, 100), seg('ward-a', t + H, H, 100), seg('ward-b', t - H, H, 100)];
    const plan = planRetention({
      nowMs: NOW, segments, holds: [],
      policy: policy({ siteQuotas: [{ siteId: 'ward-1', quotaBytes: 100, cameraIds: ['ward-a'] }] }),
    });
    expect(keys(plan)).toEqual([`ward-a@${(t - NOW) / H}h:quota`]);
    expect(plan.quotas).toEqual([{ scope: 'ward-1', quotaBytes: 100, beforeBytes: 200, afterBytes: 100, unmet: false }]);
  });

  it('is pure: the input arrays are left as they were', () => {
    const segments = [seg('a', NOW - 2 * H), seg('a', NOW - 60 * D)];
    const copy = structuredClone(segments);
    planRetention({ nowMs: NOW, segments, holds: [], policy: policy({ quotaBytes: 0 }) });
    expect(segments).toEqual(copy);
  });
});

describe('retentionPolicyFrom', () => {
  it('takes a camera’s days, else its nearest site’s, else the default; site quotas cover sites below', async () => {
    const { retentionPolicyFrom } = await import('../../src/retention/retention-policy.ts');
    const p = retentionPolicyFrom({
      timeZone: HCM,
      retention: { days: 30, warnAtFraction: 0.9, schedule: '30 2 * * *', quotaBytes: 1000 },
      sites: [
        { id: 'district-1', name: 'District 1', retentionDays: 90, quotaBytes: 500 },
        { id: 'ward-a', name: 'Ward A', parent: 'district-1' },
        { id: 'ward-b', name: 'Ward B', parent: 'district-1', retentionDays: 60 },
        { id: 'other', name: 'Other' },
      ],
      cameras: [
        { id: 'a1', site: 'ward-a', audio: 'auto', enabled: true },
        { id: 'b1', site: 'ward-b', audio: 'auto', enabled: true },
        { id: 'b2', site: 'ward-b', audio: 'auto', enabled: true, retentionDays: 7 },
        { id: 'o1', site: 'other', audio: 'auto', enabled: true },
        { id: 'n1', audio: 'auto', enabled: true },
      ],
    });
    expect(Object.fromEntries([...p.cameras].map(([id, c]) => [id, c.keepDays]))).toEqual({ a1: 90, b1: 60, b2: 7, o1: 30, n1: 30 });
    expect(p.siteQuotas).toEqual([{ siteId: 'district-1', quotaBytes: 500, cameraIds: ['a1', 'b1', 'b2'] }]);
    expect(p.quotaBytes).toBe(1000);
    expect(p.timeZone).toBe(HCM);
  });
});
