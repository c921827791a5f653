import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Discovery } from 'onvif';
import { WsDiscoveryResponder, ensureLoopbackMulticast } from '../../recorder/sim/ws-discovery.ts';
import { call, type SimCamera, useOnvifCameras } from './sim-onvif-fixture.ts';

/**
 * The simulator's WS-Discovery responder against the `onvif` package's Discovery probe.
 */
const onvif = useOnvifCameras();
const { startCamera } = onvif;

describe('WS-Discovery', () => {
  let responder: WsDiscoveryResponder;
  let cams: SimCamera[] = [];

  beforeAll(async () => {
    await ensureLoopbackMulticast();
    responder = new WsDiscoveryResponder(() => cams.map((c) => c.server.discoveryTarget()), { maxDelayMs: 200 });
    await responder.start();
  });

  afterAll(async () => {
    await responder?.stop();
  });

  /** Runs Discovery.probe (multicast to 239.255.255.250:3702) and returns the raw matches. */
  function probe(timeoutMs = 1500): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('Discovery.probe did not call back')), timeoutMs + 3000);
      const ignore = () => undefined; // replies from other tools on the segment are not ours to judge
      Discovery.on('error', ignore);
      Discovery.probe({ timeout: timeoutMs, resolve: false }, (_err, found) => {
        clearTimeout(bound);
        Discovery.off('error', ignore);
        resolve((found ?? []) as any[]);
      });
    });
  }

  const mine = (found: any[], sim: SimCamera) =>
    found.filter((d) => d.probeMatches.probeMatch.endpointReference.address === `urn:uuid:${sim.server.uuid}`);

  it('finds each simulated camera with its XAddr and scopes, one ProbeMatch each', async () => {
    cams = [await startCamera(0), await startCamera(1)];
    const found = await probe();

    for (const sim of cams) {
      const matches = mine(found, sim);
      expect(matches).toHaveLength(1);
      const m = matches[0].probeMatches.probeMatch;
      expect(m.XAddrs).toBe(sim.server.xaddr);
      expect(m.types).toBe('dn:NetworkVideoTransmitter tds:Device');
      expect(String(m.scopes).split(' ')).toEqual(
        expect.arrayContaining([
          `onvif://www.onvif.org/name/${encodeURIComponent(sim.spec.name)}`,
          'onvif://www.onvif.org/location/vigil-sim',
          'onvif://www.onvif.org/Profile/Streaming',
        ]),
      );
    }
  });

  it('a refused camera does not answer; it does again once cleared', async () => {
    const [a, b] = (cams = [await startCamera(0), await startCamera(1)]);
    a!.faults.set({ refuse: true });
    await a!.server.settled();

    const during = await probe();
    expect(mine(during, a!)).toHaveLength(0);
    expect(mine(during, b!)).toHaveLength(1);

    a!.faults.clear();
    await a!.server.settled();
    const after = await probe();
    expect(mine(after, a!)).toHaveLength(1);
  });
});
