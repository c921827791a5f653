import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, officePage, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { startVigil, waitForRecording, type VigilUnderTest } from '../helpers/vigil-process.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { addUser, ADMIN, CAMERA_SITES, CAMERAS, loginAs, SITES } from './web-fixture.ts';

// Operations staff see a camera outage appear on the ops page (down now and since when),
// then the gap it left in today's list with its reason; they see no footage. Admins manage
// accounts and roles, and see the cameras and the retention settings pages.
const OPS = { username: 'kythuat', displayName: 'Lê Văn Kỹ', role: 'ops', password: 'mật khẩu kỹ thuật 2026' };
const CAM = CAMERAS[0]!;

describe('web UI: operations and administration', () => {
  let vigil: VigilUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    await ensureWebBuilt();
    [vigil, browser] = await Promise.all([startVigil({ cameras: CAMERAS, sites: SITES, cameraSites: CAMERA_SITES, admin: ADMIN }), launchChromium()]);
    const admin = await vigil.login(ADMIN.username, ADMIN.password);
    await addUser(vigil.url, admin, OPS);
    await waitForRecording(vigil, admin, CAMERAS.map((c) => c.id), 4_000);
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  it('shows a camera outage on the ops page while it lasts, then the gap with its reason', async () => {
    const { page, problems, context } = await officePage(browser, vigil.url);
    await loginAs(page, OPS);
    // Ops staff land on the ops page; they have no footage menu.
    await page.locator('h1', { hasText: 'Vận hành' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/ops');
    expect(await page.locator('nav').textContent()).not.toContain('Tìm đoạn video');
    await page.getByTestId('ops-all-up').waitFor();
    expect(await page.getByTestId('ops-all-up').textContent()).toBe('Tất cả 2 camera đang ghi hình.');

    // The camera's network goes away for 12 s.
    const faultAt = Date.now();
    const sim = vigil.sim.cameras.find((c) => c.spec.id === CAM.id)!;
    sim.faults.set({ refuse: true }, 12_000);
    sim.faults.dropSessions();
    const down = page.locator(`[data-testid=ops-down-list] [data-camera="${CAM.id}"]`);
    await down.waitFor({ timeout: 20_000 });
    const text = (await down.textContent()) ?? '';
    expect(text).toContain(CAM.name);
    expect(text).toContain('Phường Bến Nghé');
    expect(text).toMatch(/(Đang kết nối lại|Đang kết nối|Mất kết nối|Mất tín hiệu hình) từ \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}/);
    console.log(`outage shown on the ops page ${Date.now() - faultAt} ms after the fault: ${text}`);
    await screenshot(page, 'web-ops-outage');

    // Back: the camera records again and today's gaps list the outage as "Mất kết nối".
    await page.getByTestId('ops-all-up').waitFor({ timeout: 60_000 });
    const gap = page.locator(`[data-testid=ops-gaps] tr[data-camera="${CAM.id}"][data-reason=camera_unreachable]`);
    await gap.waitFor({ timeout: 20_000 });
    expect(await gap.textContent()).toContain('Mất kết nối');
    // The week's office-hours uptime, from the report route, one row per camera.
    await page.getByTestId('ops-uptime').waitFor();
    expect(await page.locator('[data-testid=ops-uptime] tbody tr').count()).toBe(2);
    await screenshot(page, 'web-ops-gap');

    // Ops see states, not pictures: the camera page says so.
    await page.goto(`/cameras/${CAM.id}`);
    await page.locator('.player-note', { hasText: 'Tài khoản của bạn không được xem hình ảnh' }).waitFor();
    expect(problems.failedRequests).toEqual([]);
    expect(unexpectedErrors(problems)).toEqual([]);
    await context.close();
  }, 120_000);

  it('lets an admin add an account, change its role, and see cameras and retention', async () => {
    const { page, problems, context } = await officePage(browser, vigil.url);
    await loginAs(page, ADMIN);
    await page.getByRole('link', { name: 'Tài khoản' }).click();
    await page.getByTestId('users-table').waitFor();
    await page.getByTestId('new-user').click();
    await page.getByTestId('new-user-username').fill('thanhtra');
    await page.getByTestId('new-user-name').fill('Phạm Thu Trang');
    await page.getByTestId('new-user-role').selectOption('viewer');
    await page.getByTestId('new-user-password').fill('ngắn');
    await page.getByTestId('new-user-submit').click();
    // The API's reason for refusing a short password is shown.
    await page.locator('.state-error', { hasText: 'password' }).waitFor();
    await page.getByTestId('new-user-password').fill('mật khẩu thanh tra 2026');
    await page.getByTestId('new-user-submit').click();
    await page.locator('.notice-ok', { hasText: 'Đã thêm tài khoản thanhtra.' }).waitFor();
    const row = page.locator('tr[data-user=thanhtra]');
    await row.getByTestId('user-edit').click();
    await row.getByTestId('user-role').selectOption('investigator');
    await row.getByLabel('Phường Đa Kao').check();
    await row.getByRole('button', { name: 'Lưu' }).click();
    await page.locator('.notice-ok', { hasText: 'Đã lưu thay đổi của thanhtra.' }).waitFor();
    await expect.poll(() => row.getByTestId('user-role-text').textContent()).toBe('Cán bộ xử lý khiếu nại');
    expect(await row.textContent()).toContain('Phường Đa Kao');
    await screenshot(page, 'web-admin-users');

    await page.getByRole('link', { name: 'Quản lý camera' }).click();
    await page.getByTestId('admin-cameras').waitFor();
    expect(await page.getByTestId('admin-cameras').textContent()).toContain(CAMERAS[1]!.id);
    expect(await page.locator('main').textContent()).toContain('vigil probe');
    await screenshot(page, 'web-admin-cameras');
    await page.getByRole('link', { name: 'Thời hạn lưu trữ' }).click();
    await page.locator('h1', { hasText: 'Thời hạn lưu trữ' }).waitFor();
    await screenshot(page, 'web-admin-retention');
    expect(problems.failedRequests).toEqual(['POST 400 /api/v1/users']);
    expect(unexpectedErrors(problems, [/400/])).toEqual([]);
    await context.close();
  });
});
