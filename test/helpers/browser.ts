import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium through playwright-core, as an office PC shows Vigil: 1366×768, a time
 * zone other than the office's (UTC) so the tests prove times follow Vigil's configured
 * zone, not the PC's. Every page records console errors, page errors and failed requests;
 * tests assert there are none beyond the ones they provoke. Screenshots go to test-output/.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOT_DIR = path.join(repoRoot, 'test-output');
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface PageProblems {
  /** console.error / console.warn of type error, uncaught exceptions. */
  errors: string[];
  /** HTTP answers ≥ 400 the page received (method, status, path). */
  failedRequests: string[];
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

export async function officePage(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1366, height: 768 }, timezoneId: 'UTC', locale: 'vi-VN', acceptDownloads: true });
  const page = await context.newPage();
  const problems: PageProblems = { errors: [], failedRequests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.errors.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.failedRequests.push(`${r.request().method()} ${r.status()} ${new URL(r.url()).pathname}`);
  });
  return { context, page, problems };
}

/** Console errors that are the browser reporting an HTTP failure the test itself provoked. */
export function unexpectedErrors(problems: PageProblems, allowedStatus: RegExp[] = []): string[] {
  return problems.errors.filter((e) => !(e.includes('Failed to load resource') && allowedStatus.some((r) => r.test(e))));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
