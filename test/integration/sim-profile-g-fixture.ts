/**
 * What the ONVIF Profile G simulator tests share (sim-profile-g-services.test.ts,
 * sim-profile-g-replay.test.ts): a simulator on a ManualClock with 70 s of edge history (the card
 * held [10, 40) and [41.5, 70): it stopped for 1.5 s at 40 s; retention 60 s), one camera
 * without edge storage, and the SOAP and RTSP replay helpers. Each test file starts its own.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { defaultSpec } from '../../recorder/sim/camera-spec.ts';
import { RECORDING_TOKEN } from '../../recorder/sim/onvif-recording.ts';
import { CameraSimulator, type SimCamera } from '../../recorder/sim/simulator.ts';
import { passwordDigest } from '../../recorder/sim/wsse.ts';
import { formatClockTime } from '../../recorder/sim/rtsp-replay.ts';
import { type RtpPacketInfo, TestRtspClient } from '../helpers/rtsp-client.ts';

export const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
export const at = (sec: number) => T0 + Math.round(sec * 1000);
export const RETENTION_MS = 60_000;

export interface ProfileGSim {
  clock: ManualClock;
  sim: CameraSimulator;
  /** h264 + PCMA, edge storage. */
  edgeCam: SimCamera;
  /** h265, no edge storage. */
  plainCam: SimCamera;
  /** RTSP clients the tests opened (closed by stopProfileGSim). */
  clients: TestRtspClient[];
}

export async function startProfileGSim(): Promise<ProfileGSim> {
  const clock = new ManualClock(T0);
  const sim = await CameraSimulator.start({
    cameras: [defaultSpec(0, { edge: { retentionMs: RETENTION_MS } }), defaultSpec(2)],
    clock,
    media: { loopSeconds: 4 },
    discoveryPort: null,
  });
  const edgeCam = sim.camera('cam-1');
  // 40 s of history, then the card stops for 1.5 s, then 28.5 s more: held [10, 40) and [41.5, 70).
  clock.advance(40_000);
  edgeCam.faults.set({ edgeRecording: false }, 1_500);
  clock.advance(30_000);
  return { clock, sim, edgeCam, plainCam: sim.camera('cam-3'), clients: [] };
}

export async function stopProfileGSim(g: ProfileGSim | undefined): Promise<void> {
  for (const c of g?.clients ?? []) c.close();
  await g?.sim.stop();
}

// ---------------------------------------------------------------------------------------------
// SOAP

export async function soap(cam: SimCamera, path: string, body: string, opts: { password?: string } = {}): Promise<{ status: number; xml: string }> {
  const nonce = randomBytes(16);
  const created = new Date(cam.faults.cameraNowMs()).toISOString();
  const digest = passwordDigest(nonce, created, opts.password ?? cam.spec.password);
  const security =
    `<Security s:mustUnderstand="1" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">` +
    `<UsernameToken><Username>${cam.spec.username}</Username>` +
    `<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</Password>` +
    `<Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</Nonce>` +
    `<Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${created}</Created>` +
    `</UsernameToken></Security>`;
  const envelope =
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Header>${security}</s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`;
  const url = cam.onvif.xaddr.replace('/onvif/device_service', path);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    body: envelope,
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, xml: await res.text() };
}

export const TSE = 'xmlns="http://www.onvif.org/ver10/search/wsdl"';
export const TRC = 'xmlns="http://www.onvif.org/ver10/recording/wsdl"';
export const TRP = 'xmlns="http://www.onvif.org/ver10/replay/wsdl"';
export const TDS = 'xmlns="http://www.onvif.org/ver10/device/wsdl"';

export function texts(xml: string, qname: string): string[] {
  return [...xml.matchAll(new RegExp(`<${qname}(?:\\s[^>]*)?>([^<]*)</${qname}>`, 'g'))].map((m) => m[1]!);
}
export function text(xml: string, qname: string): string | undefined {
  return texts(xml, qname)[0];
}
export const ms = (iso: string | undefined) => (iso === undefined ? NaN : Date.parse(iso));

export async function searchResults(cam: SimCamera): Promise<string> {
  const find = await soap(cam, '/onvif/search_service', `<FindRecordings ${TSE}><Scope/><KeepAliveTime>PT10S</KeepAliveTime></FindRecordings>`);
  expect(find.status).toBe(200);
  const token = text(find.xml, 'tse:SearchToken')!;
  const results = await soap(cam, '/onvif/search_service', `<GetRecordingSearchResults ${TSE}><SearchToken>${token}</SearchToken></GetRecordingSearchResults>`);
  expect(results.status).toBe(200);
  expect((await soap(cam, '/onvif/search_service', `<EndSearch ${TSE}><SearchToken>${token}</SearchToken></EndSearch>`)).status).toBe(200);
  return results.xml;
}

// ---------------------------------------------------------------------------------------------
// RTSP replay

export interface Frame {
  channel: number;
  timestamp: number;
  ntpMs: number;
  packets: RtpPacketInfo[];
}

/** Groups a track's packets into frames (same RTP timestamp, consecutive). */
export function framesOf(packets: RtpPacketInfo[], channel: number): Frame[] {
  const frames: Frame[] = [];
  for (const p of packets) {
    if (p.channel !== channel) continue;
    const last = frames.at(-1);
    if (last && last.timestamp === p.timestamp) last.packets.push(p);
    else frames.push({ channel, timestamp: p.timestamp, ntpMs: p.onvif?.ntpMs ?? NaN, packets: [p] });
  }
  return frames;
}

export async function openReplay(g: ProfileGSim, cam: SimCamera): Promise<TestRtspClient> {
  const client = await TestRtspClient.connect(cam.rtsp.replayUrl(RECORDING_TOKEN).replace('rtsp://', `rtsp://${cam.spec.username}:${cam.spec.password}@`));
  g.clients.push(client);
  return client;
}

export function replayHeaders(fromMs: number, toMs: number | undefined, rateControl: 'yes' | 'no' | undefined): Array<[string, string]> {
  const h: Array<[string, string]> = [
    ['Require', 'onvif-replay'],
    ['Range', `clock=${formatClockTime(fromMs)}-${toMs === undefined ? '' : formatClockTime(toMs)}`],
  ];
  if (rateControl) h.push(['Rate-Control', rateControl]);
  return h;
}

/** Replays [fromMs, toMs) with Rate-Control: no and resolves once every track's BYE arrived. */
export async function replayAll(g: ProfileGSim, cam: SimCamera, fromMs: number, toMs: number) {
  const client = await openReplay(g, cam);
  const { tracks, playResponse } = await client.play({ playHeaders: replayHeaders(fromMs, toMs, 'no') });
  const playCseq = client.lastCseq;
  await client.until(() => client.byes.length >= tracks.length, 30_000, 'a BYE on every track');
  return { client, tracks, playResponse, playCseq };
}

/** A request/response round trip: everything the camera wrote before has arrived. */
export async function sync(client: TestRtspClient): Promise<void> {
  const res = await client.request('GET_PARAMETER');
  expect(res.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------
