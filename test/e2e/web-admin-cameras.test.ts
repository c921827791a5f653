import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { ensureLoopbackMulticast } from '../../recorder/sim/ws-discovery.ts';
import { launchChromium, officePage, screenshot, unexpectedErrors } from '../helpers/browser.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { ensureWebBuilt } from '../helpers/web-build.ts';
import { addUser, ADMIN, loginAs, SITES } from './web-fixture.ts';

// The admin pages against a real `vigil --simulate 2` (all roles, its own simulated cameras
// answering WS-Discovery): find cameras on the network (Vigil's own two are marked as added,
// a new camera on the network can be picked), test a connection with a wrong password (the
// plain reason shown), add the camera and see it recording without a restart; edit retention
// days and see the value kept after a reload; ops see the camera list but no admin actions.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NEW_CAM = defaultSpec(0, { id: 'new-door', name: 'Quầy số 9', video: 'h264', audio: 'none', password: 'cua-moi-2026' });
const WRONG = 'mat-khau-sai';
const OPS = { username: 'kythuat', displayName: 'Lê Văn Kỹ', role: 'ops', password: 'mật khẩu kỹ thuật 2026' };

describe('web UI: camera and retention administration', () => {
  let dir: string;
  let configFile: string;
  let url: string;
  let child: ChildProcess | undefined;
  let out = '';
  let newCam: CameraSimulator;
  let browser: Browser;

  beforeAll(async () => {
    await ensureLoopbackMulticast();
    await ensureWebBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-e2e-admin-'));
    configFile = path.join(dir, 'vigil.json');
    const port = await freePort();
    writeFileSync(configFile, JSON.stringify({ dataDir: path.join(dir, 'data'), http: { port }, recorder: { segmentMs: 2_000 }, metrics: { enabled: false }, sites: SITES }, null, 2));
    execFileSync(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', 'user', 'add', '--username', ADMIN.username, '--role', 'admin', '--name', 'Quản trị', '--password', '-', '--config', configFile], { cwd: repoRoot, input: `${ADMIN.password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
    // A camera on the network that Vigil does not know yet (it answers WS-Discovery too).
    newCam = await CameraSimulator.start({ cameras: [NEW_CAM], media: { loopSeconds: 4 } });
    child = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', '--simulate', '2', '--config', configFile], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out = (out + String(d)).slice(-200_000)));
    child.stderr!.on('data', (d) => (out = (out + String(d)).slice(-200_000)));
    url = `http://127.0.0.1:${port}`;
    await waitFor('Vigil to answer HTTP', async () => child!.exitCode === null && (await fetch(`${url}/api/openapi.json`).catch(() => null))?.ok === true, { timeoutMs: 90_000, intervalMs: 300 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${out.slice(-3000)}`);
    });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await newCam?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds cameras, explains a wrong password, adds a camera that then records', async () => {
    const { page, problems, context } = await officePage(browser, url);
    await loginAs(page, ADMIN);
    await page.getByRole('link', { name: 'Quản lý camera' }).click();
    await page.getByTestId('camera-add').waitFor();

    await page.getByRole('button', { name: 'Tìm camera trên mạng' }).click();
    const found = page.getByTestId('cam-discovered');
    await found.waitFor({ timeout: 20_000 });
    // Vigil's own simulated cameras are found and marked as added; the new one can be picked.
    await expect.poll(async () => page.locator('[data-testid=cam-discovered] tr[data-configured=cam-1], [data-testid=cam-discovered] tr[data-configured=cam-2]').count()).toBe(2);
    const row = found.locator(`tr[data-address="127.0.0.1:${newCam.cameras[0]!.onvif.port}"]`);
    expect(await row.textContent()).toContain('Quầy số 9');
    await row.getByTestId('cam-pick').click();
    expect(await page.getByTestId('cam-host').inputValue()).toBe('127.0.0.1');
    expect(await page.getByTestId('cam-port').inputValue()).toBe(String(newCam.cameras[0]!.onvif.port));
    expect(await page.getByTestId('cam-name').inputValue()).toBe('Quầy số 9');
    expect(await page.getByTestId('cam-id').inputValue()).toBe('quay-so-9');
    await screenshot(page, 'web-admin-cameras-discovered');

    // A wrong password: the reason in plain Vietnamese words, the password nowhere on the page.
    await page.getByTestId('cam-password').fill(WRONG);
    await page.getByRole('button', { name: 'Kiểm tra kết nối' }).click();
    const err = page.locator('[data-testid=cam-error][data-code=camera_auth_failed]');
    await err.waitFor({ timeout: 20_000 });
    expect(await err.textContent()).toContain('Sai mật khẩu camera');
    expect(await page.locator('main').textContent()).not.toContain(WRONG);
    await err.scrollIntoViewIfNeeded();
    await screenshot(page, 'web-admin-cameras-wrong-password');

    // The right one: what Vigil would record.
    await page.getByTestId('cam-password').fill(NEW_CAM.password);
    await page.getByRole('button', { name: 'Kiểm tra kết nối' }).click();
    await page.getByTestId('cam-test-result').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('cam-main-stream').textContent()).toBe('H264 1920×1080');
    expect(await page.getByTestId('cam-test-result').textContent()).toContain('Kết nối tốt');

    // Keyboard: choose the site and add with Enter in the form.
    await page.getByTestId('cam-site').selectOption('ben-nghe');
    await page.getByTestId('cam-name').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('cam-added').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('cam-added').textContent()).toBe('Đã thêm camera quay-so-9. Camera đang được ghi hình.');
    const listed = page.locator('[data-testid=admin-cameras] tr[data-camera=quay-so-9]');
    await listed.waitFor();
    expect(await listed.textContent()).toContain('Phường Bến Nghé');
    await page.locator('[data-testid=admin-cameras] tr[data-camera=quay-so-9][data-state=recording]').waitFor({ timeout: 60_000 });
    await listed.scrollIntoViewIfNeeded();
    await screenshot(page, 'web-admin-cameras-added');

    // Written to the configuration file like `vigil camera add` (the file keeps the password).
    const file = JSON.parse(readFileSync(configFile, 'utf8')) as { cameras: Array<Record<string, any>> };
    expect(file.cameras).toEqual([{ id: 'quay-so-9', name: 'Quầy số 9', site: 'ben-nghe', onvif: { host: '127.0.0.1', port: newCam.cameras[0]!.onvif.port, username: 'admin', password: NEW_CAM.password }, audio: 'auto' }]);
    expect(out).not.toContain(NEW_CAM.password);
    expect(out).not.toContain(WRONG);
    expect(problems.failedRequests).toEqual(['POST 502 /api/v1/admin/cameras/test']);
    expect(unexpectedErrors(problems, [/502/])).toEqual([]);
    await context.close();
  }, 150_000);

  it('edits retention days, refuses a wrong value, and keeps the value after a reload', async () => {
    const { page, problems, context } = await officePage(browser, url);
    await loginAs(page, ADMIN);
    await page.getByRole('link', { name: 'Thời hạn lưu trữ' }).click();
    const days = page.getByTestId('ret-days');
    await days.waitFor();
    expect(await page.getByTestId('ret-days-source').textContent()).toBe('Đang dùng: 30 ngày · Theo tệp cấu hình');
    // When the next run is, in words (the configuration's default "30 2 * * *").
    expect(await page.locator('.page-head p').textContent()).toContain('lịch: hằng ngày lúc 02:30, múi giờ Asia/Ho_Chi_Minh');
    // A wrong value is refused before anything is sent.
    const wardDays = page.getByTestId('ret-site-ben-nghe-days');
    await wardDays.fill('0');
    await page.getByTestId('ret-save').click();
    await page.locator('.form-error', { hasText: 'Số ngày phải là số nguyên từ 1 trở lên.' }).first().waitFor();
    expect(await wardDays.getAttribute('aria-invalid')).toBe('true');
    await wardDays.fill('90');
    await days.fill('45');
    await page.getByTestId('ret-save').click();
    await page.locator('.notice-ok', { hasText: 'Đã lưu.' }).waitFor();
    await page.reload();
    await days.waitFor();
    expect(await days.inputValue()).toBe('45');
    expect(await page.getByTestId('ret-days-source').textContent()).toBe('Đang dùng: 45 ngày · Đã lưu trên trang này');
    expect(await wardDays.inputValue()).toBe('90');
    // A camera of that ward inherits the ward's value; the added one is listed too.
    expect(await page.getByTestId('ret-camera-quay-so-9-days-source').textContent()).toBe('Đang dùng: 90 ngày · Theo Phường Bến Nghé');
    await screenshot(page, 'web-admin-retention-edited');
    expect(problems.failedRequests).toEqual([]);
    expect(unexpectedErrors(problems)).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows ops the camera list without any admin action, and the API refuses them', async () => {
    const admin = await (await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }) }));
    const me = (await admin.json()) as { csrfToken: string };
    await addUser(url, { cookie: admin.headers.get('set-cookie')!.split(';')[0]!, csrf: me.csrfToken }, OPS);
    const { page, problems, context } = await officePage(browser, url);
    await loginAs(page, OPS);
    await page.getByRole('link', { name: 'Quản lý camera' }).click();
    await page.getByTestId('admin-cameras').waitFor();
    expect(await page.getByTestId('camera-add').count()).toBe(0);
    expect(await page.locator('nav').textContent()).not.toContain('Thời hạn lưu trữ');
    const refused = await page.evaluate(async () => (await fetch('/api/v1/admin/retention', { credentials: 'same-origin' })).status);
    expect(refused).toBe(403);
    expect(unexpectedErrors(problems, [/403/])).toEqual([]);
    await context.close();
  }, 60_000);
});
