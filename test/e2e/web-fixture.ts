import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
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
