/**
 * The ops page's figures, pure: which cameras are not recording now (longest down first),
 * and today's gaps across cameras (newest first) with the time lost per reason.
 */
export interface CameraLike {
  id: string;
  name: string;
  state: string;
  enabled: boolean;
  configured: boolean;
  stateSinceMs: number | null;
  site: { id: string; name: string } | null;
}

export function camerasDown<C extends CameraLike>(cameras: readonly C[]): C[] {
  return cameras
    .filter((c) => c.configured && c.enabled && c.state !== 'recording')
    .sort((a, b) => (a.stateSinceMs ?? 0) - (b.stateSinceMs ?? 0) || a.id.localeCompare(b.id));
}

export interface CameraGap {
  cameraId: string;
  cameraName: string;
  startMs: number;
  endMs: number;
  reason: string;
}

export function todaysGaps(perCamera: ReadonlyArray<{ camera: { id: string; name: string }; gaps: ReadonlyArray<{ startMs: number; endMs: number; reason: string }> }>): { gaps: CameraGap[]; lostMsByReason: Record<string, number> } {
  const gaps: CameraGap[] = [];
  const lost: Record<string, number> = {};
  for (const { camera, gaps: gs } of perCamera) {
    for (const g of gs) {
      gaps.push({ cameraId: camera.id, cameraName: camera.name, startMs: g.startMs, endMs: g.endMs, reason: g.reason });
      lost[g.reason] = (lost[g.reason] ?? 0) + (g.endMs - g.startMs);
    }
  }
  gaps.sort((a, b) => b.startMs - a.startMs || a.cameraId.localeCompare(b.cameraId));
  return { gaps, lostMsByReason: lost };
}
