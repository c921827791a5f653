import { describe, expect, it } from 'vitest';
import { clientOrigin, type OriginInput } from '../../api/client-origin.ts';

const base: OriginInput = { peerIp: '127.0.0.1', urlProtocol: 'http:', forwardedFor: undefined, forwardedProto: undefined, trustedProxies: [] };

describe('clientOrigin', () => {
  it.each<[string, Partial<OriginInput>, { ip: string; https: boolean }]>([
    ['a direct client', {}, { ip: '127.0.0.1', https: false }],
    ['TLS ended here', { urlProtocol: 'https:' }, { ip: '127.0.0.1', https: true }],
    ['IPv4-mapped IPv6 peer', { peerIp: '::ffff:10.1.2.3' }, { ip: '10.1.2.3', https: false }],
    ['forwarded headers from an untrusted peer are ignored', { forwardedFor: '203.0.113.9', forwardedProto: 'https' }, { ip: '127.0.0.1', https: false }],
    ['a trusted proxy: client from X-Forwarded-For, HTTPS from X-Forwarded-Proto', { trustedProxies: ['127.0.0.1'], forwardedFor: '203.0.113.9', forwardedProto: 'https' }, { ip: '203.0.113.9', https: true }],
    ['a forged leftmost hop is skipped: the nearest untrusted hop is the client', { trustedProxies: ['127.0.0.1', '10.0.0.2'], forwardedFor: '6.6.6.6, 203.0.113.9, 10.0.0.2' }, { ip: '203.0.113.9', https: false }],
    ['the last X-Forwarded-Proto (written by our proxy) decides', { trustedProxies: ['127.0.0.1'], forwardedProto: 'https, http' }, { ip: '127.0.0.1', https: false }],
    ['garbage hops are dropped', { trustedProxies: ['127.0.0.1'], forwardedFor: 'unknown, <script>' }, { ip: '127.0.0.1', https: false }],
    ['a trusted proxy written as mapped IPv6 matches', { peerIp: '::ffff:127.0.0.1', trustedProxies: ['127.0.0.1'], forwardedFor: '2001:db8::1' }, { ip: '2001:db8::1', https: false }],
    ['no peer (in-process request)', { peerIp: '' }, { ip: '', https: false }],
  ])('%s', (_n, patch, want) => {
    expect(clientOrigin({ ...base, ...patch })).toEqual(want);
  });
});
