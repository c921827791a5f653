import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, officePage, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { startVigil, waitForRecording, type VigilUnderTest } from '../helpers/vigil-process.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { ADMIN, CAMERA_SITES, CAMERAS, SITES } from './web-fixture.ts';

// Log in (by keyboard), see the grid of cameras by site with their state, switch language;
// and the UI is served the way a browser needs it (SPA fallback, caching, CSP).
describe('web UI: login, camera grid, language', () => {
  let vigil: VigilUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    await ensureWebBuilt();
    [vigil, browser] = await Promise.all([startVigil({ cameras: CAMERAS, sites: SITES, cameraSites: CAMERA_SITES, admin: ADMIN }), launchChromium()]);
    await waitForRecording(vigil, await vigil.login(ADMIN.username, ADMIN.password), CAMERAS.map((c) => c.id), 2_000);
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  it('logs in with the keyboard, shows the cameras by site with their state, and switches to English', async () => {
    const { page, problems, context } = await officePage(browser, vigil.url);
    await page.goto('/');
    // Vietnamese by default; focus starts in the username field.
    await expect.poll(() => page.locator('h1').textContent()).toBe('Đăng nhập');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('vi');
    await page.keyboard.type(ADMIN.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type('sai mật khẩu');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.form-error').textContent()).toContain('Sai tên đăng nhập hoặc mật khẩu');
    await screenshot(page, 'web-login-wrong-password');
    await page.locator('input[name=password]').fill(ADMIN.password);
    await page.keyboard.press('Enter');

    // The grid: both wards, each camera recording, "since" shown in the office zone (UTC+7).
    await page.locator('h1', { hasText: 'Camera theo đơn vị' }).waitFor();
    const groups = page.locator('.site-group h2');
    await expect.poll(() => groups.allTextContents()).toEqual([expect.stringContaining('Thành phố Hồ Chí Minh › Quận 1 › Phường Bến Nghé'), expect.stringContaining('Thành phố Hồ Chí Minh › Quận 1 › Phường Đa Kao')]);
    for (const c of CAMERAS) {
      const tile = page.locator(`[data-camera="${c.id}"]`);
      await expect.poll(() => tile.locator('.badge').textContent(), { timeout: 20_000 }).toBe('Đang ghi hình');
      expect(await tile.locator('.tile-name').textContent()).toBe(c.name);
      const since = await tile.locator(".tile-since").textContent();
      const m = /từ (\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})/.exec(since ?? '');
      expect(m, since ?? '').not.toBeNull();
      // The shown wall time is the office zone's: it differs from the PC's UTC by 7 hours.
      const shownAsUtc = Date.UTC(Number(m![3]), Number(m![2]) - 1, Number(m![1]), Number(m![4]), Number(m![5]), Number(m![6]));
      expect(Math.abs(shownAsUtc - 7 * 3_600_000 - Date.now())).toBeLessThan(5 * 60_000);
    }
    await page.locator('.who-name').waitFor();
    expect(await page.locator('.who-name').textContent()).toContain('Quản trị hệ thống');
    await screenshot(page, 'web-grid-vi');

    // English, kept across a reload.
    await page.getByTestId('lang-switch').click();
    await page.locator('h1', { hasText: 'Cameras by site' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await expect.poll(() => page.locator(`[data-camera="${CAMERAS[0]!.id}"] .badge`).textContent()).toBe('Recording');
    expect(await page.locator('nav').textContent()).toContain('Find footage');
    await page.reload();
    await page.locator('h1', { hasText: 'Cameras by site' }).waitFor();
    await screenshot(page, 'web-grid-en');

    // Keyboard: Tab from the top reaches the skip link, then the menu.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');

    // The only failed request is the wrong password.
    expect(problems.failedRequests).toEqual(['POST 401 /api/v1/auth/login']);
    expect(unexpectedErrors(problems, [/401/])).toEqual([]);
    await context.close();
  });

  it('shows the snapshot wall and watches a counter live', async () => {
    const { page, problems, context } = await officePage(browser, vigil.url);
    await page.goto('/');
    await page.locator('input[name=username]').fill(ADMIN.username);
    await page.locator('input[name=password]').fill(ADMIN.password);
    await page.keyboard.press('Enter');
    // The wall: every recording camera's tile shows a live snapshot.
    for (const c of CAMERAS) {
      await page.waitForFunction((id) => (document.querySelector<HTMLImageElement>(`[data-camera="${id}"] .tile-picture img`)?.naturalWidth ?? 0) > 0, c.id, { timeout: 20_000 });
    }
    await screenshot(page, 'web-grid-wall');
    // Live: open the first camera from its tile; the live video plays and keeps playing.
    const openedAt = Date.now();
    await page.locator(`[data-camera="${CAMERAS[0]!.id}"] a`).click();
    const live = page.getByTestId('live-video');
    await live.waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid=live-video]')?.currentTime ?? 0) > 0, undefined, { timeout: 20_000 });
    const firstFrameMs = Date.now() - openedAt;
    const t1 = await live.evaluate((v: HTMLVideoElement) => v.currentTime);
    await page.waitForFunction((t) => (document.querySelector<HTMLVideoElement>('[data-testid=live-video]')?.currentTime ?? 0) > t + 2, t1, { timeout: 20_000 });
    const state = await live.evaluate((v: HTMLVideoElement) => ({ w: v.videoWidth, h: v.videoHeight, behindS: v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : null }));
    expect(state.w).toBeGreaterThan(0);
    expect(state.behindS).not.toBeNull();
    expect(state.behindS!).toBeLessThan(2);
    console.log(`live: tile click → first frame ${firstFrameMs} ms; ${state.w}×${state.h}; ${state.behindS!.toFixed(2)} s behind the newest buffered frame`);
    await screenshot(page, 'web-camera-live');
    expect(problems.failedRequests).toEqual([]);
    expect(unexpectedErrors(problems)).toEqual([]);
    await context.close();
  });

  it('serves the UI with the SPA fallback, long-lived hashed assets, a revalidated page and a strict CSP', async () => {
    const page = await fetch(`${vigil.url}/cases/some-case`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('&quot;timeZone&quot;:&quot;Asia/Ho_Chi_Minh&quot;');
    const etag = page.headers.get('etag')!;
    expect((await fetch(`${vigil.url}/cases/some-case`, { headers: { accept: 'text/html', 'if-none-match': etag } })).status).toBe(304);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${vigil.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // Unknown API paths stay problems, not the page; a missing asset is a 404.
    const api = await fetch(`${vigil.url}/api/v1/nothing-here`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${vigil.url}/assets/missing-123.js`)).status).toBe(404);
    expect((await fetch(`${vigil.url}/assets/..%2f..%2fpackage.json`)).status).toBe(404);
  });
});
