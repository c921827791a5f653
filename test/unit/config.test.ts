import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, validateConfig, findConfigFile } from '../../src/config/load.ts';
import { VigilError } from '../../src/errors.ts';

function problemsOf(fn: () => unknown): { message: string; keys: string[] } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    const err = e as VigilError;
    const problems = (err.details.problems ?? []) as Array<{ key: string }>;
    return { message: err.message, keys: problems.map((p) => p.key) };
  }
  throw new Error('expected the configuration to be rejected');
}

describe('config defaults', () => {
  it('gives the embedded install with no file and no environment', () => {
    const cfg = loadConfig({ file: null, env: {}, cwd: '/srv/vigil' });
    expect(cfg.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(cfg.database.driver).toBe('sqlite');
    expect(cfg.database.sqlitePath).toBe('/srv/vigil/data/vigil.db');
    expect(cfg.storage.driver).toBe('fs');
    expect(cfg.storage.fsRoot).toBe('/srv/vigil/data/objects');
    expect(cfg.recorder.spoolDir).toBe('/srv/vigil/data/spool');
    expect(cfg.recorder.segmentMs).toBe(10_000);
    expect(cfg.timeZone).toBe('Asia/Ho_Chi_Minh');
  });

  it('takes VIGIL_* environment overrides over the file', () => {
    const cfg = validateConfig(
      { http: { port: 9000 } },
      { env: { VIGIL_HTTP_PORT: '9191', VIGIL_STORAGE_DRIVER: 'minio', VIGIL_STORAGE_MINIO_END_POINT: '127.0.0.1', VIGIL_STORAGE_MINIO_ACCESS_KEY: 'a', VIGIL_STORAGE_MINIO_SECRET_KEY: 'supersecret', VIGIL_STORAGE_MINIO_BUCKET: 'vigil', VIGIL_STORAGE_MINIO_USE_SSL: 'false' }, cwd: '/x' },
    );
    expect(cfg.http.port).toBe(9191);
    expect(cfg.storage.driver).toBe('minio');
    expect(cfg.storage.minio).toMatchObject({ endPoint: '127.0.0.1', port: 9000, useSSL: false, bucket: 'vigil' });
  });

  it('reads YAML and JSON files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cfg-'));
    writeFileSync(path.join(dir, 'vigil.yaml'), 'http:\n  port: 8181\nsites:\n  - id: ward-x\n    name: Phường X\ncameras:\n  - id: ward-x-counter-3\n    site: ward-x\n    rtspUrl: rtsp://10.0.0.3/main\n');
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ http: { port: 8282 } }));
    const found = findConfigFile(undefined, {}, dir);
    expect(found).toBe(path.join(dir, 'vigil.yaml'));
    expect(loadConfig({ file: found, env: {}, cwd: dir }).cameras[0]?.id).toBe('ward-x-counter-3');
    expect(loadConfig({ file: findConfigFile('other.json', {}, dir), env: {}, cwd: dir }).http.port).toBe(8282);
  });
});

// Each bad configuration must be rejected naming every wrong key, in plain words.
const BAD: Array<{ name: string; raw: unknown; env?: Record<string, string>; keys: string[]; says: RegExp[] }> = [
  { name: 'port as text', raw: { http: { port: 'eighty' } }, keys: ['http.port'], says: [/http\.port: must be a number \(got "eighty"\)/] },
  { name: 'port out of range', raw: { http: { port: 70000 } }, keys: ['http.port'], says: [/from 1 to 65535/] },
  { name: 'misspelt key', raw: { htpp: { port: 1 } }, keys: ['htpp'], says: [/htpp: is not a known setting; did you mean "http"\?/] },
  { name: 'misspelt nested key', raw: { storage: { drivr: 'fs' } }, keys: ['storage.drivr'], says: [/did you mean "driver"/] },
  { name: 'unknown driver', raw: { storage: { driver: 's3' } }, keys: ['storage.driver'], says: [/one of "fs", "minio" \(got "s3"\)/] },
  { name: 'minio without its section', raw: { storage: { driver: 'minio' } }, keys: ['storage.minio'], says: [/required when storage.driver is "minio"/] },
  { name: 'postgres without url', raw: { database: { driver: 'postgres' } }, keys: ['database.postgresUrl'], says: [/required when database.driver is "postgres"/] },
  { name: 'bad time zone', raw: { timeZone: 'Saigon' }, keys: ['timeZone'], says: [/IANA time zone/] },
  { name: 'bad camera id and missing source', raw: { cameras: [{ id: 'Ward X' }] }, keys: ['cameras[0].id', 'cameras[0]'], says: [/lowercase letters, digits and dashes/, /exactly one of "onvif"/] },
  { name: 'duplicate camera ids', raw: { cameras: [{ id: 'a', rtspUrl: 'rtsp://h/1' }, { id: 'a', rtspUrl: 'rtsp://h/2' }] }, keys: ['cameras[1].id'], says: [/repeats camera id "a"/] },
  { name: 'camera at an undeclared site', raw: { cameras: [{ id: 'a', site: 'ward-y', rtspUrl: 'rtsp://h/1' }] }, keys: ['cameras[0].site'], says: [/not declared in sites/] },
  { name: 'rtsp url with another scheme', raw: { cameras: [{ id: 'a', rtspUrl: 'http://h/1' }] }, keys: ['cameras[0].rtspUrl'], says: [/rtsp:\/\//] },
  { name: 'segment too short', raw: { recorder: { segmentMs: 100 } }, keys: ['recorder.segmentMs'], says: [/at least 1000 ms/] },
  { name: 'top level is a list', raw: [1, 2], keys: [], says: [/must be a set of key: value settings/] },
  { name: 'unknown env variable', raw: {}, env: { VIGIL_HTTP_PROT: '1' }, keys: ['VIGIL_HTTP_PROT'], says: [/did you mean VIGIL_HTTP_PORT/] },
  { name: 'env number not a number', raw: {}, env: { VIGIL_HTTP_PORT: 'abc' }, keys: ['VIGIL_HTTP_PORT'], says: [/must be a number \(got "abc"\)/] },
  {
    name: 'several problems at once',
    raw: { http: { port: -1, host: '' }, log: { level: 'loud' } },
    keys: ['http.port', 'http.host', 'log.level'],
    says: [/has 3 problems/, /log\.level: must be one of "fatal"/],
  },
];

describe('config errors', () => {
  it.each(BAD)('rejects $name', ({ raw, env, keys, says }) => {
    const { message, keys: got } = problemsOf(() => validateConfig(raw, { env: env ?? {}, cwd: '/x' }));
    expect(got.sort()).toEqual([...keys].sort());
    for (const re of says) expect(message).toMatch(re);
    expect(message).toMatch(/^Vigil cannot start/);
    expect(message).not.toMatch(/ZodError|invalid_type|"code"/);
  });

  it('never echoes a secret value in its message', () => {
    const { message } = problemsOf(() =>
      validateConfig({ storage: { driver: 'minio', minio: { endPoint: 'h', accessKey: 'k', secretKey: 12345678, bucket: 'b' } } }),
    );
    expect(message).toContain('storage.minio.secretKey');
    expect(message).not.toContain('12345678');
  });

  it('reports an unreadable or malformed file with its line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cfg-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'http:\n  port: 80\n bad-indent: [\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(/is not valid YAML at line \d+/);
    expect(() => loadConfig({ file: path.join(dir, 'missing.yaml'), env: {} })).toThrow(/does not exist/);
  });
});
