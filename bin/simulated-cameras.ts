import type { ResolvedConfig } from '../src/config/load.ts';
import type { Logger } from '../src/logger.ts';
import { CameraSimulator } from '../recorder/sim/simulator.ts';

/**
 * `--simulate N`: starts N simulated cameras and adds them to the configuration as ONVIF
 * cameras, so a newcomer sees recording (and the API lists them) without owning a camera;
 * they also answer WS-Discovery probes like real cameras (a responder that cannot start is a warning).
 * Every role of the process gets the same extended configuration.
 */
export async function withSimulatedCameras(config: ResolvedConfig, count: number, log: Logger): Promise<{ config: ResolvedConfig; sim: CameraSimulator | null }> {
  if (count <= 0) return { config, sim: null };
  log.info({ cameras: count }, 'starting simulated cameras (first run prepares media loops with ffmpeg)');
  // They answer WS-Discovery (3702; shared with other listeners), so the web UI's "find cameras" finds them.
  const sim = await CameraSimulator.start({ cameras: count, logger: log });
  const simulated = sim.cameras.map((c) => ({
    id: c.spec.id, name: c.spec.name, audio: 'auto' as const, enabled: true,
    onvif: { host: '127.0.0.1', port: c.onvif.port, username: c.spec.username, password: c.spec.password },
  }));
  return { config: { ...config, cameras: [...config.cameras.filter((c) => !simulated.some((s) => s.id === c.id)), ...simulated] }, sim };
}
