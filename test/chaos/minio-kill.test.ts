import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { chaosRandom } from './chaos-random.ts';
import { checkSystem } from './system-check.ts';

// MinIO is killed with SIGKILL three times at seeded moments (mid-PUT as likely as not) and
// started again after a seeded outage. Recording must not notice: not one gap, the spool
// drains, and the bucket holds exactly the indexed objects, byte for byte.
describe('chaos: MinIO killed and restarted', () => {
  let minio: MinioServer;
  let h: RecorderHarness;
  const ids = ['store-a', 'store-b'] as const;

  beforeAll(async () => {
    minio = await startMinio();
    h = await startRecorderHarness({
      cameras: [defaultSpec(0, { id: ids[0], video: 'h264', audio: 'aac' }), defaultSpec(1, { id: ids[1], video: 'h265', audio: 'pcma' })],
      minio,
      segmentMs: 2_000,
    });
  }, 60_000);
  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await minio?.destroy();
  });

  it('keeps every second and every byte through three store crashes', async () => {
    const rng = chaosRandom('MinIO kill -9');
    const uploaded = async () => Number((await h.db.selectFrom('segments').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    await waitFor('first uploads', async () => (await uploaded()) >= 2, { timeoutMs: 30_000, intervalMs: 200 });
    let retries = 0;
    h.recorder.uploader.on('retry', () => retries++);
    for (let round = 0; round < 3; round++) {
      const upMs = rng.int(500, 4_000);
      const downMs = rng.int(2_000, 8_000);
      console.log(`round ${round + 1}: MinIO up ${upMs} ms more, then killed for ${downMs} ms`);
      await new Promise((r) => setTimeout(r, upMs));
      await minio.stop({ hard: true });
      await new Promise((r) => setTimeout(r, downMs));
      await minio.restart();
      const before = await uploaded();
      await waitFor('uploads to resume', async () => (await uploaded()) > before, { timeoutMs: 40_000, intervalMs: 200 });
    }
    await waitFor('the spool to drain', async () => (await h.recorder.spool.listReady()).length === 0, { timeoutMs: 40_000, intervalMs: 200 });
    await h.recorder.stop();
    const stoppedAt = Date.now();
    expect(retries).toBeGreaterThan(0);

    const check = await checkSystem(h.db, h.store, { cameraIds: ids, stoppedAtMs: stoppedAt });
    console.log(`MinIO kills: ${check.segments} segments, ${retries} upload retries, gaps ${JSON.stringify(check.gapMsByReason)}`);
    expect(check.problems).toEqual([]);
    expect(check.objects).toBe(check.segments);
    expect(check.gapMsByReason).toEqual({});
    expect(h.recorder.cameraStates().map((c) => c.state)).toEqual(['stopped', 'stopped']);
  }, 200_000);
});
