import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { startMinio, type MinioServer } from '../helpers/minio.ts';
import { startRecorderHarness, type RecorderHarness } from '../helpers/recorder-harness.ts';
import { ffprobe } from '../helpers/ffprobe.ts';
import { waitFor } from '../helpers/wait.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// The recorder issue's main case: three kinds of office camera recorded for 60 s into a real
// MinIO; every segment object plays alone; segments and gaps account for every second.
describe('recording three kinds of camera into MinIO', () => {
  let minio: MinioServer;
  let h: RecorderHarness;
  const cams = [
    defaultSpec(0, { id: 'bframes-g711', video: 'h264-bframes', audio: 'pcma' }),
    defaultSpec(1, { id: 'h264-aac', video: 'h264', audio: 'aac' }),
    defaultSpec(2, { id: 'h265-silent', video: 'h265', audio: 'none' }),
  ];
  const expected = {
    'bframes-g711': { video: 'h264', audio: 'aac' },
    'h264-aac': { video: 'h264', audio: 'aac' },
    'h265-silent': { video: 'hevc', audio: null },
  } as const;

  beforeAll(async () => {
    minio = await startMinio();
    h = await startRecorderHarness({ cameras: cams, minio, segmentMs: 4_000 });
  });
  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await minio?.destroy();
  });

  it('stores 60 s of each camera as playable segments with no hole and no overlap', async () => {
    const segments = new SegmentsRepo(h.db, () => Date.now());
    const all = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };
    await waitFor(
      'every camera to have 60 s of stored footage',
      async () => {
        for (const c of cams) {
          const s = await segments.overlapping(c.id, all);
          if (s.reduce((n, x) => n + x.durationMs, 0) < 60_000) return false;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 1_000 },
    );
    await h.recorder.stop();
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-probe-'));
    for (const c of cams) {
      const acc = await h.accounting(c.id);
      expect(acc.problems, `${c.id}: ${acc.problems.join('; ')}`).toEqual([]);
      expect(acc.gaps).toEqual([]);
      expect(acc.report.segmentMs).toBeGreaterThanOrEqual(60_000);
      const rows = await segments.overlapping(c.id, all);
      for (const row of rows) {
        const data = await readAll(await h.store.get(row.objectKey));
        expect(data.length).toBe(row.sizeBytes);
        expect(data.toString('latin1', row.initBytes + 4, row.initBytes + 8)).toBe('moof');
        const file = path.join(dir, `${c.id}-${row.startMs}.mp4`);
        writeFileSync(file, data);
        const probe = await ffprobe(file);
        const video = probe.streams.find((s) => s.codec_type === 'video');
        const audio = probe.streams.find((s) => s.codec_type === 'audio');
        expect(video?.codec_name).toBe(expected[c.id as keyof typeof expected].video);
        expect(audio?.codec_name ?? null).toBe(expected[c.id as keyof typeof expected].audio);
        expect(Math.abs(Number(probe.format.duration) * 1000 - row.durationMs)).toBeLessThan(2_500);
      }
    }
  }, 240_000);

  it('kept what onboarding learnt with each camera: device, streams without credentials, clock offset', async () => {
    const stored = await new CamerasRepo(h.db, () => Date.now()).list();
    for (const c of cams) {
      const row = stored.find((r) => r.id === c.id);
      expect(row?.details.device).toMatchObject({ manufacturer: 'Vigil Simulator' });
      expect(typeof row?.details.clockOffsetMs).toBe('number');
      expect(Math.abs(row?.details.clockOffsetMs as number)).toBeLessThan(5_000);
      expect(row?.details.clockOffsetMeasuredMs).toBeGreaterThan(Date.now() - 600_000);
      expect(JSON.stringify(row?.details)).not.toContain(c.password);
      expect((row?.details.main as { rtspUrl: string }).rtspUrl).toMatch(/^rtsp:\/\/127\.0\.0\.1/);
    }
  });

  it('logged every camera by id and never a password', () => {
    const text = h.logLines.join('\n');
    for (const c of cams) {
      expect(text).toContain(`"cameraId":"${c.id}"`);
      expect(text).not.toContain(c.password);
    }
    expect(text).not.toContain(minio.secretKey);
  });
});
