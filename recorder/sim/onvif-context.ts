/**
 * What the ONVIF responders (onvif-device.ts, onvif-media.ts) know about their camera, and the
 * shape of an action table. The HTTP server (onvif-service.ts) builds one context per camera.
 */
import { createHash } from 'node:crypto';
import type { CameraFaults } from './faults.ts';
import type { SimCameraSpec, StreamName } from './camera-spec.ts';
import type { XmlElement } from './soap.ts';
import type { Interval } from './edge-storage.ts';

/** A search session opened by FindRecordings (Search service), kept until EndSearch. */
export interface RecordingSearch {
  /** Recording tokens the scope asks for; empty = all. */
  includedRecordings: string[];
}

/** The camera's edge storage as the Profile G services see it. */
export interface OnvifEdge {
  recordingToken: string;
  retentionMs: number;
  /** What the card holds now, true clock (the services add the camera's clock skew). */
  held(): Interval[];
  /** Whether the card is recording now. */
  recording(): boolean;
  replayUri(): string;
  recordingXaddr: string;
  searchXaddr: string;
  replayXaddr: string;
  /** Open searches by search token (state kept by the camera across requests). */
  searches: Map<string, RecordingSearch>;
}

export interface OnvifContext {
  spec: SimCameraSpec;
  faults: CameraFaults;
  /** urn:uuid:… endpoint reference, stable per camera id. */
  uuid: string;
  deviceXaddr: string;
  mediaXaddr: string;
  snapshotUri: string;
  /** Free-text location scope (e.g. the office), URI-encoded into onvif://…/location/. */
  location: string;
  streamUri: (stream: StreamName) => string;
  /** Present only when the camera has edge storage (Profile G). */
  edge?: OnvifEdge;
}

/**
 * ONVIF access classes (Core spec §5.9.4): 'pre-auth' operations answer anyone; the Core spec
 * puts GetSystemDateAndTime, GetServices, GetServiceCapabilities, GetCapabilities, GetHostname,
 * GetWsdlUrl and GetEndpointReference there. Everything else needs a valid user.
 */
export type AccessClass = 'pre-auth' | 'user';

export interface OnvifAction {
  access: AccessClass;
  /** Returns the response element (XML) for the Body; throws SoapFault to refuse. */
  handle: (ctx: OnvifContext, params: XmlElement) => string;
}

/** Actions of one service, keyed by operation local name. */
export interface OnvifServiceTable {
  namespace: string;
  actions: Readonly<Record<string, OnvifAction>>;
}

/** A stable UUID for a camera id (a name-based, version 5 style UUID), as a device keeps its own. */
export function cameraUuid(cameraId: string): string {
  const h = createHash('sha1').update(`vigil-sim:${cameraId}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
