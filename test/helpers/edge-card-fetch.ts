import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { fetchEdgeFootage } from '../../recorder/backfill/edge-fetch.ts';
import type { EdgeFetchRequest } from '../../recorder/backfill/edge-fetch-types.ts';
import { OnvifEdgeClient } from '../../recorder/backfill/onvif-edge-client.ts';
import { createLogger } from '../../src/logger.ts';
import { systemClock } from '../../src/clock.ts';
import { waitFor } from './wait.ts';

/**
 * Fetches 6 s from a simulated camera's card (from 1 s after its recording began; GOP 2 s, so
 * segments of 2, 2 and 1 s) into a new folder under `dir`, once the camera's own search says
 * the card holds them. The camera clock is taken as true (no skew). fetchMs: the fetch alone.
 */
export async function fetchSixSecondsFromCard(sim: CameraSimulator, id: string, dir: string, over: Partial<EdgeFetchRequest> = {}) {
  const cam = sim.camera(id);
  const originMs = cam.edge!.startMs;
  const range = { startMs: originMs + 1_000, endMs: originMs + 7_000 };
  const onvif = { host: '127.0.0.1', port: cam.onvif.port, username: cam.spec.username, password: cam.spec.password };
  const search = new OnvifEdgeClient(onvif, systemClock, { timeoutMs: 4_000, clockOffsetMs: 0 });
  const { searchXaddr } = await search.getServices();
  await waitFor('the card to hold the range', async () => ((await search.findRecordings(searchXaddr!))[0]?.latestMs ?? 0) >= range.endMs, { timeoutMs: 15_000, intervalMs: 250 });
  const out = await mkdtemp(join(dir, `${id}-`));
  const t0 = Date.now();
  const result = await fetchEdgeFootage({ cameraId: id, onvif, clockOffsetMs: 0, range, segmentTargetMs: 2_000, outDir: out, maxBytesPerSec: null, requestTimeoutMs: 4_000, signal: new AbortController().signal, log: createLogger({ level: 'silent' }), ...over });
  return { ...result, originMs, range, fetchMs: Date.now() - t0 };
}
