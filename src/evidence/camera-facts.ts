import type { CamerasRepo } from '../db/cameras-repo.ts';
import type { CameraFacts } from './manifest.ts';

/**
 * What an evidence manifest says about a camera, from the index and the configured sites:
 * name, site (id and name) and the clock offset onboarding measured, when the camera's stored
 * details hold it (`clockOffsetMs`, with `clockOffsetMeasuredMs` when known). A camera the
 * index does not know is described by its id alone; the manifest then says "not measured".
 */
export function cameraFactsFromIndex(cameras: Pick<CamerasRepo, 'get'>, sites: ReadonlyArray<{ id: string; name: string }>): (cameraId: string) => Promise<CameraFacts> {
  return async (cameraId) => {
    const c = await cameras.get(cameraId);
    const siteId = c?.siteId ?? null;
    const offset = c?.details['clockOffsetMs'];
    const measured = c?.details['clockOffsetMeasuredMs'];
    return {
      id: cameraId,
      name: c?.name ?? null,
      siteId,
      siteName: siteId === null ? null : (sites.find((s) => s.id === siteId)?.name ?? null),
      clockOffsetMs: typeof offset === 'number' && Number.isFinite(offset) ? Math.round(offset) : null,
      clockOffsetMeasuredMs: typeof measured === 'number' && Number.isSafeInteger(measured) ? measured : null,
    };
  };
}
