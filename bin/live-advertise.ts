import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';

/**
 * The live endpoint address a recorder node publishes with its heartbeat (many nodes on
 * PostgreSQL): `live.advertiseUrl`, the address API nodes on other machines reach. The
 * endpoint's own bind address (often 0.0.0.0 or 127.0.0.1) says nothing about that, so it is
 * never guessed. Without it the node still records and serves a fixed `live.recorderUrl`
 * (one separate recorder), and says at start-up what other API nodes will miss.
 */
export function advertisedLiveUrl(config: ResolvedConfig, log: Logger): string | null {
  const live = config.live;
  if (!live.enabled || live.endpointPort === undefined) return null;
  if (live.advertiseUrl) return live.advertiseUrl.replace(/\/+$/, '');
  log.warn(
    { endpointPort: live.endpointPort },
    'this recorder node publishes no live address, so API nodes find no live view of its cameras (only a fixed live.recorderUrl reaches it); set live.advertiseUrl to the address other machines reach, e.g. http://10.0.0.5:' + live.endpointPort,
  );
  return null;
}
