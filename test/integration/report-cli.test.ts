import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { CamerasRepo } from '../../src/db/cameras-repo.ts';
import { GapsRepo } from '../../src/db/gaps-repo.ts';
import { SegmentsRepo } from '../../src/db/segments-repo.ts';
import { segmentKey } from '../../src/object-keys.ts';
import { localTimeToUtcMs, parseLocalDate } from '../../src/report/office-schedule.ts';

// `vigil report` as a person runs it: a real process, a real SQLite index with two days of
// 10-minute segments, one outage over lunch and 30/4 declared a holiday in the configuration.
const repo = path.resolve(import.meta.dirname, '../..');
const HCM = 'Asia/Ho_Chi_Minh';
const at = (date: string, hh: number, mm = 0) => localTimeToUtcMs(parseLocalDate(date)!, hh * 60 + mm, HCM);

function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', ...args], { cwd: repo, env: { ...process.env, VIGIL_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('vigil report', () => {
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-report-'));
    configFile = path.join(dir, 'vigil.json');
    writeFileSync(configFile, JSON.stringify({
      dataDir: dir,
      sites: [{ id: 'district-1', name: 'Quận 1' }, { id: 'ward-x', name: 'Phường X', parent: 'district-1' }, { id: 'ward-y', name: 'Phường Y' }],
      cameras: [
        { id: 'ward-x-counter-3', name: 'Quầy số 3', site: 'ward-x', rtspUrl: 'rtsp://127.0.0.1:1/x' },
        { id: 'ward-y-counter-1', name: 'Quầy số 1', site: 'ward-y', rtspUrl: 'rtsp://127.0.0.1:1/y' },
      ],
      report: { holidays: ['2026-04-30'] },
    }));
    const db = await openDatabase({ driver: 'sqlite', sqlitePath: path.join(dir, 'vigil.db') });
    await new CamerasRepo(db, () => at('2026-03-01', 8)).upsert({ id: 'ward-x-counter-3', name: 'Quầy số 3', siteId: 'ward-x', source: 'rtsp' });
    await new CamerasRepo(db, () => at('2026-03-01', 8)).upsert({ id: 'ward-y-counter-1', name: 'Quầy số 1', siteId: 'ward-y', source: 'rtsp' });
    const segments = new SegmentsRepo(db, () => Date.now());
    const seg = 10 * 60_000;
    for (const cameraId of ['ward-x-counter-3', 'ward-y-counter-1']) {
      for (let t = at('2026-03-02', 0); t < at('2026-03-04', 0); t += seg) {
        if (cameraId === 'ward-x-counter-3' && t >= at('2026-03-02', 10, 30) && t < at('2026-03-02', 13, 30)) continue;
        await segments.insert({ cameraId, startMs: t, durationMs: seg, sizeBytes: 1000, sha256: '0'.repeat(64), objectKey: segmentKey(cameraId, t, seg), initBytes: 100 });
      }
    }
    await new GapsRepo(db, () => Date.now()).insert({ cameraId: 'ward-x-counter-3', startMs: at('2026-03-02', 10, 30), endMs: at('2026-03-02', 13, 30), reason: 'camera_unreachable', detail: 'refused' });
    await db.destroy();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the CSV of a period for every site', async () => {
    const r = await vigil(['report', '--from', '2026-03-02', '--to', '2026-03-03', '--config', configFile]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toMatch(/^Loại dòng,Mã đơn vị,Đơn vị,Mã camera,Camera,Giờ hành chính \(phút\),Đã ghi hình \(phút\),Tỷ lệ hoạt động \(%\),Mất kết nối camera \(phút\)/);
    expect(lines.find((l) => l.startsWith('camera,ward-x,Phường X,ward-x-counter-3,Quầy số 3,960.0,900.0,93.75,60.0,0.0,1,60.0,2026-03-02T10:30:00.000+07:00,2026-03-02T13:30:00.000+07:00,ward-x-counter-3'))).toBeTruthy();
    expect(lines.find((l) => l.startsWith('camera,ward-y,Phường Y,ward-y-counter-1,Quầy số 1,960.0,960.0,100.00,'))).toBeTruthy();
    expect(lines.at(-1)).toMatch(/^total,,,,,1920\.0,1860\.0,96\.87,/);
  }, 30_000);

  it('writes the printable HTML of one site (and the sites below it) to a file', async () => {
    const out = path.join(dir, 'district-1.html');
    const r = await vigil(['report', '--from', '2026-03-02', '--to', '2026-03-03', '--site', 'district-1', '--output', out, '--config', configFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report written to ${out} (1 camera(s))`);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Báo cáo tỷ lệ hoạt động camera trong giờ hành chính');
    expect(html).toContain('Phường X');
    expect(html).not.toContain('Phường Y');
    expect(html).toContain('30/04/2026');
  }, 30_000);

  it('says what is wrong with a bad date or an unknown site', async () => {
    const bad = await vigil(['report', '--from', '2/3/2026', '--config', configFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/"2\/3\/2026" is not a date; write it as YYYY-MM-DD/);
    const site = await vigil(['report', '--from', '2026-03-02', '--site', 'ward-z', '--config', configFile]);
    expect(site.code).toBe(1);
    expect(site.stderr).toMatch(/site "ward-z" is not in the configuration \(known sites: district-1, ward-x, ward-y\)/);
  }, 30_000);
});
