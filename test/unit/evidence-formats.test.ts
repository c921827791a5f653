import { describe, expect, it } from 'vitest';
import { exportProgress, overallFraction, type ExportPhase } from '../../src/evidence/export-progress.ts';
import { formatSha256Sums, parseSha256Sums } from '../../src/evidence/sha256sums.ts';
import { fingerprintMatches, normalizeFingerprint } from '../../src/evidence/signing-key.ts';
import { BLOCK, decodeHeader, encodeHeader, paddedSize } from '../../src/evidence/tar-header.ts';

const H = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('ustar headers', () => {
  it.each([
    ['short file', { name: 'vigil-evidence-ev-1/manifest.json', type: 'file' as const, mode: 0o644, sizeBytes: 1234, mtimeSec: 1_772_505_600 }],
    ['empty file', { name: 'a/b', type: 'file' as const, mode: 0o600, sizeBytes: 0, mtimeSec: 0 }],
    ['folder', { name: 'vigil-evidence-ev-1', type: 'dir' as const, mode: 0o755, sizeBytes: 0, mtimeSec: 5 }],
    ['name over 100 bytes uses the prefix', { name: `${'d'.repeat(90)}/${'f'.repeat(60)}.mp4`, type: 'file' as const, mode: 0o644, sizeBytes: 8 ** 11 - 1, mtimeSec: 1 }],
  ])('round-trips a %s', (_n, h) => {
    const b = encodeHeader(h);
    expect(b.length).toBe(BLOCK);
    expect(b.toString('ascii', 257, 263)).toBe('ustar\0');
    expect(decodeHeader(b)).toEqual({ kind: 'entry', header: h });
  });

  it('detects a damaged header, the end marker and foreign entry types', () => {
    const b = encodeHeader({ name: 'x/y', type: 'file', mode: 0o644, sizeBytes: 3, mtimeSec: 0 });
    const damaged = Buffer.from(b);
    damaged[0] = damaged[0]! ^ 1;
    expect(decodeHeader(damaged)).toMatchObject({ kind: 'bad', why: expect.stringContaining('checksum') });
    expect(decodeHeader(Buffer.alloc(BLOCK))).toEqual({ kind: 'end' });
    expect(decodeHeader(Buffer.alloc(100))).toMatchObject({ kind: 'bad' });
    const link = Buffer.from(b);
    link.write('2', 156, 'ascii'); // symlink
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : link[i]!;
    link.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    expect(decodeHeader(link)).toMatchObject({ kind: 'bad', why: expect.stringContaining('type "2"') });
  });

  it('refuses what ustar cannot hold', () => {
    expect(() => encodeHeader({ name: 'é', type: 'file', mode: 0o644, sizeBytes: 1, mtimeSec: 0 })).toThrow(RangeError);
    expect(() => encodeHeader({ name: 'a', type: 'file', mode: 0o644, sizeBytes: 8 ** 11, mtimeSec: 0 })).toThrow(RangeError);
    expect(() => encodeHeader({ name: 'x'.repeat(120), type: 'file', mode: 0o644, sizeBytes: 1, mtimeSec: 0 })).toThrow(RangeError);
  });

  it.each([[0, 0], [1, 512], [512, 512], [513, 1024]])('pads %d bytes to %d', (n, want) => {
    expect(paddedSize(n)).toBe(want);
  });
});

describe('SHA256SUMS', () => {
  it('writes the coreutils format and reads it back', () => {
    const text = formatSha256Sums([{ name: 'clip.mp4', sha256: H }, { name: 'manifest.json', sha256: H }]);
    expect(text).toBe(`${H}  clip.mp4\n${H}  manifest.json\n`);
    expect(parseSha256Sums(text)).toEqual({ ok: true, lines: [{ name: 'clip.mp4', sha256: H }, { name: 'manifest.json', sha256: H }] });
  });

  it.each<[string, string, RegExp]>([
    ['empty', '', /empty/],
    ['no final newline', `${H}  a`, /newline/],
    ['upper-case hex', `${H.toUpperCase()}  a\n`, /line 1/],
    ['one space', `${H} a\n`, /line 1/],
    ['binary-mode star', `${H} *a\n`, /line 1/],
    ['a path', `${H}  ../a\n`, /line 1/],
    ['a short hash', `${H.slice(1)}  a\n`, /line 1/],
    ['a blank line', `${H}  a\n\n`, /line 2/],
    ['a name twice', `${H}  a\n${H}  a\n`, /second time/],
    ['CRLF', `${H}  a\r\n`, /line 1/],
  ])('refuses %s', (_n, text, why) => {
    const p = parseSha256Sums(text);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.why).toMatch(why);
  });
});

describe('fingerprints', () => {
  const fp = '3f2a-91bc-07de-55aa-1234-5678-9abc-def0';
  it.each<[string, boolean]>([
    [fp, true],
    [fp.toUpperCase(), true],
    ['3f2a:91bc:07de:55aa:1234:5678:9abc:def0', true],
    ['3f2a91bc07de55aa123456789abcdef0', true],
    [`3f2a91bc07de55aa123456789abcdef0${'0'.repeat(32)}`, true], // the full SHA-256
    ['3f2a-91bc-07de-55aa-1234-5678-9abc-def1', false],
    ['3f2a-91bc', false], // too short to mean anything
    ['', false],
  ])('%s matches: %s', (given, want) => {
    expect(fingerprintMatches(fp, given)).toBe(want);
  });
  it('normalises to hex digits', () => {
    expect(normalizeFingerprint(' 3F2A-91bc ')).toBe('3f2a91bc');
  });
});

describe('export progress', () => {
  it.each<[ExportPhase, number, number]>([
    ['clip', 0, 0],
    ['clip', 0.5, 0.35],
    ['clip', 1, 0.7],
    ['hashing', 0.5, 0.75],
    ['packaging', 1, 0.88],
    ['storing', 0, 0.94],
    ['clip', 7, 0.7],
    ['clip', Number.NaN, 0],
  ])('%s at %d is %d overall', (phase, f, want) => {
    expect(overallFraction(phase, f)).toBeCloseTo(want, 6);
  });

  it('writes on phase changes and steps of 1 %, in order, never backwards', async () => {
    const writes: Array<[number, string]> = [];
    const p = exportProgress(async (f, phase) => {
      writes.push([f, phase]);
    });
    for (let i = 0; i <= 1000; i++) p.report('clip', i / 1000);
    p.report('clip', 0.2); // a late, lower report
    p.report('hashing', 0);
    p.report('hashing', 0.001);
    await p.flush();
    const clipWrites = writes.filter(([, ph]) => ph === 'clip');
    expect(clipWrites.length).toBeGreaterThan(60);
    expect(clipWrites.length).toBeLessThanOrEqual(71);
    expect(writes.map(([f]) => f)).toEqual([...writes.map(([f]) => f)].sort((a, b) => a - b));
    expect(writes[writes.length - 1]).toEqual([0.7, 'hashing']);
  });

  it('flush reports a failed write', async () => {
    const p = exportProgress(async () => {
      throw new Error('db down');
    });
    p.report('clip', 0.5);
    await expect(p.flush()).rejects.toThrow('db down');
  });
});
