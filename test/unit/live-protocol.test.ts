import { describe, expect, expectTypeOf, it } from 'vitest';
import { LIVE_CLOSE, parseClientMessage, type LiveSink as RecorderSink } from '../../recorder/live/live-protocol.ts';
import type { LiveHub } from '../../recorder/live/live-hub.ts';
import { LIVE_CLOSE_CODES, parseAck, type LiveSink as ApiSink, type LiveSource } from '../../api/live/live-source.ts';

/** api/live may not import recorder/: its copy of the protocol must stay equal to the recorder's. */
describe('live protocol, recorder and API views', () => {
  it('the API relays into the recorder hub and the hub serves as the API source', () => {
    expectTypeOf<ApiSink>().toExtend<RecorderSink>();
    expectTypeOf<Pick<LiveHub, 'watch' | 'snapshot'>>().toExtend<LiveSource>();
  });

  it('close codes agree', () => {
    for (const [name, code] of Object.entries(LIVE_CLOSE)) {
      if (name in LIVE_CLOSE_CODES) expect(LIVE_CLOSE_CODES[name as keyof typeof LIVE_CLOSE_CODES]).toBe(code);
    }
    expect(LIVE_CLOSE_CODES.dropped).toBe(LIVE_CLOSE.dropped);
  });

  it.each([
    ['{"type":"ack","count":12}', 12],
    ['{"type":"ack","count":0}', 0],
    ['{"type":"ack","count":-1}', null],
    ['{"type":"ack","count":1.5}', null],
    ['{"type":"ack"}', null],
    ['{"type":"nack","count":3}', null],
    ['not json', null],
    [`{"type":"ack","count":1,"pad":"${'x'.repeat(300)}"}`, null],
  ])('client message %s → ack %s on both sides', (text, count) => {
    expect(parseAck(text)).toBe(count);
    expect(parseClientMessage(text)).toEqual(count === null ? null : { type: 'ack', count });
  });
});
