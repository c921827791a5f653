import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { systemClock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/load.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/metrics.ts';
import { startRetentionUnderLock } from '../../bin/retention-lock.ts';
import { TestDatabases } from '../helpers/test-db.ts';
import { waitFor } from '../helpers/wait.ts';

// The all-in-one `vigil` on PostgreSQL runs retention only under the `retention` role lock
// (bin/retention-lock.ts, the one `vigil retention` takes): of two processes on one index one
// runs it, the other logs that it stands by and takes over when the first stops.
const dbs = new TestDatabases();
const dir = mkdtempSync(path.join(tmpdir(), 'vigil-retlock-'));
afterAll(async () => {
  await dbs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function capturingLogger() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  return { log: createLogger({ level: 'info', destination: stream }), said: (text: string) => lines.some((l) => l.includes(text)), lines };
}

function configFor(name: string, database: object) {
  return validateConfig(
    { dataDir: path.join(dir, name), database, metrics: { enabled: false }, live: { enabled: false } },
    { env: {}, cwd: dir, file: null },
  );
}

describe('retention in the all-in-one vigil', () => {
  it('on PostgreSQL: one of two processes runs it; the other stands by, says so, and takes over when the first stops', async () => {
    const database = await dbs.fresh('postgres');
    await (await openDatabase(database)).destroy(); // migrated, as `vigil migrate` leaves it
    const a = capturingLogger();
    const b = capturingLogger();
    const first = await startRetentionUnderLock({ config: configFor('a', database), clock: systemClock, log: a.log, registry: createMetricsRegistry({ defaultMetrics: false }), retryMs: 200 });
    await waitFor('the first process to take the retention lock', () => first.running(), { timeoutMs: 10_000 });
    expect(a.said('retention lock taken: this process runs retention')).toBe(true);
    const second = await startRetentionUnderLock({ config: configFor('b', database), clock: systemClock, log: b.log, registry: createMetricsRegistry({ defaultMetrics: false }), retryMs: 200 });
    await waitFor('the second process to say it stands by', () => b.said('another retention process holds the lock; standing by'), { timeoutMs: 10_000 });
    // It tried and found the lock held: not running while the first holds it.
    expect(second.running()).toBe(false);
    expect(first.running()).toBe(true);
    await first.close();
    await waitFor('the standby to take over retention', () => second.running(), { timeoutMs: 10_000 });
    expect(b.said('retention lock taken: this process runs retention')).toBe(true);
    // A standby told to stop gives up at once and never runs retention.
    const third = await startRetentionUnderLock({ config: configFor('c', database), clock: systemClock, log: createLogger({ level: 'silent' }), registry: createMetricsRegistry({ defaultMetrics: false }), retryMs: 60_000 });
    await third.close();
    expect(third.running()).toBe(false);
    await second.close();
  });

  it('on PostgreSQL: a holder whose lock session drops stops retention at once, says so, and stands by for the lock again', async () => {
    const database = await dbs.fresh('postgres');
    const admin = await openDatabase(database);
    const a = capturingLogger();
    const first = await startRetentionUnderLock({ config: configFor('lost-a', database), clock: systemClock, log: a.log, registry: createMetricsRegistry({ defaultMetrics: false }), retryMs: 200 });
    await waitFor('the first process to take the retention lock', () => first.running(), { timeoutMs: 10_000 });
    const b = capturingLogger();
    const registryB = createMetricsRegistry({ defaultMetrics: false });
    const second = await startRetentionUnderLock({ config: configFor('lost-b', database), clock: systemClock, log: b.log, registry: registryB, retryMs: 200 });
    await waitFor('the second process to stand by', () => b.said('another retention process holds the lock; standing by'), { timeoutMs: 10_000 });
    // A standby shows no retention series (a "last run failed" 0 would raise an alert).
    expect(await registryB.metrics()).not.toContain('vigil_retention_last_run_success');
    // The first one's lock session is cut (as by a PostgreSQL restart or a network cut).
    const { rows } = await sql<{ pid: number }>`select pid from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`.execute(admin);
    expect(rows).toHaveLength(1);
    await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(admin);
    await waitFor('the first process to stop retention', () => !first.running() && a.said('retention lock lost: retention stops in this process'), { timeoutMs: 10_000 });
    await waitFor('one of the two to run retention again', () => first.running() || second.running(), { timeoutMs: 10_000 }).catch((e: Error) => {
      throw new Error(`${e.message}\nfirst: ${a.lines.join('\n')}\nsecond: ${b.lines.join('\n')}`);
    });
    expect(first.running() && second.running()).toBe(false);
    // Whichever holds it now, the other takes over when it stops: the first stood by again.
    const [holder, standby] = first.running() ? [first, second] : [second, first];
    await holder.close();
    await waitFor('the other process to take over', () => standby.running(), { timeoutMs: 10_000 });
    await standby.close();
    await admin.destroy();
  });

  it('two whole `vigil` processes (every role) on one PostgreSQL: one runs retention, the other stands by and takes over when it stops', async () => {
    const database = await dbs.fresh('postgres');
    await (await openDatabase(database)).destroy();
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const procs: Array<{ child: ChildProcess; out: string }> = [];
    const spawnVigil = async (name: string) => {
      const config = path.join(dir, `${name}.json`);
      writeFileSync(config, JSON.stringify({ dataDir: path.join(dir, name), database, http: { port: await freePort() }, metrics: { enabled: false }, live: { enabled: false }, recorder: { nodeId: name } }));
      const p = { child: spawn(process.execPath, ['--import', 'tsx', 'bin/vigil.ts', '--config', config], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }), out: '' };
      p.child.stdout!.on('data', (d) => (p.out += String(d)));
      p.child.stderr!.on('data', (d) => (p.out += String(d)));
      procs.push(p);
      return p;
    };
    const stopped = (p: { child: ChildProcess }) => new Promise<void>((r) => (p.child.exitCode !== null ? r() : p.child.once('exit', () => r())));
    try {
      const a = await spawnVigil('node-a');
      await waitFor('the first vigil to take the retention lock', () => a.out.includes('retention lock taken: this process runs retention'), { timeoutMs: 60_000 }).catch((e: Error) => { throw new Error(`${e.message}\n${a.out.slice(-3000)}`); });
      const b = await spawnVigil('node-b');
      await waitFor('the second vigil to stand by', () => b.out.includes('another retention process holds the lock; standing by'), { timeoutMs: 60_000 }).catch((e: Error) => { throw new Error(`${e.message}\n${b.out.slice(-3000)}`); });
      await waitFor('the second vigil to serve its API while standing by', () => b.out.includes('api listening'), { timeoutMs: 60_000 });
      expect(b.out).not.toContain('retention lock taken');
      a.child.kill('SIGINT');
      await stopped(a);
      await waitFor('the second vigil to take retention over', () => b.out.includes('retention lock taken: this process runs retention'), { timeoutMs: 30_000 }).catch((e: Error) => { throw new Error(`${e.message}\n${b.out.slice(-3000)}`); });
    } finally {
      for (const p of procs) {
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGINT');
        const t = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
        await stopped(p);
        clearTimeout(t);
      }
    }
  }, 120_000);

  it('on SQLite: runs at once, no lock (one process owns the index)', async () => {
    const database = await dbs.fresh('sqlite');
    const { log, said } = capturingLogger();
    const r = await startRetentionUnderLock({ config: configFor('s', database), clock: systemClock, log, registry: createMetricsRegistry({ defaultMetrics: false }) });
    expect(r.running()).toBe(true);
    expect(said('standing by')).toBe(false);
    await r.close();
  });
});
