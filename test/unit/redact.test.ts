import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { redactText, scrubSecrets, stripUrlCredentials } from '../../src/redact.ts';
import { createLogger } from '../../src/logger.ts';
import { VigilError } from '../../src/errors.ts';

describe('redaction', () => {
  it.each([
    ['rtsp://admin:Secr3t!@10.0.0.5:554/Streaming/101', 'rtsp://[redacted]@10.0.0.5:554/Streaming/101'],
    ['opening rtsp://admin:p%40ss@cam/x failed', 'opening rtsp://[redacted]@cam/x failed'],
    ['http://user@host/a', 'http://[redacted]@host/a'],
    ['GET /snap?token=abc123&x=1', 'GET /snap?token=[redacted]&x=1'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload', 'Authorization: Bearer [redacted]'],
    ['rtsp://10.0.0.5/plain', 'rtsp://10.0.0.5/plain'],
  ])('redactText(%s)', (input, want) => {
    expect(redactText(input)).toBe(want);
  });

  it('strips URL credentials for display', () => {
    expect(stripUrlCredentials('rtsp://a:b@h:554/p')).toBe('rtsp://h:554/p');
  });

  it('scrubs nested secret keys, URLs in strings and errors', () => {
    const out = scrubSecrets({
      camera: { id: 'c1', password: 'hunter2', url: 'rtsp://u:hunter2@h/' },
      headers: { Authorization: 'Basic dXNlcjpodW50ZXIy' },
      err: new VigilError('camera_auth_failed', 'rtsp://u:hunter2@h/ said 401'),
    });
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(JSON.stringify(out)).not.toContain('dXNlcjpodW50ZXIy');
    expect(out).toMatchObject({ camera: { id: 'c1', password: '[redacted]' } });
  });
});

describe('logger', () => {
  it('writes JSON lines without any secret, whatever the caller passes', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...String(chunk).trim().split('\n'));
        cb();
      },
    });
    const log = createLogger({ destination: sink, base: { role: 'test' } });
    log.info({ cameraId: 'ward-x-counter-3', url: 'rtsp://admin:hunter2@10.0.0.9/1', password: 'hunter2' }, 'connecting');
    log.warn('failed rtsp://admin:hunter2@10.0.0.9/1 token=abcdef');
    log.error({ err: new Error('auth to rtsp://admin:hunter2@h/ refused') }, 'boom');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const obj = JSON.parse(line) as Record<string, unknown>;
      expect(obj.service).toBe('vigil');
      expect(obj.role).toBe('test');
      expect(line).not.toContain('hunter2');
      expect(line).not.toContain('abcdef');
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', cameraId: 'ward-x-counter-3', msg: 'connecting' });
  });
});
