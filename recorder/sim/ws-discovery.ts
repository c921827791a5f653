/**
 * WS-Discovery (April 2005, the version ONVIF uses) responder for simulated cameras.
 *
 * One responder serves every simulated camera: it joins 239.255.255.250 on UDP 3702 (with
 * reuseAddr, so several responders and real tools can share the port), answers each matching
 * Probe with one ProbeMatches message per camera (as each real device sends its own), unicast to
 * the prober, after a random delay of up to maxDelayMs (the spec's APP_MAX_DELAY, 500 ms, which
 * keeps many devices from answering at once; the delay is network jitter, so it runs on real
 * timers, not the injected Clock). Unicast probes to the responder's port are answered the same
 * way. A camera whose `available` is false (refused) stays silent. Hello/Bye announcements,
 * Resolve and WS-Discovery 1.1 (2009/01) are not simulated.
 */
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { NS, child, escapeXml as x, parseXml, resolveQName, soapEnvelope, textAt, type XmlElement } from './soap.ts';

export const WS_DISCOVERY_PORT = 3702;
export const WS_DISCOVERY_GROUP = '239.255.255.250';
const PROBE_ACTION = `${NS.wsd}/Probe`;
const MATCHES_ACTION = `${NS.wsd}/ProbeMatches`;
const ANONYMOUS = `${NS.wsa04}/role/anonymous`;

export interface DiscoveryTarget {
  /** urn:uuid:… */
  endpointReference: string;
  xaddrs: string[];
  scopes: string[];
  metadataVersion: number;
  /** False while the camera refuses connections: it does not answer probes then. */
  available: boolean;
}

export interface WsDiscoveryOptions {
  /** Default 3702; 0 for an ephemeral port (unicast probes only, for tests). */
  port?: number;
  /** Interface addresses on which to join the multicast group; default ['127.0.0.1']. */
  multicastInterfaces?: string[];
  /** Upper bound of the random delay before answering a multicast probe; default 500 ms. */
  maxDelayMs?: number;
}

/** The types every simulated camera advertises: an ONVIF NVT and an ONVIF device. */
const TYPES = [
  { ns: 'http://www.onvif.org/ver10/network/wsdl', local: 'NetworkVideoTransmitter' },
  { ns: 'http://www.onvif.org/ver10/device/wsdl', local: 'Device' },
];

export interface ParsedProbe {
  messageId: string;
  /** Resolved type names asked for (empty = any). */
  types: Array<{ ns: string | undefined; local: string }>;
  scopes: string[];
}

/** Parses a WS-Discovery 2005/04 Probe; undefined for anything else (other messages, junk). */
export function parseProbe(xml: string): ParsedProbe | undefined {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch {
    return undefined;
  }
  if (root.local !== 'Envelope' || root.ns !== NS.env) return undefined;
  const header = child(root, 'Header', NS.env);
  const probe = child(child(root, 'Body', NS.env), 'Probe', NS.wsd);
  const action = textAt(header, 'Action');
  if (!probe || (action !== undefined && action !== PROBE_ACTION)) return undefined;
  const messageId = textAt(header, 'MessageID');
  if (!messageId) return undefined;
  const typesEl = child(probe, 'Types', NS.wsd);
  const types = (typesEl?.text ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((q) => resolveQName(typesEl!, q));
  const scopes = (textAt(probe, 'Scopes') ?? '').split(/\s+/).filter(Boolean);
  return { messageId, types, scopes };
}

/** True when a device with these scopes answers the probe (types and RFC 3986 scope matching). */
export function probeMatches(probe: ParsedProbe, target: Pick<DiscoveryTarget, 'scopes'>): boolean {
  const typeOk = probe.types.every((t) =>
    TYPES.some((d) => d.local === t.local && (t.ns === undefined || t.ns === d.ns)),
  );
  const scopeOk = probe.scopes.every((wanted) => {
    const w = wanted.replace(/\/+$/, '');
    return target.scopes.some((s) => s === w || s.startsWith(`${w}/`));
  });
  return typeOk && scopeOk;
}

/** The ProbeMatches message for one camera, relating to the probe's MessageID. */
export function probeMatchesMessage(target: DiscoveryTarget, relatesTo: string, messageNumber: number): string {
  const header =
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${x(relatesTo)}</wsa:RelatesTo>` +
    `<wsa:To>${ANONYMOUS}</wsa:To><wsa:Action>${MATCHES_ACTION}</wsa:Action>` +
    `<d:AppSequence InstanceId="1" MessageNumber="${messageNumber}"/>`;
  const body =
    `<d:ProbeMatches><d:ProbeMatch>` +
    `<wsa:EndpointReference><wsa:Address>${x(target.endpointReference)}</wsa:Address></wsa:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
    `<d:Scopes>${target.scopes.map(x).join(' ')}</d:Scopes>` +
    `<d:XAddrs>${target.xaddrs.map(x).join(' ')}</d:XAddrs>` +
    `<d:MetadataVersion>${target.metadataVersion}</d:MetadataVersion>` +
    `</d:ProbeMatch></d:ProbeMatches>`;
  return soapEnvelope(body, { header, namespaces: { wsa: NS.wsa04, d: NS.wsd, dn: NS.dn } });
}

/** Answers WS-Discovery probes for the cameras listDevices() returns at the time of the probe. */
export class WsDiscoveryResponder extends EventEmitter {
  private socket: dgram.Socket | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private messageNumber = 0;

  constructor(
    private readonly listDevices: () => DiscoveryTarget[],
    private readonly options: WsDiscoveryOptions = {},
  ) {
    super();
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port ?? WS_DISCOVERY_PORT, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      for (const iface of this.options.multicastInterfaces ?? ['127.0.0.1']) {
        socket.addMembership(WS_DISCOVERY_GROUP, iface);
      }
    } catch (err) {
      socket.close();
      throw new Error(
        `cannot join WS-Discovery group ${WS_DISCOVERY_GROUP} (${(err as Error).message}); on loopback run ensureLoopbackMulticast() first`,
      );
    }
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', (err) => this.emit('socketError', err));
    this.socket = socket;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const probe = parseProbe(msg.toString('utf8'));
    if (!probe) return;
    this.emit('probe', { from: `${rinfo.address}:${rinfo.port}`, messageId: probe.messageId });
    // One socket gets both multicast and unicast probes (Node cannot tell them apart without
    // IP_PKTINFO), so every probe waits the random delay; maxDelayMs 0 answers at once.
    for (const target of this.listDevices()) {
      if (!target.available || !probeMatches(probe, target)) continue;
      const delay = Math.floor(Math.random() * ((this.options.maxDelayMs ?? 500) + 1));
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const current = this.listDevices().find((d) => d.endpointReference === target.endpointReference);
        if (!this.socket || !current?.available) return;
        const reply = Buffer.from(probeMatchesMessage(current, probe.messageId, ++this.messageNumber), 'utf8');
        this.socket.send(reply, rinfo.port, rinfo.address);
      }, delay);
      this.timers.add(timer);
    }
  }
}

const run = promisify(execFile);

/**
 * Makes multicast to the WS-Discovery group work on loopback: sets MULTICAST on `lo` and routes
 * 239.255.255.250 via `lo` with source 127.0.0.1 (only that group, so other multicast traffic
 * keeps its route).
 * Idempotent: checks first and changes only what is missing. Needs root (CAP_NET_ADMIN).
 */
export async function ensureLoopbackMulticast(): Promise<void> {
  const how = `ip link set lo multicast on; ip route add ${WS_DISCOVERY_GROUP}/32 dev lo src 127.0.0.1`;
  const fail = (step: string, err: unknown): Error =>
    new Error(`ensureLoopbackMulticast: ${step} failed (${(err as Error).message.trim()}); as root run: ${how}`);
  let link: string;
  try {
    link = (await run('ip', ['-o', 'link', 'show', 'lo'])).stdout;
  } catch (err) {
    throw fail('reading lo', err);
  }
  if (!/[<,]MULTICAST[,>]/.test(link)) {
    try {
      await run('ip', ['link', 'set', 'lo', 'multicast', 'on']);
    } catch (err) {
      throw fail('enabling multicast on lo', err);
    }
  }
  const routedViaLo = async (): Promise<boolean> =>
    /\bdev lo\b/.test((await run('ip', ['route', 'get', WS_DISCOVERY_GROUP])).stdout);
  if (await routedViaLo()) return;
  try {
    await run('ip', ['route', 'add', `${WS_DISCOVERY_GROUP}/32`, 'dev', 'lo', 'src', '127.0.0.1']);
  } catch (err) {
    // Another process may have added it at the same moment ("File exists").
    if (!(await routedViaLo())) throw fail('routing the group via lo', err);
  }
}
