/**
 * ONVIF Media service (ver10/media/wsdl, Profile S) of the simulated camera: two fixed
 * profiles, main and sub, their stream and snapshot URIs.
 *
 * Media1's schema only knows JPEG/MPEG4/H264 as encodings; for an H.265 camera the simulator
 * reports Encoding "H265" there, as many real H.265 cameras do on Media1 (Media2 is not
 * simulated).
 */
import type { SimCameraSpec, StreamName } from './camera-spec.ts';
import type { FaultSettings } from './faults.ts';
import { Faults, NS, child, escapeXml as x, textAt, type XmlElement } from './soap.ts';
import type { OnvifContext, OnvifServiceTable } from './onvif-context.ts';

export interface VideoProfileInfo {
  stream: StreamName;
  token: string;
  name: string;
  encoding: 'H264' | 'H265';
  /** Only for H264: the profile the encoder uses (B-frames need Main or High). */
  h264Profile?: 'Main' | 'High';
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  /** Frames between keyframes (50 = a keyframe every 2 s at 25 fps). */
  govLength: number;
}

export interface AudioInfo {
  encoding: 'G711' | 'AAC';
  bitrateKbps: number;
  sampleRateKHz: number;
}

export const PROFILE_TOKENS: Readonly<Record<StreamName, string>> = { main: 'profile_main', sub: 'profile_sub' };
const VIDEO_SOURCE_TOKEN = 'video_source_1';
const SENSOR = { width: 1920, height: 1080, fps: 25 };

/** What each profile of this camera reports now (main follows faults.altResolution). */
export function videoProfiles(spec: SimCameraSpec, faults: Pick<FaultSettings, 'altResolution'>): VideoProfileInfo[] {
  const encoding: VideoProfileInfo['encoding'] = spec.video === 'h265' ? 'H265' : 'H264';
  const common: Pick<VideoProfileInfo, 'encoding' | 'h264Profile' | 'fps' | 'govLength'> = { encoding, fps: 25, govLength: 50 };
  if (encoding === 'H264') common.h264Profile = spec.video === 'h264-bframes' ? 'High' : 'Main';
  const main = faults.altResolution ? { width: 1280, height: 720 } : { width: 1920, height: 1080 };
  return [
    { stream: 'main', token: PROFILE_TOKENS.main, name: 'MainStream', ...main, bitrateKbps: 4096, ...common },
    { stream: 'sub', token: PROFILE_TOKENS.sub, name: 'SubStream', width: 640, height: 360, bitrateKbps: 512, ...common },
  ];
}

export function audioInfo(spec: SimCameraSpec): AudioInfo | undefined {
  if (spec.audio === 'pcma') return { encoding: 'G711', bitrateKbps: 64, sampleRateKHz: 8 };
  if (spec.audio === 'aac') return { encoding: 'AAC', bitrateKbps: 32, sampleRateKHz: 16 };
  return undefined;
}

/** The Media service's capabilities element (GetServices and GetServiceCapabilities). */
export const MEDIA_SERVICE_CAPS =
  `<trt:Capabilities SnapshotUri="true" Rotation="false" VideoSourceMode="false" OSD="false">` +
  `<trt:ProfileCapabilities MaximumNumberOfProfiles="2"/>` +
  `<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true" ` +
  `NonAggregateControl="false" NoRTSPStreaming="false"/></trt:Capabilities>`;

const NO_MULTICAST =
  `<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>` +
  `<tt:Port>0</tt:Port><tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>`;

function videoSourceConfigXml(): string {
  return (
    `<tt:VideoSourceConfiguration token="vsc_1"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${SENSOR.width}" height="${SENSOR.height}"/></tt:VideoSourceConfiguration>`
  );
}

function videoEncoderXml(p: VideoProfileInfo, element = 'tt:VideoEncoderConfiguration'): string {
  const codec = p.h264Profile
    ? `<tt:H264><tt:GovLength>${p.govLength}</tt:GovLength><tt:H264Profile>${p.h264Profile}</tt:H264Profile></tt:H264>`
    : '';
  return (
    `<${element} token="vec_${p.stream}"><tt:Name>VideoEncoder_${p.stream}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>${p.encoding}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>4</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit>` +
    `<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `${codec}${NO_MULTICAST}<tt:SessionTimeout>PT60S</tt:SessionTimeout></${element}>`
  );
}

function audioXml(audio: AudioInfo | undefined): { source: string; encoder: string } {
  if (!audio) return { source: '', encoder: '' };
  return {
    source:
      `<tt:AudioSourceConfiguration token="asc_1"><tt:Name>AudioSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>` +
      `<tt:SourceToken>audio_source_1</tt:SourceToken></tt:AudioSourceConfiguration>`,
    encoder:
      `<tt:AudioEncoderConfiguration token="aec_1"><tt:Name>AudioEncoder</tt:Name><tt:UseCount>2</tt:UseCount>` +
      `<tt:Encoding>${audio.encoding}</tt:Encoding><tt:Bitrate>${audio.bitrateKbps}</tt:Bitrate>` +
      `<tt:SampleRate>${audio.sampleRateKHz}</tt:SampleRate>${NO_MULTICAST}` +
      `<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:AudioEncoderConfiguration>`,
  };
}

function profileXml(ctx: OnvifContext, p: VideoProfileInfo, element: string): string {
  const audio = audioXml(audioInfo(ctx.spec));
  return (
    `<${element} token="${p.token}" fixed="true"><tt:Name>${p.name}</tt:Name>` +
    videoSourceConfigXml() +
    audio.source +
    videoEncoderXml(p) +
    audio.encoder +
    `</${element}>`
  );
}

function currentProfiles(ctx: OnvifContext): VideoProfileInfo[] {
  return videoProfiles(ctx.spec, ctx.faults.get());
}

/** The profile named by the request's ProfileToken, or the ONVIF NoProfile fault. */
function profileFor(ctx: OnvifContext, params: XmlElement): VideoProfileInfo {
  const token = textAt(params, 'ProfileToken');
  if (!token) throw Faults.missingArg('ProfileToken is required');
  const profile = currentProfiles(ctx).find((p) => p.token === token);
  if (!profile) throw Faults.invalidArgVal('ter:NoProfile', 'The requested profile token does not exist');
  return profile;
}

function mediaUriXml(uri: string): string {
  return (
    `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`
  );
}

function getStreamUri(ctx: OnvifContext, params: XmlElement): string {
  const profile = profileFor(ctx, params);
  const setup = child(params, 'StreamSetup');
  const stream = textAt(setup, 'Stream') ?? 'RTP-Unicast';
  const protocol = textAt(setup, 'Transport', 'Protocol') ?? 'RTSP';
  // Unicast RTSP, with RTP over UDP or interleaved in the RTSP TCP connection; no multicast,
  // no RTSP-over-HTTP tunnelling.
  if (stream !== 'RTP-Unicast' || !['RTSP', 'UDP', 'TCP'].includes(protocol)) {
    throw Faults.invalidArgVal('ter:InvalidStreamSetup', 'Specification of StreamType or Transport part in StreamSetup is not supported');
  }
  return `<trt:GetStreamUriResponse>${mediaUriXml(ctx.streamUri(profile.stream))}</trt:GetStreamUriResponse>`;
}

function getVideoEncoderConfiguration(ctx: OnvifContext, params: XmlElement): string {
  const token = textAt(params, 'ConfigurationToken');
  const p = currentProfiles(ctx).find((q) => `vec_${q.stream}` === token);
  if (!p) throw Faults.invalidArgVal('ter:NoConfig', 'The requested configuration does not exist');
  return `<trt:GetVideoEncoderConfigurationResponse>${videoEncoderXml(p, 'trt:Configuration')}</trt:GetVideoEncoderConfigurationResponse>`;
}

export const mediaService: OnvifServiceTable = {
  namespace: NS.trt,
  actions: {
    GetServiceCapabilities: {
      access: 'pre-auth',
      handle: () => `<trt:GetServiceCapabilitiesResponse>${MEDIA_SERVICE_CAPS}</trt:GetServiceCapabilitiesResponse>`,
    },
    GetProfiles: {
      access: 'user',
      handle: (ctx) =>
        `<trt:GetProfilesResponse>${currentProfiles(ctx).map((p) => profileXml(ctx, p, 'trt:Profiles')).join('')}</trt:GetProfilesResponse>`,
    },
    GetProfile: {
      access: 'user',
      handle: (ctx, params) => `<trt:GetProfileResponse>${profileXml(ctx, profileFor(ctx, params), 'trt:Profile')}</trt:GetProfileResponse>`,
    },
    GetVideoSources: {
      access: 'user',
      handle: () =>
        `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}">` +
        `<tt:Framerate>${SENSOR.fps}</tt:Framerate>` +
        `<tt:Resolution><tt:Width>${SENSOR.width}</tt:Width><tt:Height>${SENSOR.height}</tt:Height></tt:Resolution>` +
        `</trt:VideoSources></trt:GetVideoSourcesResponse>`,
    },
    GetVideoSourceConfigurations: {
      access: 'user',
      handle: () =>
        `<trt:GetVideoSourceConfigurationsResponse>${videoSourceConfigXml().replace(/tt:VideoSourceConfiguration/g, 'trt:Configurations')}</trt:GetVideoSourceConfigurationsResponse>`,
    },
    GetVideoEncoderConfigurations: {
      access: 'user',
      handle: (ctx) =>
        `<trt:GetVideoEncoderConfigurationsResponse>${currentProfiles(ctx).map((p) => videoEncoderXml(p, 'trt:Configurations')).join('')}</trt:GetVideoEncoderConfigurationsResponse>`,
    },
    GetVideoEncoderConfiguration: { access: 'user', handle: getVideoEncoderConfiguration },
    GetStreamUri: { access: 'user', handle: getStreamUri },
    GetSnapshotUri: {
      access: 'user',
      handle: (ctx, params) => {
        profileFor(ctx, params);
        return `<trt:GetSnapshotUriResponse>${mediaUriXml(ctx.snapshotUri)}</trt:GetSnapshotUriResponse>`;
      },
    },
  },
};
