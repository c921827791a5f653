import type { Registry } from 'prom-client';
import type { Clock } from '../../src/clock.ts';
import type { ResolvedConfig } from '../../src/config/load.ts';
import type { Logger } from '../../src/logger.ts';
import { LiveHub } from './live-hub.ts';

export type { LiveHub } from './live-hub.ts';

/** The recorder's live hub from the `live` section of the configuration, or null when live view is off. */
export function liveHubFor(config: ResolvedConfig, d: { clock: Clock; log: Logger; registry: Registry }): LiveHub | null {
  const live = config.live;
  if (!live.enabled) return null;
  return new LiveHub({
    clock: d.clock, log: d.log, registry: d.registry, ffmpegPath: config.recorder.ffmpegPath, fragmentMs: live.fragmentMs,
    policy: { maxLagMs: live.maxViewerLagMs, dropAfterMs: live.dropViewerAfterMs },
    maxViewersPerCamera: live.maxViewersPerCamera, snapshotIntervalMs: live.snapshotIntervalMs,
    ...(live.socketDir ? { socketDir: live.socketDir } : {}),
  });
}
