import { describe, expect, it } from 'vitest';
import { Cam } from 'onvif';
import { call, connect, profileView, RTSP, useOnvifCameras } from './sim-onvif-fixture.ts';

/**
 * The simulator's ONVIF device and media services against the real `onvif` npm client: connect,
 * profiles, stream and snapshot URIs (observed client behaviour: sim-onvif-fixture.ts).
 */
const onvif = useOnvifCameras();
const { startCamera } = onvif;

describe('ONVIF device service with the onvif package', () => {
  it.each([
    { index: 0, video: 'h264', audio: 'pcma', encoding: 'H264', audioEncoding: 'G711' },
    { index: 1, video: 'h264-bframes', audio: 'aac', encoding: 'H264', audioEncoding: 'AAC' },
    { index: 2, video: 'h265', audio: 'none', encoding: 'H265', audioEncoding: undefined },
  ] as const)('connects to a $video/$audio camera and lists main and sub profiles', async (c) => {
    const sim = await startCamera(c.index);
    expect([sim.spec.video, sim.spec.audio]).toEqual([c.video, c.audio]);

    const { cam, err, warnings } = await connect(sim);

    expect(err).toBeNull();
    expect(warnings).toEqual([]);
    expect(sim.authFailures).toEqual([]);
    const actions = sim.requests.map((r) => r.action);
    expect(actions.slice(0, 2)).toEqual(['GetSystemDateAndTime', 'GetServices']);
    expect(actions.slice(2).sort()).toEqual(['GetProfiles', 'GetVideoSources']);
    expect(profileView(cam)).toEqual([
      { token: 'profile_main', encoding: c.encoding, width: 1920, height: 1080, audio: c.audioEncoding },
      { token: 'profile_sub', encoding: c.encoding, width: 640, height: 360, audio: c.audioEncoding },
    ]);
    expect(cam.activeSource).toMatchObject({ profileToken: 'profile_main', fps: 25 });
  });

  it('gives the RTSP URL from the callback, without credentials, for each profile', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();

    const main = await call<{ uri: string }>('getStreamUri main', (cb) => cam.getStreamUri({ protocol: 'RTSP' }, cb));
    const sub = await call<{ uri: string }>('getStreamUri sub', (cb) =>
      cam.getStreamUri({ protocol: 'RTSP', profileToken: 'profile_sub' }, cb),
    );
    const unknown = await call('getStreamUri unknown', (cb) => cam.getStreamUri({ profileToken: 'nope' }, cb));

    expect(main.err).toBeNull();
    expect(main.value?.uri).toBe(RTSP(sim.spec, 'main'));
    expect(sub.value?.uri).toBe(RTSP(sim.spec, 'sub'));
    expect(main.value?.uri).not.toContain(sim.spec.password);
    expect(unknown.err?.message).toMatch(/profile token does not exist/i);
  });

  it('serves the snapshot URI it advertises, behind HTTP Digest like a camera', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    const snap = await call<{ uri: string }>('getSnapshotUri', (cb) => cam.getSnapshotUri({}, cb));
    expect(snap.err).toBeNull();
    const uri = snap.value!.uri;
    expect(uri).toBe(`http://127.0.0.1:${sim.server.port}/onvif/snapshot.jpg`);

    const bare = await fetch(uri, { signal: AbortSignal.timeout(5000) });
    expect(bare.status).toBe(401);
    const challenge = bare.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Digest realm="[^"]+", qop="auth", nonce="[^"]+"/);

    // The onvif package's own Digest implementation answers the challenge (an independent client).
    const authorization = cam.digestAuth([challenge], { method: 'GET', path: new URL(uri).pathname });
    const withDigest = await fetch(uri, { headers: { authorization }, signal: AbortSignal.timeout(5000) });
    expect(withDigest.status).toBe(200);
    expect(withDigest.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await withDigest.arrayBuffer()).equals(onvif.jpeg())).toBe(true);

    const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const withBasic = await fetch(uri, { headers: { authorization: basic(sim.spec.username, sim.spec.password) } });
    expect(withBasic.status).toBe(200);
    const wrongBasic = await fetch(uri, { headers: { authorization: basic(sim.spec.username, 'guess') } });
    expect(wrongBasic.status).toBe(401);

    const liar = new Cam({ hostname: '127.0.0.1', port: sim.server.port, username: sim.spec.username, password: 'guess', autoconnect: false });
    const wrongDigest = await fetch(uri, {
      headers: { authorization: liar.digestAuth([challenge], { method: 'GET', path: '/onvif/snapshot.jpg' }) },
    });
    expect(wrongDigest.status).toBe(401);
  });

  it('reports identity and capabilities', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    const info = await call<any>('getDeviceInformation', (cb) => cam.getDeviceInformation(cb));
    expect(info.value).toMatchObject({ manufacturer: 'Vigil Simulator', serialNumber: sim.spec.id });
    expect(String(info.value.model)).toMatch(/\S/);
    expect(String(info.value.firmwareVersion)).toMatch(/\S/);
    expect(String(info.value.hardwareId)).toMatch(/\S/);

    const caps = await call<any>('getCapabilities', (cb) => cam.getCapabilities(cb));
    expect(caps.value.media.XAddr).toBe(sim.server.mediaXaddr);
    expect(caps.value.device.XAddr).toBe(sim.server.xaddr);
    const scopes = await call<any[]>('getScopes', (cb) => cam.getScopes(cb));
    expect(scopes.value!.map((s) => s.scopeItem)).toContain(`onvif://www.onvif.org/name/${encodeURIComponent(sim.spec.name)}`);
  });

  it('authenticates the onvif package over HTTP Digest when WS-Security is off', async () => {
    const sim = await startCamera(0);
    const { cam, err } = await connect(sim, { useWSSecurity: false });
    expect(err).toBeNull();
    expect(profileView(cam).map((p) => p.token)).toEqual(['profile_main', 'profile_sub']);
    // Each protected call was first challenged (401), then answered with Digest.
    expect(sim.requests.filter((r) => r.action === 'GetProfiles').map((r) => r.status)).toEqual([401, 200]);
  });

  it('reports 1280x720 on the main profile while altResolution is set', async () => {
    const sim = await startCamera(0);
    sim.faults.set({ altResolution: true });
    const { cam, err } = await connect(sim);
    expect(err).toBeNull();
    expect(profileView(cam).map((p) => [p.token, p.width, p.height])).toEqual([
      ['profile_main', 1280, 720],
      ['profile_sub', 640, 360],
    ]);
    sim.faults.set({ altResolution: false });
    const again = await call('getProfiles', (cb) => cam.getProfiles(cb));
    expect(again.err).toBeNull();
    expect(profileView(cam)[0]).toMatchObject({ width: 1920, height: 1080 });
  });
});
