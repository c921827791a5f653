import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { checkSystem } from './system-check.ts';

// The spool is a real 8 MiB disk (tmpfs, mounted as root) and the object store goes away, so
// the disk fills: about 16 s of two 1080p cameras. Recording must go on with the newest
// footage, drop the oldest as spool_full gaps, never let ffmpeg run into a full disk, and
// drain when the store is back. While the store is up, the small disk must cost nothing.
const DISK_BYTES = 8 * 1024 * 1024;

describe('chaos: spool disk filled', () => {
  let minio: MinioServer;
  let h: RecorderHarness;
  let mountDir: string;
  let mounted = false;
  const ids = ['disk-a', 'disk-b'] as const;

  beforeAll(async () => {
    minio = await startMinio();
    mountDir = mkdtempSync(path.join(tmpdir(), 'vigil-chaos-spool-'));
    // A real small disk: refused when not root, and then this scenario cannot run as asked.
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', mountDir]);
    mounted = true;
    h = await startRecorderHarness({
      cameras: [defaultSpec(0, { id: ids[0], video: 'h264', audio: 'pcma' }), defaultSpec(1, { id: ids[1], video: 'h264-bframes', audio: 'none' })],
      minio,
      spoolDir: mountDir,
      quotaCheckMs: 1_000,
    });
  }, 60_000);
  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await minio?.destroy();
    if (mounted) execFileSync('umount', ['-l', mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  });

  const gapsOf = async (reason: string) => (await h.db.selectFrom('gaps').selectAll().where('reason', '=', reason).execute());

  it('keeps the newest footage, accounts the dropped as spool_full and drains after', async () => {
    expect(statfsSync(mountDir).blocks * statfsSync(mountDir).bsize).toBe(DISK_BYTES);
    const uploaded = async () => Number((await h.db.selectFrom('segments').select((e) => e.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    // With the store up, a spool disk this small loses nothing.
    await waitFor('ten segments uploaded', async () => (await uploaded()) >= 10, { timeoutMs: 40_000, intervalMs: 200 });
    expect(await gapsOf('spool_full')).toEqual([]);

    await minio.stop({ hard: true });
    let maxSpoolBytes = 0;
    await waitFor('footage dropped as spool_full on both cameras', async () => {
      maxSpoolBytes = Math.max(maxSpoolBytes, await h.recorder.spool.usedBytes());
      const g = await gapsOf('spool_full');
      return ids.every((id) => g.filter((x) => x.camera_id === id).length >= 2);
    }, { timeoutMs: 60_000, intervalMs: 250 });
    // The disk was used: footage waited in the spool until the disk was most of the way full,
    // rather than being dropped as soon as the store went away.
    console.log(`spool held at most ${(maxSpoolBytes / 2 ** 20).toFixed(2)} MiB of ${DISK_BYTES / 2 ** 20} MiB`);
    expect(maxSpoolBytes).toBeGreaterThan(DISK_BYTES / 2);
    expect(h.recorder.cameraStates().map((c) => c.state)).toEqual(['recording', 'recording']);
    await minio.restart();
    await waitFor('the spool to drain', async () => (await h.recorder.spool.listReady()).length === 0, { timeoutMs: 40_000, intervalMs: 250 });
    const resumedAt = Date.now();
    await waitFor('footage after the store came back', async () => {
      const rows = await h.db.selectFrom('segments').select(['camera_id']).where('start_ms', '>=', resumedAt).execute();
      return ids.every((id) => rows.some((r) => r.camera_id === id));
    }, { timeoutMs: 30_000, intervalMs: 250 });
    await h.recorder.stop();
    const stoppedAt = Date.now();

    const check = await checkSystem(h.db, h.store, { cameraIds: ids, stoppedAtMs: stoppedAt });
    console.log(`spool disk full: ${check.segments} segments, gaps ${JSON.stringify(check.gapMsByReason)}`);
    expect(check.problems).toEqual([]);
    expect(check.objects).toBe(check.segments);
    // Only the policy dropped footage: ffmpeg never hit the full disk (that would be a
    // stream_error gap and a restart).
    expect(Object.keys(check.gapMsByReason)).toEqual(['spool_full']);
    expect(h.logLines.some((l) => /ENOSPC|No space left/i.test(l))).toBe(false);
  }, 200_000);
});
