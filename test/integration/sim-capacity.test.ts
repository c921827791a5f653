import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSimulator } from '../../recorder/sim/simulator.ts';
import { ffmpegRead } from '../helpers/ffmpeg-read.ts';

// The simulator must stand in for a whole office floor: 30 cameras at once on this 2-core
// machine, each read by a real ffmpeg. (CPU figures: npm run bench:sim.)
describe('simulator capacity', () => {
  let sim: CameraSimulator;
  beforeAll(async () => {
    sim = await CameraSimulator.start({ cameras: 30, discoveryPort: null });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('serves 30 cameras to 30 concurrent ffmpeg readers', async () => {
    const seconds = 6;
    const results = await Promise.all(sim.cameras.map((c) => ffmpegRead(c.rtspUrl('main', true), seconds)));
    const frames = results.map((r) => r.frames);
    for (const r of results) expect(r.code).toBe(0);
    // Every camera delivered media for the whole read: at 25 fps, 6 s is ~150 frames (plus the
    // GOP sent at start); 4 s worth is the floor for "kept up".
    expect(Math.min(...frames)).toBeGreaterThanOrEqual(100);
    expect(sim.cameras.every((c) => c.rtsp.totalSessionsOpened() === 1)).toBe(true);
  });
});
