/**
 * ONVIF Profile G in the camera simulator, its services: recording, search and replay services
 * with the Profile G scope only with edge storage, search following retention and holes,
 * GetReplayUri. A ManualClock drives camera time (sim-profile-g-fixture.ts), sockets are real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/clock.ts';
import type { SimCamera } from '../../recorder/sim/simulator.ts';
import { TestRtspClient } from '../helpers/rtsp-client.ts';
import { RECORDING_TOKEN } from '../../recorder/sim/onvif-recording.ts';
import { ms, RETENTION_MS, searchResults, soap, startProfileGSim, stopProfileGSim, T0, TDS, text, texts, TRC, TRP, TSE, type ProfileGSim } from './sim-profile-g-fixture.ts';

let g: ProfileGSim;
let clock: ManualClock;
let edgeCam: SimCamera;
let plainCam: SimCamera;
beforeAll(async () => {
  g = await startProfileGSim();
  ({ clock, edgeCam, plainCam } = g);
}, 300_000);
afterAll(() => stopProfileGSim(g));

describe('Profile G services', () => {
  it('lists recording, search and replay services and the Profile G scope only with edge storage', async () => {
    const services = await soap(edgeCam, '/onvif/device_service', `<GetServices ${TDS}><IncludeCapability>true</IncludeCapability></GetServices>`);
    expect(services.status).toBe(200);
    const namespaces = texts(services.xml, 'tds:Namespace');
    expect(namespaces).toEqual(expect.arrayContaining([
      'http://www.onvif.org/ver10/recording/wsdl',
      'http://www.onvif.org/ver10/search/wsdl',
      'http://www.onvif.org/ver10/replay/wsdl',
    ]));
    expect(texts(services.xml, 'tds:XAddr')).toContain(edgeCam.onvif.xaddr.replace('device_service', 'replay_service'));
    const caps = await soap(edgeCam, '/onvif/device_service', `<GetCapabilities ${TDS}><Category>All</Category></GetCapabilities>`);
    expect(caps.xml).toContain('<tt:Replay><tt:XAddr>');
    expect(caps.xml).toContain('<tt:Search><tt:XAddr>');
    const scopes = await soap(edgeCam, '/onvif/device_service', `<GetScopes ${TDS}/>`);
    expect(texts(scopes.xml, 'tt:ScopeItem')).toContain('onvif://www.onvif.org/Profile/G');

    const plain = await soap(plainCam, '/onvif/device_service', `<GetServices ${TDS}><IncludeCapability>false</IncludeCapability></GetServices>`);
    expect(texts(plain.xml, 'tds:Namespace')).toEqual(['http://www.onvif.org/ver10/device/wsdl', 'http://www.onvif.org/ver10/media/wsdl']);
    const plainCaps = await soap(plainCam, '/onvif/device_service', `<GetCapabilities ${TDS}><Category>All</Category></GetCapabilities>`);
    expect(plainCaps.xml).not.toContain('tt:Replay');
    const plainScopes = await soap(plainCam, '/onvif/device_service', `<GetScopes ${TDS}/>`);
    expect(texts(plainScopes.xml, 'tt:ScopeItem')).not.toContain('onvif://www.onvif.org/Profile/G');
  });

  it('a camera without edge storage answers search and replay with ActionNotSupported, and has no replay URI', async () => {
    for (const [path, body] of [
      ['/onvif/search_service', `<GetRecordingSummary ${TSE}/>`],
      ['/onvif/search_service', `<FindRecordings ${TSE}><Scope/></FindRecordings>`],
      ['/onvif/recording_service', `<GetRecordings ${TRC}/>`],
      ['/onvif/replay_service', `<GetReplayUri ${TRP}><StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></StreamSetup><RecordingToken>${RECORDING_TOKEN}</RecordingToken></GetReplayUri>`],
    ] as const) {
      const res = await soap(plainCam, path, body);
      expect(res.status, body).toBe(500);
      expect(res.xml).toContain('ter:ActionNotSupported');
    }
    const client = await TestRtspClient.connect(plainCam.rtspUrl('main', true).replace(/\/main$/, `/replay/${RECORDING_TOKEN}`));
    g.clients.push(client);
    expect((await client.request('DESCRIBE')).status).toBe(404);
  });

  it('GetRecordings names the recording and its video and audio tracks', async () => {
    const res = await soap(edgeCam, '/onvif/recording_service', `<GetRecordings ${TRC}/>`);
    expect(res.status).toBe(200);
    expect(text(res.xml, 'tt:RecordingToken')).toBe(RECORDING_TOKEN);
    expect(texts(res.xml, 'tt:TrackType')).toEqual(['Video', 'Audio']);
    expect(text(res.xml, 'tt:MaximumRetentionTime')).toBe('PT60S');
  });

  it('search follows retention and holes: summary, FindRecordings results, GetRecordingInformation', async () => {
    const now = clock.nowMs();
    const summary = await soap(edgeCam, '/onvif/search_service', `<GetRecordingSummary ${TSE}/>`);
    expect(summary.status).toBe(200);
    expect(ms(text(summary.xml, 'tt:DataFrom'))).toBe(now - RETENTION_MS);
    expect(ms(text(summary.xml, 'tt:DataUntil'))).toBe(now);
    expect(text(summary.xml, 'tt:NumberRecordings')).toBe('1');

    const results = await searchResults(edgeCam);
    expect(text(results, 'tt:SearchState')).toBe('Completed');
    expect(text(results, 'tt:RecordingToken')).toBe(RECORDING_TOKEN);
    expect(ms(text(results, 'tt:EarliestRecording'))).toBe(now - RETENTION_MS);
    expect(ms(text(results, 'tt:LatestRecording'))).toBe(now);
    expect(texts(results, 'tt:DataFrom').map(ms)).toEqual([now - RETENTION_MS, now - RETENTION_MS]);
    expect(text(results, 'tt:RecordingStatus')).toBe('Recording');

    // While the card is off, the recording ends where it stopped and says Stopped.
    edgeCam.faults.set({ edgeRecording: false });
    clock.advance(1000);
    const stopped = await soap(edgeCam, '/onvif/search_service', `<GetRecordingInformation ${TSE}><RecordingToken>${RECORDING_TOKEN}</RecordingToken></GetRecordingInformation>`);
    expect(text(stopped.xml, 'tt:RecordingStatus')).toBe('Stopped');
    expect(ms(text(stopped.xml, 'tt:LatestRecording'))).toBe(now);
    edgeCam.faults.set({ edgeRecording: true });
    expect(edgeCam.edge!.held().map((h) => [h.startMs - T0, h.endMs - T0])).toEqual([
      [now + 1000 - RETENTION_MS - T0, 40_000],
      [41_500, now - T0],
      [now + 1000 - T0, now + 1000 - T0],
    ].filter(([a, b]) => b! > a!));

    const unknown = await soap(edgeCam, '/onvif/search_service', `<GetRecordingInformation ${TSE}><RecordingToken>nope</RecordingToken></GetRecordingInformation>`);
    expect(unknown.status).toBe(400);
    expect(unknown.xml).toContain('ter:NoRecording');
    const wrong = await soap(edgeCam, '/onvif/search_service', `<GetRecordingSummary ${TSE}/>`, { password: 'guess' });
    expect(wrong.status).toBe(400);
    expect(wrong.xml).toContain('ter:NotAuthorized');
  });

  it('GetReplayUri gives the replay URI on the RTSP port', async () => {
    const res = await soap(
      edgeCam,
      '/onvif/replay_service',
      `<GetReplayUri ${TRP}><StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></StreamSetup>` +
        `<RecordingToken>${RECORDING_TOKEN}</RecordingToken></GetReplayUri>`,
    );
    expect(res.status).toBe(200);
    expect(text(res.xml, 'trp:Uri')).toBe(`rtsp://127.0.0.1:${edgeCam.rtsp.port}/replay/${RECORDING_TOKEN}`);
  });
});
