import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';

// The written policy when the store stays down past the spool quota: keep recording the
// newest footage, drop the oldest waiting segments, and record each dropped interval as a
// spool_full gap. Nothing disappears silently.
describe('spool quota policy', () => {
  let minio: MinioServer;
  let h: RecorderHarness;

  beforeAll(async () => {
    minio = await startMinio();
    // About three 4-second 1080p segments fit (≈1 MB each).
    h = await startRecorderHarness({ cameras: [defaultSpec(0, { id: 'hall', video: 'h264', audio: 'none' })], minio, segmentMs: 4_000, spoolQuotaBytes: 3_500_000, quotaCheckMs: 500 });
  }, 60_000);
  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await minio?.destroy();
  });

  it('drops the oldest segments as spool_full gaps and keeps recording', async () => {
    const gaps = new GapsRepo(h.db, () => Date.now());
    await minio.stop({ hard: true });
    await waitFor('two spool_full gaps', async () => (await gaps.overlapping('hall', { startMs: 0, endMs: Number.MAX_SAFE_INTEGER })).filter((g) => g.reason === 'spool_full').length >= 2, { timeoutMs: 90_000, intervalMs: 500 });
    expect(h.recorder.cameraStates()[0]!.state).toBe('recording');
    expect(await h.recorder.spool.usedBytes()).toBeLessThan(3_500_000 + 3_000_000); // quota + one open segment
    const dropped = await h.recorder.metrics.spoolDropped.get();
    expect(dropped.values[0]?.value).toBeGreaterThanOrEqual(2);
    await minio.restart();
    await waitFor('the spool to drain', async () => (await h.recorder.spool.listReady('hall')).length === 0, { timeoutMs: 60_000, intervalMs: 500 });
    await h.recorder.stop();
    const acc = await h.accounting('hall');
    expect(acc.problems).toEqual([]);
    expect(acc.gaps.every((g) => g.reason === 'spool_full')).toBe(true);
    expect(h.logLines.some((l) => l.includes('spool full: oldest segments dropped'))).toBe(true);
  }, 200_000);
});
