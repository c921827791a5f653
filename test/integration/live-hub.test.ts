import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { LiveHub } from '../../recorder/live/live-hub.ts';

/** The hub's private socket directory: made 0700, removed at close, leftovers of dead recorders swept. */
describe('live socket directory', () => {
  const log = createLogger({ destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const parents: string[] = [];
  afterEach(() => {
    for (const p of parents.splice(0)) rmSync(p, { recursive: true, force: true });
  });
  const parent = () => {
    const p = mkdtempSync(path.join(tmpdir(), 'vlh-'));
    parents.push(p);
    return p;
  };
  const leftover = (dir: string, owner: string) => {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'owner'), owner);
    return dir;
  };

  it('is private to this recorder, holds one socket per camera, and goes at close', async () => {
    const p = parent();
    const hub = new LiveHub({ clock: systemClock, log, socketDir: p });
    const out = await hub.addCamera('ward-x-counter-3');
    const [dir] = readdirSync(p);
    expect(statSync(path.join(p, dir!)).mode & 0o777).toBe(0o700);
    expect(out.output).toMatch(new RegExp(`^unix:${p}/vigil-live-\\w+/[0-9a-f]{16}\\.sock$`));
    expect(existsSync(out.output.slice(5))).toBe(true);
    await expect(hub.addCamera('ward-x-counter-3')).rejects.toThrow(/added twice/);
    await hub.close();
    expect(readdirSync(p)).toEqual([]);
  });

  it('sweeps directories of dead recorders on this host only', async () => {
    const p = parent();
    const dead = leftover(path.join(p, 'vigil-live-dead01'), `${hostname()} 999999999`);
    const running = leftover(path.join(p, 'vigil-live-run001'), `${hostname()} ${process.pid}`);
    const elsewhere = leftover(path.join(p, 'vigil-live-other1'), 'another-host 999999999');
    const unknown = path.join(p, 'vigil-live-nowner');
    mkdirSync(unknown);
    const hub = new LiveHub({ clock: systemClock, log, socketDir: p });
    await hub.addCamera('cam-1');
    expect([existsSync(dead), existsSync(running), existsSync(elsewhere), existsSync(unknown)]).toEqual([false, true, true, true]);
    await hub.close();
  });

  it('refuses a socket directory too deep for unix socket paths, saying what to set', async () => {
    const deep = path.join(parent(), 'd'.repeat(90));
    const hub = new LiveHub({ clock: systemClock, log, socketDir: deep });
    await expect(hub.addCamera('cam-1')).rejects.toMatchObject({ code: 'config_invalid', details: { hint: expect.stringContaining('live.socketDir') } });
    await hub.close();
  });
});
