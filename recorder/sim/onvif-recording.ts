/**
 * ONVIF Profile G services of a simulated camera with edge storage, answering what a recorder
 * that fetches footage back uses:
 *
 * - Recording service (ver10/recording/wsdl, trc:): GetServiceCapabilities, GetRecordings.
 * - Search service (ver10/search/wsdl, tse:): GetServiceCapabilities, GetRecordingSummary,
 *   GetRecordingInformation, FindRecordings → GetRecordingSearchResults, GetSearchState,
 *   EndSearch.
 * - Replay service (ver10/replay/wsdl, trp:): GetServiceCapabilities, GetReplayUri,
 *   GetReplayConfiguration.
 *
 * One recording (the main stream on the SD card) with a video track and, if the camera has
 * audio, an audio track. Times are xs:dateTime UTC on the camera's clock (clockSkewMs added).
 * A camera without edge storage does not register these tables, so the same requests get
 * ter:ActionNotSupported like from a camera without Profile G.
 */
import { randomBytes } from 'node:crypto';
import type { Interval } from './edge-storage.ts';
import type { OnvifContext, OnvifEdge, OnvifServiceTable } from './onvif-context.ts';
import { audioInfo } from './onvif-media.ts';
import { Faults, NS, child, childrenNamed, escapeXml as x, textAt, type XmlElement } from './soap.ts';

export const RECORDING_PATH = '/onvif/recording_service';
export const SEARCH_PATH = '/onvif/search_service';
export const REPLAY_PATH = '/onvif/replay_service';
export const RECORDING_TOKEN = 'RecordingToken_main';
export const VIDEO_TRACK_TOKEN = 'VideoTrack_1';
export const AUDIO_TRACK_TOKEN = 'AudioTrack_1';
/** Searches a camera keeps open at once; the oldest goes first (real cameras have a small limit too). */
const MAX_SEARCHES = 16;

export const RECORDING_SERVICE_CAPS =
  `<trc:Capabilities DynamicRecordings="false" DynamicTracks="false" Encoding="H264 H265 G711 AAC" ` +
  `MaxRate="0" MaxTotalRate="0" MaxRecordings="1" MaxRecordingJobs="1" Options="false" MetadataRecording="false"/>`;
export const SEARCH_SERVICE_CAPS = `<tse:Capabilities MetadataSearch="false" GeneralStartEvents="false"/>`;
export const REPLAY_SERVICE_CAPS = `<trp:Capabilities ReversePlayback="false" SessionTimeoutRange="60 60" RTP_RTSP_TCP="true"/>`;

function edgeOf(ctx: OnvifContext): OnvifEdge {
  if (!ctx.edge) throw Faults.actionNotSupported();
  return ctx.edge;
}

function dateTime(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

/** The card's data span on the camera's clock, or undefined when it holds nothing. */
function span(ctx: OnvifContext, edge: OnvifEdge): Interval | undefined {
  const held = edge.held();
  if (held.length === 0) return undefined;
  const skew = ctx.faults.get().clockSkewMs;
  return { startMs: held[0]!.startMs + skew, endMs: held.at(-1)!.endMs + skew };
}

function tracks(ctx: OnvifContext): Array<{ token: string; type: 'Video' | 'Audio'; description: string }> {
  const list: Array<{ token: string; type: 'Video' | 'Audio'; description: string }> = [
    { token: VIDEO_TRACK_TOKEN, type: 'Video', description: 'Main stream video' },
  ];
  if (audioInfo(ctx.spec)) list.push({ token: AUDIO_TRACK_TOKEN, type: 'Audio', description: 'Audio' });
  return list;
}

function sourceXml(ctx: OnvifContext, element: string): string {
  return (
    `<${element}><tt:SourceId>${x(ctx.uuid)}</tt:SourceId><tt:Name>${x(ctx.spec.name)}</tt:Name>` +
    `<tt:Location>${x(ctx.location)}</tt:Location><tt:Description>Edge recording of ${x(ctx.spec.id)}</tt:Description>` +
    `<tt:Address>${x(ctx.deviceXaddr)}</tt:Address></${element}>`
  );
}

function recordingInformationXml(ctx: OnvifContext, element: string): string {
  const edge = edgeOf(ctx);
  const s = span(ctx, edge);
  const from = s ? `<tt:DataFrom>${dateTime(s.startMs)}</tt:DataFrom>` : '';
  const to = s ? `<tt:DataTo>${dateTime(s.endMs)}</tt:DataTo>` : '';
  return (
    `<${element}><tt:RecordingToken>${x(edge.recordingToken)}</tt:RecordingToken>` +
    sourceXml(ctx, 'tt:Source') +
    (s ? `<tt:EarliestRecording>${dateTime(s.startMs)}</tt:EarliestRecording>` : '') +
    (s ? `<tt:LatestRecording>${dateTime(s.endMs)}</tt:LatestRecording>` : '') +
    `<tt:Content>Continuous recording</tt:Content>` +
    tracks(ctx)
      .map(
        (t) =>
          `<tt:Track><tt:TrackToken>${t.token}</tt:TrackToken><tt:TrackType>${t.type}</tt:TrackType>` +
          `<tt:Description>${x(t.description)}</tt:Description>${from}${to}</tt:Track>`,
      )
      .join('') +
    `<tt:RecordingStatus>${edge.recording() ? 'Recording' : 'Stopped'}</tt:RecordingStatus></${element}>`
  );
}

function requireRecordingToken(ctx: OnvifContext, params: XmlElement): OnvifEdge {
  const edge = edgeOf(ctx);
  const token = textAt(params, 'RecordingToken');
  if (!token) throw Faults.missingArg('RecordingToken is required');
  if (token !== edge.recordingToken) throw Faults.invalidArgVal('ter:NoRecording', 'The RecordingToken does not reference an existing recording');
  return edge;
}

function isoDuration(ms: number): string {
  return `PT${Math.round(ms / 1000)}S`;
}

// ---------------------------------------------------------------------------------------------
// Recording service

function getRecordings(ctx: OnvifContext): string {
  const edge = edgeOf(ctx);
  const trackItems = tracks(ctx)
    .map(
      (t) =>
        `<tt:Track><tt:TrackToken>${t.token}</tt:TrackToken><tt:Configuration>` +
        `<tt:TrackType>${t.type}</tt:TrackType><tt:Description>${x(t.description)}</tt:Description>` +
        `</tt:Configuration></tt:Track>`,
    )
    .join('');
  return (
    `<trc:GetRecordingsResponse><trc:RecordingItem><tt:RecordingToken>${x(edge.recordingToken)}</tt:RecordingToken>` +
    `<tt:Configuration>${sourceXml(ctx, 'tt:Source')}<tt:Content>Continuous recording</tt:Content>` +
    `<tt:MaximumRetentionTime>${isoDuration(edge.retentionMs)}</tt:MaximumRetentionTime></tt:Configuration>` +
    `<tt:Tracks>${trackItems}</tt:Tracks></trc:RecordingItem></trc:GetRecordingsResponse>`
  );
}

export const recordingService: OnvifServiceTable = {
  namespace: NS.trc,
  actions: {
    GetServiceCapabilities: {
      access: 'pre-auth',
      handle: () => `<trc:GetServiceCapabilitiesResponse>${RECORDING_SERVICE_CAPS}</trc:GetServiceCapabilitiesResponse>`,
    },
    GetRecordings: { access: 'user', handle: getRecordings },
  },
};

// ---------------------------------------------------------------------------------------------
// Search service

function getRecordingSummary(ctx: OnvifContext): string {
  const s = span(ctx, edgeOf(ctx));
  // DataFrom/DataUntil are required; with nothing on the card both are the camera's now.
  const now = ctx.faults.cameraNowMs();
  return (
    `<tse:GetRecordingSummaryResponse><tse:Summary>` +
    `<tt:DataFrom>${dateTime(s?.startMs ?? now)}</tt:DataFrom><tt:DataUntil>${dateTime(s?.endMs ?? now)}</tt:DataUntil>` +
    `<tt:NumberRecordings>${s ? 1 : 0}</tt:NumberRecordings></tse:Summary></tse:GetRecordingSummaryResponse>`
  );
}

function findRecordings(ctx: OnvifContext, params: XmlElement): string {
  const edge = edgeOf(ctx);
  const scope = child(params, 'Scope');
  if (!scope) throw Faults.missingArg('Scope is required');
  const included = childrenNamed(scope, 'IncludedRecordings').map((e) => e.text);
  const token = `Search_${randomBytes(6).toString('hex')}`;
  if (edge.searches.size >= MAX_SEARCHES) edge.searches.delete(edge.searches.keys().next().value!);
  edge.searches.set(token, { includedRecordings: included });
  return `<tse:FindRecordingsResponse><tse:SearchToken>${token}</tse:SearchToken></tse:FindRecordingsResponse>`;
}

function searchFor(ctx: OnvifContext, params: XmlElement): { edge: OnvifEdge; token: string } {
  const edge = edgeOf(ctx);
  const token = textAt(params, 'SearchToken');
  if (!token) throw Faults.missingArg('SearchToken is required');
  if (!edge.searches.has(token)) throw Faults.invalidArgVal('ter:InvalidToken', 'The search token is invalid');
  return { edge, token };
}

function getRecordingSearchResults(ctx: OnvifContext, params: XmlElement): string {
  const { edge, token } = searchFor(ctx, params);
  const search = edge.searches.get(token)!;
  const wanted = search.includedRecordings.length === 0 || search.includedRecordings.includes(edge.recordingToken);
  const max = Number(textAt(params, 'MaxResults') ?? Infinity);
  const info = wanted && max > 0 ? recordingInformationXml(ctx, 'tt:RecordingInformation') : '';
  // Everything is found at once: the search is complete on the first call.
  return (
    `<tse:GetRecordingSearchResultsResponse><tse:ResultList><tt:SearchState>Completed</tt:SearchState>` +
    `${info}</tse:ResultList></tse:GetRecordingSearchResultsResponse>`
  );
}

export const searchService: OnvifServiceTable = {
  namespace: NS.tse,
  actions: {
    GetServiceCapabilities: {
      access: 'pre-auth',
      handle: () => `<tse:GetServiceCapabilitiesResponse>${SEARCH_SERVICE_CAPS}</tse:GetServiceCapabilitiesResponse>`,
    },
    GetRecordingSummary: { access: 'user', handle: getRecordingSummary },
    GetRecordingInformation: {
      access: 'user',
      handle: (ctx, params) => {
        requireRecordingToken(ctx, params);
        return `<tse:GetRecordingInformationResponse>${recordingInformationXml(ctx, 'tse:RecordingInformation')}</tse:GetRecordingInformationResponse>`;
      },
    },
    FindRecordings: { access: 'user', handle: findRecordings },
    GetRecordingSearchResults: { access: 'user', handle: getRecordingSearchResults },
    GetSearchState: {
      access: 'user',
      handle: (ctx, params) => {
        searchFor(ctx, params);
        return `<tse:GetSearchStateResponse><tse:State>Completed</tse:State></tse:GetSearchStateResponse>`;
      },
    },
    EndSearch: {
      access: 'user',
      handle: (ctx, params) => {
        const { edge, token } = searchFor(ctx, params);
        edge.searches.delete(token);
        return `<tse:EndSearchResponse><tse:Endpoint>${dateTime(ctx.faults.cameraNowMs())}</tse:Endpoint></tse:EndSearchResponse>`;
      },
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Replay service

function getReplayUri(ctx: OnvifContext, params: XmlElement): string {
  const edge = requireRecordingToken(ctx, params);
  const setup = child(params, 'StreamSetup');
  const stream = textAt(setup, 'Stream') ?? 'RTP-Unicast';
  const protocol = textAt(setup, 'Transport', 'Protocol') ?? 'RTSP';
  // Replay is RTSP with RTP interleaved in the RTSP TCP connection (what Profile G requires).
  if (stream !== 'RTP-Unicast' || !['RTSP', 'TCP'].includes(protocol)) {
    throw Faults.invalidArgVal('ter:InvalidStreamSetup', 'Specification of StreamType or Transport part in StreamSetup is not supported');
  }
  return `<trp:GetReplayUriResponse><trp:Uri>${x(edge.replayUri())}</trp:Uri></trp:GetReplayUriResponse>`;
}

export const replayService: OnvifServiceTable = {
  namespace: NS.trp,
  actions: {
    GetServiceCapabilities: {
      access: 'pre-auth',
      handle: () => `<trp:GetServiceCapabilitiesResponse>${REPLAY_SERVICE_CAPS}</trp:GetServiceCapabilitiesResponse>`,
    },
    GetReplayUri: { access: 'user', handle: getReplayUri },
    GetReplayConfiguration: {
      access: 'user',
      handle: () =>
        `<trp:GetReplayConfigurationResponse><trp:Configuration><tt:SessionTimeout>PT60S</tt:SessionTimeout>` +
        `</trp:Configuration></trp:GetReplayConfigurationResponse>`,
    },
  },
};

export const PROFILE_G_SERVICES: readonly OnvifServiceTable[] = [recordingService, searchService, replayService];
