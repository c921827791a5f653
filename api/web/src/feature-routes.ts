import type { Session } from './app-context.ts';

/**
 * Where this server offers the footage features the pages need, read from its OpenAPI route
 * list (the routes of clips, playback, thumbnails, snapshots, cases and exports join the API
 * as their issues land). A page shows "not offered by this server yet" when a route is absent
 * instead of failing with a 404.
 */
export function findRoute(s: Session, method: string, test: RegExp): string | undefined {
  for (const r of s.routes) {
    const [m, path] = r.split(' ');
    if (m === method && path && test.test(path)) return path;
  }
  return undefined;
}

/** Fills {id}-style parameters of an OpenAPI path. */
export function fillPath(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
}

export const ROUTES = {
  playlist: (s: Session) => findRoute(s, 'GET', /^\/api\/v1\/cameras\/\{id\}\/playback\.m3u8$/),
  clip: (s: Session) => findRoute(s, 'GET', /^\/api\/v1\/cameras\/\{id\}\/clip(\.mp4)?$/),
  thumbnail: (s: Session) => findRoute(s, 'GET', /^\/api\/v1\/cameras\/\{id\}\/thumbnail(\.jpg)?$/),
  cases: (s: Session) => findRoute(s, 'GET', /^\/api\/v1\/cases$/),
  caseClips: (s: Session) => findRoute(s, 'POST', /^\/api\/v1\/cases\/\{id\}\/clips$/),
  caseExports: (s: Session) => findRoute(s, 'POST', /^\/api\/v1\/(cases\/\{id\}\/)?exports$/),
  uptime: (s: Session) => findRoute(s, 'GET', /^\/api\/v1\/reports\/uptime$/),
};

/**
 * Live snapshots (GET /api/v1/cameras/{id}/live/snapshot.jpg) are served beside the WebSocket,
 * outside the OpenAPI route list: whether this server has them is learnt once per page load
 * by asking for one picture of a recording camera.
 */
export const SNAPSHOT_PATH = '/api/v1/cameras/{id}/live/snapshot.jpg';
let snapshotProbe: Promise<boolean> | undefined;

export function snapshotsAvailable(cameraId: string): Promise<boolean> {
  snapshotProbe ??= fetch(fillPath(SNAPSHOT_PATH, { id: cameraId }) + '?width=64', { credentials: 'same-origin' }).then(
    (r) => r.ok && (r.headers.get('content-type') ?? '').startsWith('image/'),
    () => false,
  );
  return snapshotProbe;
}
