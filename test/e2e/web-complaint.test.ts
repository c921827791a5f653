import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, officePage, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { startVigil, waitForRecording, type VigilUnderTest } from '../helpers/vigil-process.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { waitFor } from '../helpers/wait.ts';
import { addUser, ADMIN, CAMERA_SITES, CAMERAS, loginAs, playingAt, shownMs, SITES, TZ_OFFSET_MS } from './web-fixture.ts';

// The complaint handler's job in a real Chromium against a real Vigil: find the counter's
// footage at the time the citizen gave, watch it, click the timeline to play another
// instant (thumbnails on hover), mark in and out, add the clip to a new case with a reason,
// export the evidence package (progress shown), download it and check it with `vigil verify`.
// And a leader (viewer) sees no clip or export controls, and the API refuses the export.
const HANDLER = { username: 'canbo.noivu', displayName: 'Nguyễn Thị Hoa', role: 'investigator', password: 'mật khẩu cán bộ 2026' };
const LEADER = { username: 'lanhdao', displayName: 'Trần Văn Minh', role: 'viewer', password: 'mật khẩu lãnh đạo 2026' };
const CAM = CAMERAS[1]!; // H.264 with B-frames and AAC: the harder case for playback joins

/** "dd/mm/yyyy HH:mm:ss" in the office zone (UTC+7) → epoch ms. */
const office = (ms: number) => new Date(ms + TZ_OFFSET_MS).toISOString();

/** Marks the video shown now, so waitPlaying waits for the next player. */
async function markOldVideo(page: Page) {
  await page.evaluate(() => document.querySelector('[data-testid=playback-video]')?.setAttribute('data-old', '1'));
}

/** Waits until a new playback video shows frames and its time advances. */
async function waitPlaying(page: Page) {
  const info = async () => {
    await screenshot(page, 'web-failed-playback').catch(() => undefined);
    return JSON.stringify(await page.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid=playback-video]');
      return { note: document.querySelector('.player-box')?.textContent, status: document.querySelector('.player-status')?.textContent, video: v ? { t: v.currentTime, paused: v.paused, rs: v.readyState, err: v.error?.message, buffered: Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)]) } : null };
    }));
  };
  await page.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid=playback-video]');
      const w = window as unknown as { __t?: number };
      if (!v || v.hasAttribute('data-old') || v.paused || v.readyState < 3) return false;
      const advanced = w.__t !== undefined && v.currentTime > w.__t + 0.5;
      if (w.__t === undefined || v.currentTime < w.__t) w.__t = v.currentTime;
      return advanced;
    },
    undefined,
    { timeout: 20_000, polling: 100 },
  ).catch(async (e: Error) => {
    throw new Error(`${e.message}: ${await info()}`);
  });
  await page.evaluate(() => delete (window as unknown as { __t?: number }).__t);
}

describe('web UI: the complaint flow, end to end', () => {
  let vigil: VigilUnderTest;
  let browser: Browser;
  let lastFootageEndMs = 0;
  const work = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-dl-'));
  let caseId = '';

  beforeAll(async () => {
    await ensureWebBuilt();
    [vigil, browser] = await Promise.all([startVigil({ cameras: CAMERAS, sites: SITES, cameraSites: CAMERA_SITES, admin: ADMIN }), launchChromium()]);
    const admin = await vigil.login(ADMIN.username, ADMIN.password);
    await addUser(vigil.url, admin, { ...HANDLER, sites: ['quan-1'] });
    await addUser(vigil.url, admin, LEADER);
    await waitForRecording(vigil, admin, [CAM.id], 20_000);
    const cam = (await (await fetch(`${vigil.url}/api/v1/cameras/${CAM.id}`, { headers: { cookie: admin.cookie } })).json()) as { lastFootageEndMs: number };
    lastFootageEndMs = cam.lastFootageEndMs;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the footage, plays it, cuts a clip into a case, exports and verifies the evidence package', async () => {
    const { page, problems, context } = await officePage(browser, vigil.url);
    await loginAs(page, HANDLER);
    // 1. Find: site, counter, date and time the citizen gave (10 s before the latest footage).
    const askedMs = Math.floor((lastFootageEndMs - 10_000) / 1000) * 1000;
    await page.getByRole('link', { name: 'Tìm đoạn video' }).click();
    await page.getByTestId('find-site').selectOption('da-kao');
    await page.getByTestId('find-camera').selectOption(CAM.id);
    const iso = office(askedMs);
    await page.getByTestId('find-date').fill(`${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`);
    await page.getByTestId('find-time').fill(iso.slice(11, 19));
    await screenshot(page, 'web-find');
    const submittedAt = Date.now();
    await page.getByTestId('find-submit').click();

    // 2. Watch: playback starts at the asked instant (the keyframe at or before it, GOP 2 s).
    await waitPlaying(page).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(problems)}\n${vigil.output().slice(-2000)}`);
    });
    const firstPlayMs = Date.now() - submittedAt;
    const started = await playingAt(page);
    expect(started).toBeGreaterThanOrEqual(askedMs - 2_500);
    expect(started).toBeLessThanOrEqual(askedMs + 3_000);
    expect(page.url()).toContain(`/cameras/${CAM.id}?at=${askedMs}&zoom=hour`);

    // 3. The timeline (hour zoom) shows the recorded span; hovering shows a thumbnail.
    const bar = page.getByTestId('timeline-bar');
    await page.locator('.timeline-bar .block.span').first().waitFor();
    const box = (await bar.boundingBox())!;
    const w = { start: Number(await bar.getAttribute('aria-valuemin')), end: Number(await bar.getAttribute('aria-valuemax')) };
    const xOf = (ms: number) => box.x + ((ms - w.start) / (w.end - w.start)) * box.width;
    const otherMs = askedMs + 4_000;
    await page.mouse.move(xOf(otherMs), box.y + box.height / 2);
    const thumb = page.getByTestId('timeline-thumb');
    await thumb.waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('[data-testid=timeline-thumb]')?.naturalWidth ?? 0) > 0);
    await screenshot(page, 'web-camera-hover');
    // Clicking an instant plays from there.
    await markOldVideo(page);
    const clickedAt = Date.now();
    await page.mouse.click(xOf(otherMs), box.y + box.height / 2);
    await waitPlaying(page);
    const clickPlayMs = Date.now() - clickedAt;
    const fromClick = await playingAt(page);
    const pxMs = (w.end - w.start) / box.width;
    expect(Math.abs(fromClick - otherMs)).toBeLessThanOrEqual(2_500 + pxMs);

    // The keyboard does the same: on the focused timeline, ← moves 10 s back, Enter plays.
    await bar.focus();
    const beforeKeys = await playingAt(page);
    await markOldVideo(page);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await waitPlaying(page);
    const fromKeys = await playingAt(page);
    expect(fromKeys).toBeGreaterThanOrEqual(beforeKeys - 10_000 - 2_500);
    expect(fromKeys).toBeLessThanOrEqual(beforeKeys - 10_000 + 3_000);

    // 4. Mark in now, out 3 s of picture later.
    await page.getByTestId('mark-in').click();
    const inMs = shownMs((await page.locator('.mark-row .muted').first().textContent()) ?? '');
    await waitFor('3 s of playback after mark in', async () => (await playingAt(page)) >= inMs + 3_000, { timeoutMs: 15_000 });
    await page.getByTestId('mark-out').click();
    await expect.poll(() => page.getByTestId('clip-length').textContent()).toMatch(/^Độ dài: [3-9] giây$/);
    expect(await page.getByTestId('clip-download').getAttribute('href')).toContain(`/api/v1/cameras/${CAM.id}/clip?start=`);

    // 5. Add to a new case, with a reason (required: first try without one).
    await page.getByTestId('case-select').selectOption('new');
    await page.getByTestId('new-case-reference').fill('KN-2026-015');
    await page.getByTestId('new-case-title').fill('Phản ánh thái độ phục vụ tại Quầy số 3');
    await page.getByTestId('add-to-case').click();
    await expect.poll(() => page.locator('.add-to-case .form-error').textContent()).toBe('Hãy ghi lý do trích xuất đoạn video này.');
    await page.getByTestId('clip-reason').fill('Công dân khiếu nại thái độ cán bộ Quầy số 3 lúc gần trưa');
    await page.getByTestId('add-to-case').click();
    await page.locator('.notice-ok', { hasText: 'Đã thêm đoạn video vào hồ sơ KN-2026-015' }).waitFor();
    await screenshot(page, 'web-camera-clip');

    // 6. The case page: the clip on hold; export it; progress; download.
    await page.getByRole('link', { name: 'Mở hồ sơ KN-2026-015' }).click();
    await page.getByTestId('case-clips').waitFor();
    caseId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    expect(await page.getByTestId('case-clips').textContent()).toContain('Lưu giữ (không xoá) theo hồ sơ');
    await page.getByTestId('export-open').click();
    expect(await page.getByTestId('export-reason').inputValue()).toContain('Công dân khiếu nại');
    await page.getByTestId('export-submit').click();
    const row = page.locator('[data-export]').first();
    await row.waitFor();
    const seen = new Set<string>();
    await waitFor('the export to finish', async () => {
      seen.add((await row.getAttribute('data-status')) ?? '');
      return (await row.getAttribute('data-status')) === 'done' || (await row.getAttribute('data-status')) === 'failed';
    }, { timeoutMs: 60_000, intervalMs: 100 });
    expect(await row.getAttribute('data-status'), await row.textContent() ?? '').toBe('done');
    await screenshot(page, 'web-case-exported');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-download').click()]);
    const tar = path.join(work, download.suggestedFilename());
    await download.saveAs(tar);
    expect(download.suggestedFilename()).toMatch(/^vigil-evidence-.+\.tar$/);
    const sha = createHash('sha256').update(readFileSync(tar)).digest('hex');
    expect(await row.textContent()).toContain(sha);

    // 7. Anyone can verify it offline.
    const verified = vigil.cli(['verify', tar]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    console.log(`find → playing (time advancing 0.5 s): ${firstPlayMs} ms; timeline click → playing: ${clickPlayMs} ms; export phases seen by the page: ${[...seen].join(' → ')}; package ${readFileSync(tar).length} bytes`);

    expect(problems.failedRequests).toEqual([]);
    expect(unexpectedErrors(problems)).toEqual([]);
    await context.close();
  });

  it('shows a leader (viewer) no clip, case or export controls, and the API refuses the export', async () => {
    expect(caseId).not.toBe('');
    const { page, problems, context } = await officePage(browser, vigil.url);
    await loginAs(page, LEADER);
    expect(await page.locator('nav').textContent()).not.toContain('Hồ sơ');
    await page.goto(`/cameras/${CAM.id}?at=${lastFootageEndMs - 8_000}&zoom=hour`);
    await waitPlaying(page);
    await page.locator('.clip-panel', { hasText: 'Tài khoản của bạn chỉ được xem' }).waitFor();
    expect(await page.getByTestId('mark-in').count()).toBe(0);
    expect(await page.getByTestId('add-to-case').count()).toBe(0);
    expect(await page.getByTestId('clip-download').count()).toBe(0);
    await screenshot(page, 'web-camera-viewer');
    // The case page is not offered either; the API refuses the export itself.
    const answer = await page.evaluate(async ({ caseId, camera, start, end }) => {
      const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
      const res = await fetch(`/api/v1/cases/${encodeURIComponent(caseId)}/exports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
        body: JSON.stringify({ cameraId: camera, start, end, reason: 'thử' }),
      });
      return { status: res.status, body: (await res.json()) as { code: string; detail: string } };
    }, { caseId, camera: CAM.id, start: office(lastFootageEndMs - 8_000).replace('Z', '+07:00'), end: office(lastFootageEndMs - 4_000).replace('Z', '+07:00') });
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('forbidden');
    expect(problems.failedRequests).toEqual([`POST 403 /api/v1/cases/${caseId}/exports`]);
    expect(unexpectedErrors(problems, [/403/])).toEqual([]);
    await context.close();
  });
});
