import { parseArgs } from 'node:util';
import { CameraSimulator } from './simulator.ts';
import { defaultSpec } from './camera-spec.ts';
import { startControlApi } from './control-api.ts';
import { createLogger } from '../../src/logger.ts';

/**
 * `npm run sim -- --cameras 4 [--host 127.0.0.1] [--control-port 8553] [--loop-seconds 10] [--edge-minutes 60]`
 * (--edge-minutes: every camera gets edge storage keeping that many minutes, with ONVIF Profile G.)
 * Starts N simulated cameras and the fault control API, prints how to reach them, runs until
 * Ctrl-C. Camera passwords are printed on purpose: they are the simulator's own test values.
 */
const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '4' },
    host: { type: 'string', default: '127.0.0.1' },
    'control-port': { type: 'string', default: '8553' },
    'loop-seconds': { type: 'string', default: '10' },
    'discovery-port': { type: 'string', default: '3702' },
    'edge-minutes': { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run sim -- --cameras N [--host H] [--control-port P] [--loop-seconds S] [--discovery-port P] [--edge-minutes M]');
  process.exit(0);
}
const count = Number(values.cameras);
if (!Number.isInteger(count) || count < 1 || count > 500) {
  console.error(`--cameras must be a whole number from 1 to 500 (got "${values.cameras}")`);
  process.exit(2);
}

const edgeMinutes = Number(values['edge-minutes']);
if (!Number.isFinite(edgeMinutes) || edgeMinutes < 0) {
  console.error(`--edge-minutes must be a number of minutes, 0 for no edge storage (got "${values['edge-minutes']}")`);
  process.exit(2);
}

const log = createLogger({ base: { role: 'simulator' } });
console.error(`Preparing media loops with ffmpeg (cached after the first run)...`);
const sim = await CameraSimulator.start({
  cameras: Array.from({ length: count }, (_, i) => defaultSpec(i, edgeMinutes > 0 ? { edge: { retentionMs: Math.round(edgeMinutes * 60_000) } } : {})),
  host: values.host,
  media: { loopSeconds: Number(values['loop-seconds']) },
  discoveryPort: Number(values['discovery-port']),
  logger: log,
});
const control = await startControlApi(sim, { host: '127.0.0.1', port: Number(values['control-port']) });
console.log(`${count} simulated camera(s); fault control API at ${control.url}/cameras`);
for (const c of sim.cameras) {
  console.log(`  ${c.spec.id}  ${c.spec.video}/${c.spec.audio}  ${c.rtspUrl('main')}  onvif ${c.onvif.xaddr}  user ${c.spec.username} / ${c.spec.password}`);
}
console.log(`Example fault: curl -X POST ${control.url}/cameras/cam-1/faults -d '{"stall":true,"forMs":10000}'`);
if (edgeMinutes > 0) {
  console.log(`Edge storage: ${edgeMinutes} min per camera; replay at rtsp://…/replay/RecordingToken_main. Cut the network, card keeps recording:`);
  console.log(`  curl -X POST ${control.url}/cameras/cam-1/faults -d '{"networkCut":true,"forMs":120000}'`);
}

const shutdown = async () => {
  await control.close();
  await sim.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
