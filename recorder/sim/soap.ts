/**
 * SOAP 1.2 for the simulated camera: parsing requests (namespace-aware), building envelopes and
 * faults. Fault codes, reasons and HTTP statuses follow the ONVIF Core specification's generic
 * fault table and the SOAP 1.2 HTTP binding (env:Sender → 400, env:Receiver → 500).
 */
import { XMLParser } from 'fast-xml-parser';
import type { UsernameToken } from './wsse.ts';

export const NS = {
  env: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  /** Profile G: recording control, recording search, replay control. */
  trc: 'http://www.onvif.org/ver10/recording/wsdl',
  tse: 'http://www.onvif.org/ver10/search/wsdl',
  trp: 'http://www.onvif.org/ver10/replay/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  /** WS-Discovery April 2005, the version ONVIF mandates. */
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  /** WS-Addressing August 2004, used by WS-Discovery 2005/04. */
  wsa04: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsa: 'http://www.w3.org/2005/08/addressing',
} as const;

/** Prefixes declared on every envelope the simulator sends. */
const DEFAULT_PREFIXES: Record<string, string> = {
  env: NS.env,
  ter: NS.ter,
  tt: NS.tt,
  tds: NS.tds,
  trt: NS.trt,
  trc: NS.trc,
  tse: NS.tse,
  trp: NS.trp,
};

/** One XML element with its namespace resolved. */
export interface XmlElement {
  ns: string;
  local: string;
  /** Attributes by local name (namespace declarations left out). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text, trimmed. */
  text: string;
  /** Namespace prefixes in scope here ('' = default namespace). */
  nsScope: Readonly<Record<string, string>>;
}

const MAX_XML_BYTES = 256 * 1024;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
});

type OrderedNode = Record<string, unknown>;

function splitQName(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(':');
  return i < 0 ? ['', qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

function toElement(node: OrderedNode, parentScope: Readonly<Record<string, string>>): XmlElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (tag === undefined || tag === '#text') return undefined;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
  let scope = parentScope;
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawAttrs)) {
    if (name === 'xmlns') scope = { ...scope, '': value };
    else if (name.startsWith('xmlns:')) scope = { ...scope, [name.slice(6)]: value };
    else attrs[splitQName(name)[1]] = String(value);
  }
  const [prefix, local] = splitQName(tag);
  const ns = scope[prefix];
  if (ns === undefined && prefix !== '') throw new SoapParseError(`undeclared namespace prefix '${prefix}'`);
  const children: XmlElement[] = [];
  const texts: string[] = [];
  for (const child of (node[tag] ?? []) as OrderedNode[]) {
    if ('#text' in child) texts.push(String(child['#text']));
    else {
      const el = toElement(child, scope);
      if (el) children.push(el);
    }
  }
  return { ns: ns ?? '', local, attrs, children, text: texts.join('').trim(), nsScope: scope };
}

export class SoapParseError extends Error {
  override readonly name = 'SoapParseError';
}

/** Parses a whole XML document into its root element. DTDs are refused (SOAP 1.2 forbids them). */
export function parseXml(xml: string): XmlElement {
  if (Buffer.byteLength(xml, 'utf8') > MAX_XML_BYTES) throw new SoapParseError('document too large');
  if (/<!DOCTYPE/i.test(xml)) throw new SoapParseError('document type declarations are not allowed');
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml, true) as OrderedNode[];
  } catch (err) {
    throw new SoapParseError(`not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const roots = nodes.map((n) => toElement(n, {})).filter((e): e is XmlElement => e !== undefined);
  if (roots.length !== 1) throw new SoapParseError('expected exactly one root element');
  return roots[0]!;
}

/** First child with this local name (and namespace, if given). */
export function child(el: XmlElement | undefined, local: string, ns?: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && (ns === undefined || c.ns === ns));
}

export function childrenNamed(el: XmlElement | undefined, local: string, ns?: string): XmlElement[] {
  return el?.children.filter((c) => c.local === local && (ns === undefined || c.ns === ns)) ?? [];
}

/** Text of the element reached by following local names from el, or undefined. */
export function textAt(el: XmlElement | undefined, ...path: string[]): string | undefined {
  let cur = el;
  for (const local of path) cur = child(cur, local);
  return cur?.text;
}

/** Resolves a QName written in element content (e.g. 'dn:NetworkVideoTransmitter') in el's scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string | undefined; local: string } {
  const [prefix, local] = splitQName(qname);
  return { ns: el.nsScope[prefix], local };
}

export function escapeXml(value: string | number | boolean): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

// ---------------------------------------------------------------------------------------------
// Faults

export type SoapFaultCode = 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand';

/** A SOAP 1.2 fault. subcodes are qualified names with the ter: prefix, outermost first. */
export class SoapFault extends Error {
  override readonly name = 'SoapFault';
  constructor(
    readonly code: SoapFaultCode,
    readonly subcodes: readonly string[],
    readonly reason: string,
    readonly httpStatus: number = code === 'Sender' ? 400 : 500,
  ) {
    super(`${code}${subcodes.length ? ` ${subcodes.join('/')}` : ''}: ${reason}`);
  }
}

/** The faults the simulator sends, with the ONVIF Core reason texts. */
export const Faults = {
  /** Bad or missing credentials. ONVIF: env:Sender/ter:NotAuthorized, HTTP 400 (SOAP 1.2 binding). */
  notAuthorized: () => new SoapFault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized'),
  actionNotSupported: () =>
    new SoapFault('Receiver', ['ter:ActionNotSupported'], 'Optional Action Not Implemented'),
  noSuchService: () =>
    new SoapFault('Receiver', ['ter:ActionNotSupported', 'ter:NoSuchService'], 'The requested service is not supported'),
  invalidArgVal: (subcode: string, reason: string) => new SoapFault('Sender', ['ter:InvalidArgVal', subcode], reason),
  missingArg: (reason: string) => new SoapFault('Sender', ['ter:InvalidArgs', 'ter:MissingAttr'], reason),
  wellFormed: () => new SoapFault('Sender', ['ter:WellFormed'], 'Well-formed Error'),
  versionMismatch: () => new SoapFault('VersionMismatch', [], 'SOAP Version Mismatch'),
  mustUnderstand: () => new SoapFault('MustUnderstand', [], 'SOAP header blocks not understood'),
  internal: () => new SoapFault('Receiver', [], 'Internal error'),
};

export interface EnvelopeOptions {
  header?: string;
  /** Extra prefix → namespace declarations for the Envelope element. */
  namespaces?: Record<string, string>;
}

export function soapEnvelope(body: string, options: EnvelopeOptions = {}): string {
  const prefixes = { ...DEFAULT_PREFIXES, ...options.namespaces };
  const decls = Object.entries(prefixes)
    .map(([p, uri]) => ` xmlns:${p}="${escapeXml(uri)}"`)
    .join('');
  const header = options.header ? `<env:Header>${options.header}</env:Header>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope${decls}>${header}<env:Body>${body}</env:Body></env:Envelope>`;
}

export function faultEnvelope(fault: SoapFault): string {
  let code = '';
  for (const sub of [...fault.subcodes].reverse()) {
    code = `<env:Subcode><env:Value>${escapeXml(sub)}</env:Value>${code}</env:Subcode>`;
  }
  return soapEnvelope(
    `<env:Fault><env:Code><env:Value>env:${fault.code}</env:Value>${code}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${escapeXml(fault.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface SoapRequest {
  /** The operation: the first element in the Body. */
  action: { ns: string; local: string };
  /** That first Body element; its children are the operation's parameters. */
  params: XmlElement;
  header: XmlElement | undefined;
  /** The WS-Security UsernameToken, if the Security header carries one. */
  usernameToken: UsernameToken | undefined;
}

/** Header blocks this simulator processes (anything else marked mustUnderstand is refused). */
const UNDERSTOOD_HEADER_NS = new Set<string>([NS.wsse, NS.wsa, NS.wsa04]);

function isMustUnderstand(el: XmlElement): boolean {
  const v = el.attrs['mustUnderstand'];
  return v === '1' || v === 'true';
}

function readUsernameToken(header: XmlElement | undefined): UsernameToken | undefined {
  const token = child(child(header, 'Security', NS.wsse), 'UsernameToken', NS.wsse);
  if (!token) return undefined;
  const password = child(token, 'Password', NS.wsse);
  const type = password?.attrs['Type'] ?? '';
  // Created belongs to wsu:, but some clients put it in wsse:; accept either.
  const created = child(token, 'Created', NS.wsu) ?? child(token, 'Created', NS.wsse);
  return {
    username: textAt(token, 'Username') ?? '',
    password: password?.text ?? '',
    passwordType: type.endsWith('#PasswordDigest') ? 'PasswordDigest' : 'PasswordText',
    nonce: child(token, 'Nonce', NS.wsse)?.text,
    created: created?.text,
  };
}

/** Parses an incoming SOAP request. Throws SoapFault for anything a camera would refuse. */
export function parseSoapRequest(xml: string): SoapRequest {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch {
    throw Faults.wellFormed();
  }
  if (root.local !== 'Envelope') throw Faults.wellFormed();
  if (root.ns === NS.soap11) throw Faults.versionMismatch();
  if (root.ns !== NS.env) throw Faults.versionMismatch();
  const header = child(root, 'Header', NS.env);
  for (const block of header?.children ?? []) {
    if (isMustUnderstand(block) && !UNDERSTOOD_HEADER_NS.has(block.ns)) throw Faults.mustUnderstand();
  }
  const body = child(root, 'Body', NS.env);
  const params = body?.children[0];
  if (!params) throw Faults.wellFormed();
  return { action: { ns: params.ns, local: params.local }, params, header, usernameToken: readUsernameToken(header) };
}
