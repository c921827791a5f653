/**
 * ONVIF Device Management service (ver10/device/wsdl) of the simulated camera: time, identity,
 * capabilities, services and scopes. Only the operations recorders use are answered; anything
 * else gets ActionNotSupported, as from a camera that lacks an optional operation.
 */
import { Faults, NS, childrenNamed, escapeXml as x, textAt, type XmlElement } from './soap.ts';
import type { OnvifContext, OnvifServiceTable } from './onvif-context.ts';
import { MEDIA_SERVICE_CAPS } from './onvif-media.ts';
import { RECORDING_SERVICE_CAPS, REPLAY_SERVICE_CAPS, SEARCH_SERVICE_CAPS } from './onvif-recording.ts';

export const MANUFACTURER = 'Vigil Simulator';
export const FIRMWARE_VERSION = '1.0.0-sim';
export const HARDWARE_ID = 'VS-HW-1';

/**
 * The camera's time zone as GetSystemDateAndTime reports it: Vietnam (UTC+7, no DST), where
 * Vigil's cameras are. LocalDateTime differs from UTCDateTime, so a client that reads the wrong
 * one is seven hours off.
 */
export const POSIX_TZ = 'ICT-7';
const LOCAL_OFFSET_MS = 7 * 3600_000;

export function modelName(ctx: Pick<OnvifContext, 'spec'>): string {
  return `VS-IPC-${ctx.spec.video.toUpperCase()}`;
}

/** ONVIF scopes of the camera (GetScopes and WS-Discovery ProbeMatch). */
export function deviceScopes(ctx: Pick<OnvifContext, 'spec' | 'location' | 'edge'>): Array<{ uri: string; fixed: boolean }> {
  const base = 'onvif://www.onvif.org';
  const scopes = [
    { uri: `${base}/type/video_encoder`, fixed: true },
    { uri: `${base}/type/Network_Video_Transmitter`, fixed: true },
    { uri: `${base}/Profile/Streaming`, fixed: true },
    { uri: `${base}/hardware/${encodeURIComponent(modelName(ctx))}`, fixed: true },
    { uri: `${base}/name/${encodeURIComponent(ctx.spec.name)}`, fixed: false },
    { uri: `${base}/location/${encodeURIComponent(ctx.location)}`, fixed: false },
  ];
  if (ctx.spec.audio !== 'none') scopes.splice(1, 0, { uri: `${base}/type/audio_encoder`, fixed: true });
  if (ctx.edge) scopes.splice(scopes.findIndex((s) => s.uri.endsWith('/Profile/Streaming')) + 1, 0, { uri: `${base}/Profile/G`, fixed: true });
  return scopes;
}

function dateTimeXml(ms: number): string {
  const d = new Date(ms);
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month>` +
    `<tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

function getSystemDateAndTime(ctx: OnvifContext): string {
  const nowMs = ctx.faults.cameraNowMs();
  // A camera whose clock is off is one that is not (or no longer) following NTP.
  const type = ctx.faults.get().clockSkewMs === 0 ? 'NTP' : 'Manual';
  return (
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
    `<tt:DateTimeType>${type}</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
    `<tt:TimeZone><tt:TZ>${POSIX_TZ}</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime>${dateTimeXml(nowMs)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTimeXml(nowMs + LOCAL_OFFSET_MS)}</tt:LocalDateTime>` +
    `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
  );
}

function deviceCapabilitiesXml(ctx: OnvifContext): string {
  return (
    `<tt:Device><tt:XAddr>${x(ctx.deviceXaddr)}</tt:XAddr>` +
    `<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>` +
    `<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>` +
    `<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>` +
    `<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>` +
    `<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>` +
    `<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>` +
    `<tt:IO><tt:InputConnectors>0</tt:InputConnectors><tt:RelayOutputs>0</tt:RelayOutputs></tt:IO>` +
    `<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>` +
    `<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>` +
    `<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>` +
    `<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>`
  );
}

function mediaCapabilitiesXml(ctx: OnvifContext): string {
  return (
    `<tt:Media><tt:XAddr>${x(ctx.mediaXaddr)}</tt:XAddr><tt:StreamingCapabilities>` +
    `<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>` +
    `</tt:StreamingCapabilities></tt:Media>`
  );
}

const CATEGORIES = new Set(['All', 'Analytics', 'Device', 'Events', 'Imaging', 'Media', 'PTZ']);

function getCapabilities(ctx: OnvifContext, params: XmlElement): string {
  const asked = childrenNamed(params, 'Category').map((c) => c.text);
  const wanted = asked.length === 0 ? ['All'] : asked;
  for (const c of wanted) {
    if (!CATEGORIES.has(c)) throw Faults.invalidArgVal('ter:InvalidArgVal', `Unknown capability category`);
    if (c !== 'All' && c !== 'Device' && c !== 'Media') throw Faults.noSuchService();
  }
  const all = wanted.includes('All');
  // Recording, Search and Replay have no category of their own: they come with All, in Extension.
  const edge = ctx.edge;
  const extension =
    all && edge
      ? `<tt:Extension><tt:Recording><tt:XAddr>${x(edge.recordingXaddr)}</tt:XAddr>` +
        `<tt:ReceiverSource>false</tt:ReceiverSource><tt:MediaProfileSource>true</tt:MediaProfileSource>` +
        `<tt:DynamicRecordings>false</tt:DynamicRecordings><tt:DynamicTracks>false</tt:DynamicTracks>` +
        `<tt:MaxStringLength>64</tt:MaxStringLength></tt:Recording>` +
        `<tt:Search><tt:XAddr>${x(edge.searchXaddr)}</tt:XAddr><tt:MetadataSearch>false</tt:MetadataSearch></tt:Search>` +
        `<tt:Replay><tt:XAddr>${x(edge.replayXaddr)}</tt:XAddr></tt:Replay></tt:Extension>`
      : '';
  const parts =
    (all || wanted.includes('Device') ? deviceCapabilitiesXml(ctx) : '') +
    (all || wanted.includes('Media') ? mediaCapabilitiesXml(ctx) : '') +
    extension;
  return `<tds:GetCapabilitiesResponse><tds:Capabilities>${parts}</tds:Capabilities></tds:GetCapabilitiesResponse>`;
}

const DEVICE_SERVICE_CAPS =
  `<tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false" ` +
  `Dot11Configuration="false" HostnameFromDHCP="false" NTP="1"/>` +
  `<tds:Security TLS1.0="false" TLS1.1="false" TLS1.2="false" OnboardKeyGeneration="false" ` +
  `AccessPolicyConfig="false" DefaultAccessPolicy="false" Dot1X="false" RemoteUserHandling="false" ` +
  `X.509Token="false" SAMLToken="false" KerberosToken="false" UsernameToken="true" HttpDigest="true" ` +
  `RELToken="false"/>` +
  `<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false" ` +
  `SystemLogging="false" FirmwareUpgrade="false" HttpFirmwareUpgrade="false" HttpSystemBackup="false" ` +
  `HttpSystemLogging="false" HttpSupportInformation="false"/>`;

function getServices(ctx: OnvifContext, params: XmlElement): string {
  const withCaps = textAt(params, 'IncludeCapability') === 'true';
  const service = (ns: string, xaddr: string, caps: string): string =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${x(xaddr)}</tds:XAddr>` +
    (withCaps ? `<tds:Capabilities>${caps}</tds:Capabilities>` : '') +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return (
    `<tds:GetServicesResponse>` +
    service(NS.tds, ctx.deviceXaddr, `<tds:Capabilities>${DEVICE_SERVICE_CAPS}</tds:Capabilities>`) +
    service(NS.trt, ctx.mediaXaddr, MEDIA_SERVICE_CAPS) +
    (ctx.edge
      ? service(NS.trc, ctx.edge.recordingXaddr, RECORDING_SERVICE_CAPS) +
        service(NS.tse, ctx.edge.searchXaddr, SEARCH_SERVICE_CAPS) +
        service(NS.trp, ctx.edge.replayXaddr, REPLAY_SERVICE_CAPS)
      : '') +
    `</tds:GetServicesResponse>`
  );
}

function getDeviceInformation(ctx: OnvifContext): string {
  return (
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${x(MANUFACTURER)}</tds:Manufacturer>` +
    `<tds:Model>${x(modelName(ctx))}</tds:Model><tds:FirmwareVersion>${FIRMWARE_VERSION}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${x(ctx.spec.id)}</tds:SerialNumber><tds:HardwareId>${HARDWARE_ID}</tds:HardwareId>` +
    `</tds:GetDeviceInformationResponse>`
  );
}

function getScopes(ctx: OnvifContext): string {
  const items = deviceScopes(ctx)
    .map(
      (s) =>
        `<tds:Scopes><tt:ScopeDef>${s.fixed ? 'Fixed' : 'Configurable'}</tt:ScopeDef>` +
        `<tt:ScopeItem>${x(s.uri)}</tt:ScopeItem></tds:Scopes>`,
    )
    .join('');
  return `<tds:GetScopesResponse>${items}</tds:GetScopesResponse>`;
}

export const deviceService: OnvifServiceTable = {
  namespace: NS.tds,
  actions: {
    GetSystemDateAndTime: { access: 'pre-auth', handle: (ctx) => getSystemDateAndTime(ctx) },
    GetCapabilities: { access: 'pre-auth', handle: getCapabilities },
    GetServices: { access: 'pre-auth', handle: getServices },
    GetServiceCapabilities: {
      access: 'pre-auth',
      handle: () =>
        `<tds:GetServiceCapabilitiesResponse><tds:Capabilities>${DEVICE_SERVICE_CAPS}</tds:Capabilities></tds:GetServiceCapabilitiesResponse>`,
    },
    GetHostname: {
      access: 'pre-auth',
      handle: (ctx) =>
        `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>` +
        `<tt:Name>${x(ctx.spec.id)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
    },
    GetEndpointReference: {
      access: 'pre-auth',
      handle: (ctx) => `<tds:GetEndpointReferenceResponse><tds:GUID>${x(ctx.uuid)}</tds:GUID></tds:GetEndpointReferenceResponse>`,
    },
    GetDeviceInformation: { access: 'user', handle: (ctx) => getDeviceInformation(ctx) },
    GetScopes: { access: 'user', handle: (ctx) => getScopes(ctx) },
  },
};
