import { readFileSync } from 'node:fs';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createObjectStore } from '../../src/store/object-store.ts';
import { Recorder } from '../../recorder/recorder.ts';
import { startLiveEndpointFromConfig } from '../../recorder/live/live-endpoint.ts';

/**
 * The recorder role with its live endpoint, as its own process, for live-remote.test.ts:
 *   node --import tsx test/integration/live-recorder-process.ts <config.json>
 * Prints "live endpoint port=<port>" when ready; SIGINT stops it.
 */
const raw = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, unknown>;
const config = validateConfig(raw, { env: {}, cwd: process.cwd() });
const log = createLogger({ level: 'warn' });
const db = await openDatabase(config.database);
const recorder = new Recorder({ config, clock: systemClock, log, registry: createMetricsRegistry({ defaultMetrics: false }), store: createObjectStore(config), db });
await recorder.start();
const endpoint = await startLiveEndpointFromConfig(config.live, recorder.live, log);
console.log(`live endpoint port=${endpoint?.port}`);
process.once('SIGINT', () => {
  void (async () => {
    await recorder.stop();
    await endpoint?.close();
    await db.destroy();
    process.exit(0);
  })();
});
