import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, officePage, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { startVigil, waitForRecording, type VigilUnderTest } from '../helpers/vigil-process.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { validateConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { createObjectStore } from '../../src/store/object-store.ts';
import { initSegmentLength } from '../../src/mp4-boxes.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { testSegmentBytes } from '../integration/api-footage-harness.ts';
import { ADMIN, CAMERA_SITES, CAMERAS, loginAs, SITES } from './web-fixture.ts';

// Footage recovered from the camera's own storage, on the camera page of a real Vigil in
// Chromium: two minutes of backfilled segments (real ffmpeg-made fMP4, stored and indexed
// as the backfill engine does) right before the camera's live recording. The timeline draws
// them striped as their own span, the legend names them, and hovering says so.
const CAM = CAMERAS[0]!;

describe('web UI: backfilled footage on the camera timeline', () => {
  let vigil: VigilUnderTest;
  let browser: Browser;
  let backStartMs = 0;
  let liveStartMs = 0;

  beforeAll(async () => {
    await ensureWebBuilt();
    [vigil, browser] = await Promise.all([startVigil({ cameras: [CAM], sites: SITES, cameraSites: CAMERA_SITES, admin: ADMIN }), launchChromium()]);
    const admin = await vigil.login(ADMIN.username, ADMIN.password);
    await waitForRecording(vigil, admin, [CAM.id], 4_000);
    const config = validateConfig({ dataDir: vigil.dataDir }, { env: {}, cwd: vigil.dataDir });
    const db = await openDatabase(config.database);
    try {
      const first = await db.selectFrom('segments').select(['start_ms']).where('camera_id', '=', CAM.id).orderBy('start_ms').limit(1).executeTakeFirstOrThrow();
      liveStartMs = Number(first.start_ms);
      backStartMs = liveStartMs - 120_000;
      const bytes = await testSegmentBytes();
      const dir = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-back-'));
      const file = path.join(dir, 'seg.mp4');
      writeFileSync(file, bytes);
      const store = createObjectStore(config);
      const segments = new SegmentsRepo(db, () => Date.now());
      for (let t = backStartMs; t < liveStartMs; t += 4_000) {
        const objectKey = segmentKey(CAM.id, t, 4_000);
        await store.put(objectKey, { filePath: file });
        await segments.insert({ cameraId: CAM.id, startMs: t, durationMs: 4_000, sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), objectKey, initBytes: initSegmentLength(bytes)!, source: 'backfill' });
      }
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await db.destroy();
    }
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  it('draws the recovered span distinctly, with its legend entry and hover text', async () => {
    const { page, problems } = await officePage(browser, vigil.url);
    await loginAs(page, ADMIN);
    await page.goto(`/cameras/${CAM.id}?at=${backStartMs + 60_000}&zoom=hour`);

    const back = page.locator('.timeline-bar .block.span-backfill');
    await back.first().waitFor();
    expect(await back.count()).toBe(1);
    expect(await back.first().getAttribute('data-source')).toBe('backfill');
    expect(await back.first().getAttribute('title')).toBe('Có ghi hình, khôi phục từ thẻ nhớ camera sau khi mất kết nối');
    // The live footage after it is a separate, plain span.
    expect(await page.locator('.timeline-bar .block.span:not(.span-backfill)').count()).toBeGreaterThanOrEqual(1);
    const legend = page.getByTestId('legend-backfill');
    await legend.waitFor();
    expect((await legend.textContent())?.trim()).toBe('Khôi phục từ thẻ nhớ camera');
    // Drawn differently from live footage: a striped background, not the plain colour.
    const [backBg, liveBg] = await page.evaluate(() => [
      getComputedStyle(document.querySelector('.timeline-bar .block.span-backfill')!).backgroundImage,
      getComputedStyle(document.querySelector('.timeline-bar .block.span:not(.span-backfill)')!).backgroundImage,
    ]);
    expect(backBg).toContain('repeating-linear-gradient');
    expect(liveBg).toBe('none');

    // Hovering the recovered span says where the footage came from.
    const box = (await back.first().boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(async () => (await page.getByTestId('timeline-hover').textContent()) ?? '').toContain('khôi phục từ thẻ nhớ camera');
    await screenshot(page, 'web-timeline-backfill');

    // The API the page reads says the same.
    const admin = await vigil.login(ADMIN.username, ADMIN.password);
    const q = `start=${encodeURIComponent(new Date(backStartMs - 60_000).toISOString())}&end=${encodeURIComponent(new Date(liveStartMs + 4_000).toISOString())}`;
    const tl = (await (await fetch(`${vigil.url}/api/v1/cameras/${CAM.id}/timeline?${q}`, { headers: { cookie: admin.cookie } })).json()) as { spans: Array<{ startMs: number; endMs: number; source: string }> };
    expect(tl.spans[0]).toMatchObject({ startMs: backStartMs, endMs: liveStartMs, source: 'backfill' });
    expect(tl.spans[1]).toMatchObject({ startMs: liveStartMs, source: 'live' });
    expect(unexpectedErrors(problems)).toEqual([]);
  });
});
