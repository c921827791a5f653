import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';

// The object store goes away for a minute: recording must not notice. Segments wait in the
// spool and are uploaded when MinIO is back; not one second becomes a gap.
describe('object store outage', () => {
  let minio: MinioServer;
  let h: RecorderHarness;
  const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

  beforeAll(async () => {
    minio = await startMinio();
    h = await startRecorderHarness({ cameras: [defaultSpec(0, { id: 'lobby', video: 'h264', audio: 'aac' })], minio, segmentMs: 4_000 });
  }, 60_000);
  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await minio?.destroy();
  });

  it('MinIO stopped for 60 s: no gap, the spool holds the footage and drains after', async () => {
    const segments = new SegmentsRepo(h.db, () => Date.now());
    await waitFor('a first uploaded segment', async () => (await segments.overlapping('lobby', all)).length >= 1, { timeoutMs: 20_000 });
    let retries = 0;
    h.recorder.uploader.on('retry', () => retries++);
    await minio.stop({ hard: true });
    const downAt = Date.now();
    await waitFor('60 s of outage with footage piling up in the spool', async () => Date.now() - downAt >= 60_000 && (await h.recorder.spool.listReady('lobby')).length >= 10, { timeoutMs: 90_000, intervalMs: 1_000 });
    expect(retries).toBeGreaterThan(0);
    expect(h.recorder.cameraStates()[0]!.state).toBe('recording');
    await minio.restart();
    await waitFor('the spool to drain', async () => (await h.recorder.spool.listReady('lobby')).length === 0, { timeoutMs: 60_000, intervalMs: 500 });
    await h.recorder.stop();
    const acc = await h.accounting('lobby');
    expect(acc.problems).toEqual([]);
    expect(acc.gaps).toEqual([]);
    expect(acc.report.segmentMs).toBeGreaterThanOrEqual(60_000);
    for (const s of await segments.overlapping('lobby', all)) {
      expect(await h.store.stat(s.objectKey), s.objectKey).toMatchObject({ sizeBytes: s.sizeBytes });
    }
    expect(h.logLines.some((l) => l.includes('upload failed; will retry') && l.includes('does not answer'))).toBe(true);
    expect(h.logLines.join('\n')).not.toContain(minio.secretKey);
  }, 200_000);
});
