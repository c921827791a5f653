import type { ChaosRandom } from './chaos-random.ts';

/**
 * Hostile requests for the API, generated from a seed: real routes with fuzzed query values,
 * path tricks in ids (traversal, encoded traversal, NUL, overlong, other camera's id in
 * disguise), huge and reversed ranges, odd Range headers, and bodies that are too big, too
 * deep, malformed or of the wrong type. Paths are raw: they reach the server as written
 * (fetch would normalise `../` away before sending).
 */
export interface HostileRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'HEAD';
  /** Raw request target, sent unnormalised. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The camera id as the request gives it (raw, in the path or the body), if it names one. */
  cameraId?: string;
}

export interface HostileContext {
  ownCamera: string;
  otherCamera: string;
  /** A real segment name of the other camera (`<startMs>-<durationMs>.mp4`) and its run start. */
  otherSegment: { name: string; runStartMs: number };
  ownSegment: { name: string; runStartMs: number };
  /** A time inside recorded footage of both cameras. */
  recordedMs: number;
  caseId: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Camera ids as a path segment: the own and the other camera, and disguises of either. */
function idVariants(c: HostileContext): string[] {
  const o = c.otherCamera;
  const own = c.ownCamera;
  return [
    own, own, o, o,
    `..%2F${o}`, `%2e%2e%2f${o}`, '%2E%2E', `${own}%2F..%2F${o}`, `${own}%2F%2E%2E%2F${o}`,
    `${own}%00`, `${o}%00`, `${own}%00${o}`, `${o}%20`, o.toUpperCase(), `${o}%2F`,
    o.replace(/-/g, '%2D'), o.replace(/./g, (ch) => `%${ch.charCodeAt(0).toString(16)}`),
    'x'.repeat(5_000), '%FF%FE%FD', '%C0%AE%C0%AE%C0%AF', 'c%C3%A1m-b', `${own};${o}`, '*',
    "'%20OR%201=1%20--", '%24%7Bjndi:ldap://x%7D', `%252e%252e%252f${o}`, '..', '.',
  ];
}

function timeValue(rng: ChaosRandom, c: HostileContext): string {
  return rng.pick([
    iso(c.recordedMs),
    iso(c.recordedMs - 3_000),
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '-271821-04-20T00:00:00Z',
    '%2B275760-09-13T00:00:00Z',
    '2026-13-45T99:99:99Z',
    '2026-02-30T10:00:00+07:00',
    '2026-03-03T09:40:00', // no offset
    '2026-03-03T09:40:00%2B99:00',
    'NaN',
    '',
    '1e309',
    String(c.recordedMs),
    '%00',
    'x'.repeat(rng.int(100, 20_000)),
    '%E0%A5%A8%E0%A5%A6%E0%A5%A8%E0%A5%AC', // Devanagari digits
    '2026-03-03T09%3A40%3A00Z',
  ]);
}

function rangeQuery(rng: ChaosRandom, c: HostileContext, names: [string, string]): string {
  const shape = rng.int(0, 5);
  const [a, b] = names;
  switch (shape) {
    case 0: // huge
      return `${a}=1970-01-01T00:00:00Z&${b}=9999-12-31T00:00:00Z`;
    case 1: // reversed
      return `${a}=${iso(c.recordedMs)}&${b}=${iso(c.recordedMs - 5_000)}`;
    case 2: // repeated keys
      return `${a}=${iso(c.recordedMs - 4_000)}&${a}=${timeValue(rng, c)}&${b}=${iso(c.recordedMs)}&${b}=x`;
    case 3: // junk besides
      return `${a}=${timeValue(rng, c)}&${b}=${timeValue(rng, c)}&__proto__=1&constructor=x&${'k'.repeat(rng.int(1, 300))}=v`;
    case 4: // a valid small range (200 for the own camera)
      return `${a}=${iso(c.recordedMs - 4_000)}&${b}=${iso(c.recordedMs)}`;
    default:
      return `${a}=${timeValue(rng, c)}&${b}=${timeValue(rng, c)}`;
  }
}

function rangeHeader(rng: ChaosRandom): Record<string, string> {
  const v = rng.pick(['', 'bytes=0-0', 'bytes=999999999999-', 'bytes=-0', 'bytes=0-0,1-1,2-2', 'bytes=abc', 'bytes=5-1', 'bytes=-99999999999999999999', 'items=0-1', 'bytes=0-' + '9'.repeat(400)]);
  return v ? { range: v } : {};
}

export function hostileRequests(rng: ChaosRandom, c: HostileContext, count: number): HostileRequest[] {
  const ids = idVariants(c);
  const out: HostileRequest[] = [];
  for (let i = 0; i < count; i++) {
    const id = rng.pick(ids);
    const cameraId = id;
    const kind = rng.int(0, 11);
    const cam = `/api/v1/cameras/${id}`;
    switch (kind) {
      case 0:
        out.push({ method: 'GET', path: cam, cameraId });
        break;
      case 1:
        out.push({ method: 'GET', path: `${cam}/timeline?${rangeQuery(rng, c, ['start', 'end'])}${rng.next() < 0.3 ? '&includeExpired=maybe' : ''}`, cameraId });
        break;
      case 2:
        out.push({ method: rng.pick(['GET', 'HEAD'] as const), path: `${cam}/clip?${rangeQuery(rng, c, ['start', 'end'])}${rng.next() < 0.3 ? '&download=yes' : ''}`, headers: rangeHeader(rng), cameraId });
        break;
      case 3:
        out.push({ method: 'GET', path: `${cam}/thumbnail?at=${timeValue(rng, c)}&width=${rng.pick(['320', '0', '-1', '99999', '320.5', '1e3', '0x10', '', '16', '%00'])}`, cameraId });
        break;
      case 4:
        out.push({ method: 'GET', path: `${cam}/playback.m3u8?${rangeQuery(rng, c, ['start', 'end'])}`, cameraId });
        break;
      case 5: {
        // A real segment name of either camera, asked through every disguise of an id.
        const seg = rng.next() < 0.5 ? c.otherSegment : c.ownSegment;
        const name = rng.pick([seg.name, seg.name, `..%2F${seg.name}`, seg.name.replace('.mp4', '.mp4%00'), `${seg.name}%2F..%2F..`, '1-1.mp4', '99999999999999999-1.mp4']);
        out.push({ method: 'GET', path: `${cam}/playback/segments/${name}?run=${rng.pick([String(seg.runStartMs), String(seg.runStartMs), '0', '-1', '1'.repeat(30)])}&first=${rng.pick(['0', '1', '2'])}`, headers: rangeHeader(rng), cameraId });
        break;
      }
      case 6:
        out.push({ method: 'GET', path: `${cam}/events?${rangeQuery(rng, c, ['start', 'end'])}`, cameraId });
        break;
      case 7:
        out.push({ method: 'GET', path: `/api/v1/cases?status=${rng.pick(['open', 'closed', 'all', '%00', ''])}&limit=${rng.pick(['1', '0', '501', '-5', '1e9', '999'])}&offset=${rng.pick(['0', '-1', '99999999', 'x'])}&reference=${'r'.repeat(rng.int(0, 500))}`, });
        break;
      case 8:
        out.push({ method: 'GET', path: `/api/v1/cases/${rng.pick([c.caseId, `..%2F${c.caseId}`, `${c.caseId}%00`, 'x'.repeat(3000), '%2e%2e'])}${rng.pick(['', '/clips', '/holds', '/exports'])}`, });
        break;
      case 9:
        out.push({ method: 'GET', path: `/api/v1/audit?${rng.pick(['limit=0', 'limit=99999', 'before=-1', 'camera=' + c.otherCamera, 'camera=..%2F' + c.otherCamera, 'from=' + timeValue(rng, c), 'action=%00'])}`, });
        break;
      case 10:
        out.push(hostileBody(rng, c));
        break;
      default:
        out.push({ method: 'GET', path: `/api/v1/exports/${rng.pick(['exp-1', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(4000)])}${rng.pick(['', '/package'])}`, });
    }
  }
  return out;
}

function hostileBody(rng: ChaosRandom, c: HostileContext): HostileRequest {
  const json = { 'content-type': 'application/json' };
  const caseBody = { reference: `KN-${rng.int(1, 1e9)}`, title: 'Fuzz', site: 'ward-a' };
  switch (rng.int(0, 9)) {
    case 0: // well over the body limit
      return { method: 'POST', path: '/api/v1/cases', headers: json, body: JSON.stringify({ ...caseBody, description: 'x'.repeat(rng.int(300_000, 3_000_000)) }) };
    case 1: // nested deeper than any parser should follow
      return { method: 'POST', path: '/api/v1/cases', headers: json, body: '['.repeat(50_000) + ']'.repeat(50_000) };
    case 2:
      return { method: 'POST', path: '/api/v1/cases', headers: json, body: '{"reference": "KN-1", "title": ' };
    case 3:
      return { method: 'POST', path: '/api/v1/cases', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(caseBody) };
    case 4:
      return { method: 'POST', path: '/api/v1/cases', headers: json, body: JSON.stringify({ ...caseBody, __proto__: { admin: true }, constructor: { prototype: { role: 'admin' } } }) };
    case 5: // a case at the other site
      return { method: 'POST', path: '/api/v1/cases', headers: json, body: JSON.stringify({ ...caseBody, site: 'ward-b' }) };
    case 6: { // footage of the other camera onto an own case
      const cameraId = rng.pick([c.otherCamera, `../${c.otherCamera}`, `${c.ownCamera}/../${c.otherCamera}`, c.otherCamera.toUpperCase(), ` ${c.otherCamera}`]);
      return { method: 'POST', path: `/api/v1/cases/${c.caseId}/${rng.pick(['clips', 'exports'])}`, headers: json, body: JSON.stringify({ cameraId, start: iso(c.recordedMs - 4_000), end: iso(c.recordedMs), reason: 'fuzz' }), cameraId };
    }
    case 7: // a huge range onto an own case
      return { method: 'POST', path: `/api/v1/cases/${c.caseId}/${rng.pick(['clips', 'exports'])}`, headers: json, body: JSON.stringify({ cameraId: c.ownCamera, start: '1970-01-01T00:00:00Z', end: '9999-12-31T00:00:00Z', reason: 'fuzz' }) };
    case 8:
      return { method: 'PATCH', path: `/api/v1/users/${rng.pick(['..%2F..', '%00', 'usr_x'])}`, headers: json, body: JSON.stringify({ role: 'admin', sites: [] }) };
    default:
      return { method: 'POST', path: '/api/v1/cases', headers: json, body: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]) };
  }
}
