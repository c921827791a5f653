import { describe, expect, it } from 'vitest';
import { backfillWaitReason, effectiveQuotaBytes, spoolHoldsBackBackfill, SPOOL_DISK_RESERVE_BYTES } from '../../recorder/spool-quota.ts';

const MB = 1_000_000;
const GB = 1_000 * MB;

describe('effective spool quota', () => {
  it.each([
    // [configured, used, disk, expected]
    { name: 'no disk reading: the configured quota', configured: 10 * GB, used: 3 * GB, disk: null, want: 10 * GB },
    { name: 'roomy disk: the configured quota', configured: 10 * GB, used: 3 * GB, disk: { sizeBytes: 500 * GB, freeBytes: 400 * GB }, want: 10 * GB },
    { name: 'fuller disk: what is held plus free, minus the 64 MiB reserve', configured: 10 * GB, used: 3 * GB, disk: { sizeBytes: 500 * GB, freeBytes: 1 * GB }, want: 4 * GB - SPOOL_DISK_RESERVE_BYTES },
    { name: 'small disk: the reserve is at most a quarter of it', configured: 10 * GB, used: 10 * MB, disk: { sizeBytes: 100 * MB, freeBytes: 80 * MB }, want: 90 * MB - 25 * MB },
    { name: 'a full disk can leave less than is held (drops follow)', configured: 10 * GB, used: 2 * GB, disk: { sizeBytes: 500 * GB, freeBytes: 0 }, want: 2 * GB - SPOOL_DISK_RESERVE_BYTES },
  ])('$name', ({ configured, used, disk, want }) => {
    expect(effectiveQuotaBytes(configured, used, disk)).toBe(want);
  });
});

describe('backfill waits for the spool', () => {
  it.each([
    { name: 'not measured yet', usage: null, waits: false },
    { name: 'empty spool', usage: { usedBytes: 0, quotaBytes: 10 * GB }, waits: false },
    { name: 'exactly half', usage: { usedBytes: 5 * GB, quotaBytes: 10 * GB }, waits: false },
    { name: 'over half', usage: { usedBytes: 5 * GB + 1, quotaBytes: 10 * GB }, waits: true },
    { name: 'quota below zero (full disk)', usage: { usedBytes: 1, quotaBytes: -5 * MB }, waits: true },
  ])('$name', ({ usage, waits }) => {
    const why = spoolHoldsBackBackfill(usage);
    expect(why !== null).toBe(waits);
    if (why) expect(why).toMatch(/^the spool holds \d+ MB of the \d+ MB it may hold$/);
  });

  it('says the figures in megabytes', () => {
    expect(spoolHoldsBackBackfill({ usedBytes: 7_400 * MB, quotaBytes: 10 * GB })).toBe('the spool holds 7400 MB of the 10000 MB it may hold');
  });
});

describe('why a backfill job waits (live first)', () => {
  const roomy = { usedBytes: 1 * GB, quotaBytes: 10 * GB };
  it.each([
    { name: 'nothing waits, spool roomy', pending: 0, cameras: 3, usage: roomy, want: null },
    { name: 'a few live segments wait (under max(4, 2 × cameras))', pending: 6, cameras: 3, usage: roomy, want: null },
    { name: 'more wait than 2 × cameras: the store is behind', pending: 7, cameras: 3, usage: roomy, want: /^7 live segments wait for the object store$/ },
    { name: 'one camera: at most 4 may wait', pending: 5, cameras: 1, usage: roomy, want: /^5 live segments wait/ },
    { name: 'the store keeps up but the spool is over half full', pending: 0, cameras: 3, usage: { usedBytes: 6 * GB, quotaBytes: 10 * GB }, want: /^the spool holds 6000 MB/ },
    { name: 'both: the store reason is given', pending: 9, cameras: 3, usage: { usedBytes: 6 * GB, quotaBytes: 10 * GB }, want: /wait for the object store/ },
  ])('$name', ({ pending, cameras, usage, want }) => {
    const why = backfillWaitReason(pending, cameras, usage);
    if (want === null) expect(why).toBeNull();
    else expect(why).toMatch(want);
  });
});
