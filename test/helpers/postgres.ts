import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

/**
 * A real PostgreSQL server (Debian's package, installed by `ops/setup.sh --test`) for one test
 * file: initdb into a temp dir, listening on 127.0.0.1 on a free port only (no Unix socket),
 * stopped and removed by stop(). Run as the `postgres` system user when the tests run as root
 * (PostgreSQL refuses root), through setpriv with a parent-death signal, so a test process that
 * is killed takes its server down with it.
 *
 * Authentication on loopback: the superuser `postgres` is trusted (for the helper's own admin
 * statements); every other role needs its password (SCRAM), so the tests exercise a real login
 * as the application role `vigil`, which owns each test database (CREATE DATABASE per test).
 * fsync is off: durability is not what these tests measure, and the machine's 2 cores are shared.
 */
export const PG_APP_USER = 'vigil';
export const PG_APP_PASSWORD = 'vigil-test-pw';

export interface PostgresServer {
  host: string;
  port: number;
  /** A new empty database owned by `vigil` (UTF8, C.UTF-8); returns its URL for `vigil`, with the password. */
  createDatabase(opts?: { name?: string; template?: string; icuLocale?: string }): Promise<string>;
  /** URL of a database for the app user (password included) or, with admin, the trusted superuser. */
  urlFor(database: string, opts?: { admin?: boolean; password?: string }): string;
  /** Runs SQL as the superuser (in `database`, default postgres). */
  admin<R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<R[]>;
  /** Stops the server and removes its data dir. */
  stop(): Promise<void>;
}

/** Debian installs each major version under /usr/lib/postgresql/<ver>/bin; the newest wins. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb); run "bash ops/setup.sh --test"');
  return path.join(root, versions[0], 'bin');
}

function runAsPostgres(): { prefix: string[]; uid: number | null; gid: number | null } {
  if (process.getuid?.() !== 0) return { prefix: ['setpriv', '--pdeathsig', 'SIGINT', '--'], uid: null, gid: null };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('the "postgres" system user is missing (it comes with the postgresql package); run "bash ops/setup.sh --test"');
  return { prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--pdeathsig', 'SIGINT', '--'], uid, gid };
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const as = runAsPostgres();
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-pg-'));
  if (as.uid !== null) chownSync(dir, as.uid, as.gid!);
  const data = path.join(dir, 'data');
  const init = spawnSync(as.prefix[0]!, [...as.prefix.slice(1), path.join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' } });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${(init.stderr || init.stdout || String(init.error)).slice(-800)}`);
  }
  const hba = ['host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n');
  writeFileSync(path.join(data, 'pg_hba.conf'), hba);
  if (as.uid !== null) chownSync(path.join(data, 'pg_hba.conf'), as.uid, as.gid!);

  const port = await freePort();
  const settings = ['listen_addresses=127.0.0.1', `port=${port}`, 'unix_socket_directories=', 'fsync=off', 'full_page_writes=off', 'synchronous_commit=off', 'max_connections=120', 'logging_collector=off'];
  const child: ChildProcess = spawn(as.prefix[0]!, [...as.prefix.slice(1), path.join(bin, 'postgres'), '-D', data, ...settings.flatMap((s) => ['-c', s])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  let log = '';
  child.stderr?.on('data', (d) => {
    log = (log + String(d)).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host = '127.0.0.1';
  const urlFor = (database: string, opts: { admin?: boolean; password?: string } = {}) =>
    opts.admin
      ? `postgres://postgres@${host}:${port}/${encodeURIComponent(database)}`
      : `postgres://${PG_APP_USER}:${encodeURIComponent(opts.password ?? PG_APP_PASSWORD)}@${host}:${port}/${encodeURIComponent(database)}`;
  const admin = async <R extends Record<string, unknown>>(text: string, params: unknown[] = [], database = 'postgres'): Promise<R[]> => {
    const client = new pg.Client({ connectionString: urlFor(database, { admin: true }), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<R>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test file that forgets stop(), or fails in its hook: do not leave a server and 40 MB behind.
  const onExit = () => {
    try {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  };
  process.once('exit', onExit);

  try {
    await waitFor(
      'PostgreSQL to accept connections',
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}): ${log.slice(-800)}`);
        try {
          await admin('select 1');
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    await admin(`create role ${PG_APP_USER} login password '${PG_APP_PASSWORD}'`);
  } catch (e) {
    await stop();
    throw e;
  }

  let n = 0;
  return {
    host,
    port,
    urlFor,
    admin,
    stop,
    async createDatabase(opts = {}) {
      const name = opts.name ?? `vigil_test_${++n}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`test database name ${name} must be a plain identifier`);
      const locale = opts.icuLocale ? `locale_provider icu icu_locale '${opts.icuLocale}' locale 'C.UTF-8'` : `locale 'C.UTF-8'`;
      await admin(`create database ${name} owner ${PG_APP_USER} template ${opts.template ?? 'template0'} encoding 'UTF8' ${locale}`);
      return urlFor(name);
    },
  };
}
