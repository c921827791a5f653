import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import type { Page } from 'playwright-core';
import type { VigilSite } from '../helpers/vigil-process.ts';

/**
 * The office the browser tests look at: a district of Hồ Chí Minh City with two wards, one
 * counter camera each (H.264 with G.711 audio, H.264 with B-frames and AAC).
 */
export const SITES: VigilSite[] = [
  { id: 'hcm', name: 'Thành phố Hồ Chí Minh' },
  { id: 'quan-1', name: 'Quận 1', parent: 'hcm' },
  { id: 'ben-nghe', name: 'Phường Bến Nghé', parent: 'quan-1' },
  { id: 'da-kao', name: 'Phường Đa Kao', parent: 'quan-1' },
];

export const CAMERAS = [defaultSpec(0, { id: 'ben-nghe-quay-1', name: 'Quầy số 1' }), defaultSpec(1, { id: 'da-kao-quay-3', name: 'Quầy số 3' })];
export const CAMERA_SITES = { 'ben-nghe-quay-1': 'ben-nghe', 'da-kao-quay-3': 'da-kao' };
export const ADMIN = { username: 'quantri', password: 'mật khẩu quản trị 2026' };

/** Accounts an admin makes through the API for a test. */
export async function addUser(url: string, admin: { cookie: string; csrf: string }, u: { username: string; displayName: string; role: string; sites?: string[]; password: string }): Promise<void> {
  const res = await fetch(`${url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
    body: JSON.stringify({ sites: [], ...u }),
  });
  if (res.status !== 201) throw new Error(`creating ${u.username} failed: ${res.status} ${await res.text()}`);
}

/** Logs in through the login form (the page starts anywhere) and waits for the shell. */
export async function loginAs(page: Page, u: { username: string; password: string }): Promise<void> {
  await page.goto('/');
  await page.locator('input[name=username]').fill(u.username);
  await page.locator('input[name=password]').fill(u.password);
  await page.locator('button[type=submit]').click();
  await page.locator('.who-name').waitFor();
}

/** The office zone of the fixtures' Vigil (UTC+7, no DST). */
export const TZ_OFFSET_MS = 7 * 3_600_000;

/** "dd/mm/yyyy HH:mm:ss" as the UI shows it in the office zone → epoch ms. */
export function shownMs(text: string): number {
  const m = /(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (!m) throw new Error(`no time in "${text}"`);
  return Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - TZ_OFFSET_MS;
}

/** The wall time of the picture the camera page's player shows (1 s resolution). */
export async function playingAt(page: Page): Promise<number> {
  return shownMs((await page.getByTestId('playing-at').textContent()) ?? '');
}

/** One look at the camera page's shown time, with the wall time it was taken at. */
export interface ShownSample {
  shownMs: number;
  atMs: number;
}

/**
 * How far the shown time ran ahead of the wall clock between two looks, at most (ms): what the
 * player skipped, plus up to the 1 s of display resolution. Playing at 1× it is under 1 000
 * however slowly the page is sampled; a jump over a gap of g ms makes it under g + 1 000.
 */
export function longestSkipMs(samples: readonly ShownSample[]): number {
  let most = 0;
  for (let i = 1; i < samples.length; i++) most = Math.max(most, samples[i]!.shownMs - samples[i - 1]!.shownMs - (samples[i]!.atMs - samples[i - 1]!.atMs));
  return most;
}
