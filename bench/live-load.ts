import { LiveViewerClient } from '../test/integration/live-viewer-client.ts';

/**
 * Live viewers of the running Vigil for the whole-system bench: real WebSocket clients of the
 * API's live route (`/api/v1/cameras/<id>/live`, bearer token), acknowledging like a browser,
 * run in the bench's own process so their CPU is not counted as Vigil's.
 */
export interface LiveViewers {
  count: number;
  /** Viewers the server closed, and "skipped" controls (a slow viewer moved to a keyframe). */
  totals(): { closed: number; skipped: number; fragments: number; bytes: number };
  close(): void;
}

/** Whether this Vigil serves live view through its API (an older build answers 404). */
export async function liveServed(url: string, token: string, cameraId: string): Promise<{ served: boolean; why: string }> {
  const v = new LiveViewerClient(wsUrl(url, cameraId), { headers: { authorization: `Bearer ${token}` } });
  try {
    await Promise.race([v.opened(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000))]);
    return { served: true, why: '' };
  } catch (e) {
    return { served: false, why: (e as Error).message };
  } finally {
    v.close();
  }
}

export async function openLiveViewers(url: string, token: string, cameraIds: readonly string[], count: number): Promise<LiveViewers> {
  const viewers = Array.from({ length: count }, (_, i) => new LiveViewerClient(wsUrl(url, cameraIds[i % cameraIds.length]!), { headers: { authorization: `Bearer ${token}` } }));
  await Promise.all(viewers.map((v) => v.opened()));
  return {
    count,
    totals: () => ({
      closed: viewers.filter((v) => v.closed).length,
      skipped: viewers.reduce((n, v) => n + v.controls.filter((c) => c.type === 'skipped').length, 0),
      fragments: viewers.reduce((n, v) => n + v.fragments.length, 0),
      bytes: viewers.reduce((n, v) => n + v.fragments.reduce((m, f) => m + f.bytes, 0), 0),
    }),
    close: () => viewers.forEach((v) => v.close()),
  };
}

function wsUrl(url: string, cameraId: string): string {
  return `${url.replace(/^http/, 'ws')}/api/v1/cameras/${cameraId}/live`;
}
