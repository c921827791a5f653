import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { VigilError } from '../errors.ts';
import { redactText } from '../redact.ts';

/**
 * The PostgreSQL side of openDatabase(): a `pg` Pool with bounded connects, integers read as
 * numbers, and the checks a database must pass before Vigil uses it. Nothing here ever puts the
 * password of `database.postgresUrl` into a message: places are named by host, port, database
 * and user only (describePostgresUrl), and driver messages pass through redactText.
 */

/** A connection attempt (TCP + TLS + authentication) gives up after this long. */
export const POSTGRES_CONNECT_TIMEOUT_MS = 10_000;
/** Connections per process: the recorder's uploader, the API and retention share one pool. */
export const POSTGRES_POOL_MAX = 10;

export interface PostgresPlace {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** Where a postgres:// URL points, without its password. Unparseable URLs say so. */
export function postgresPlace(url: string): PostgresPlace | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return null;
  const host = u.searchParams.get('host') ?? (decodeURIComponent(u.hostname) || 'localhost');
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  return { host, port: Number(u.port || u.searchParams.get('port') || 5432), database, user: decodeURIComponent(u.username) || '(default user)' };
}

/** `the PostgreSQL database "vigil" at db1:5432 (user "vigil")`: for messages and command output. */
export function describePostgresUrl(url: string): string {
  const p = postgresPlace(url);
  return p ? `the PostgreSQL database "${p.database}" at ${p.host}:${p.port} (user "${p.user}")` : 'the PostgreSQL database of database.postgresUrl';
}

/**
 * bigint (int8) columns come back from `pg` as strings; Vigil's int8 values (epoch ms, byte
 * counts, ids, count(*)) are all far below 2^53, so this pool reads them as numbers, as SQLite
 * does. A value beyond the safe range stays a string rather than being silently rounded.
 * numeric (e.g. sum(bigint)) stays a string: repositories read every integer through Number().
 */
function typeOverrides(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (text: string) => {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  });
  return types;
}

export function createPostgresPool(url: string): pg.Pool {
  if (!postgresPlace(url)) {
    throw new VigilError('config_invalid', 'database.postgresUrl is not a valid postgres:// URL', { hint: 'Write it as postgres://USER:PASSWORD@HOST:5432/DATABASE (percent-encode special characters in the password).' });
  }
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    max: POSTGRES_POOL_MAX,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'vigil',
    types: typeOverrides(),
  });
  // An idle connection the server drops (restart, network cut) emits 'error' on the pool;
  // without a listener that would end the process. The pool discards that client and the next
  // query connects again (or fails with its own error, which the caller reports).
  pool.on('error', () => undefined);
  // The same for a connection in use when it drops (the retention lock holds one for the
  // process's life): pg emits 'error' on the client, which the pool listens to only while it is
  // idle. The next query on it fails with its own error instead (role-lock.ts notices that).
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** The VigilError for a driver error while connecting to or using the database. */
export function postgresUnavailable(url: string, e: unknown, doing = 'cannot connect to'): VigilError {
  const code = String((e as { code?: unknown })?.code ?? '');
  const raw = (e as Error)?.message || String(e) || code;
  const detail = redactText(raw);
  const where = describePostgresUrl(url);
  const hint = HINTS[code] ?? (/timeout/i.test(raw) ? HINTS.timeout : HINTS.default);
  return new VigilError('database_unavailable', `Vigil ${doing} ${where}: ${detail}`, { hint }, { cause: e });
}

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'Check that PostgreSQL runs on that host and port and listens there (listen_addresses, port in postgresql.conf).',
  ENOTFOUND: 'Check the host name in database.postgresUrl.',
  EAI_AGAIN: 'Check the host name in database.postgresUrl and this machine’s DNS.',
  '28P01': 'Check the user and password in database.postgresUrl (percent-encode special characters in the password).',
  '28000': 'PostgreSQL refused this client: allow it in pg_hba.conf (host, database, user, method).',
  '3D000': "Create the database first: CREATE DATABASE <name> OWNER <user> TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'",
  '42501': 'The user lacks a privilege Vigil needs: make it the owner of the database (CREATE DATABASE … OWNER <user>).',
  timeout: `PostgreSQL did not answer within ${POSTGRES_CONNECT_TIMEOUT_MS / 1000} s: check the host, port, firewall and that the server is not overloaded.`,
  default: 'Check database.postgresUrl and that PostgreSQL is running and reachable from this machine.',
};

/** Byte-order collations: text sorts and compares exactly as SQLite's BINARY does. */
const BYTE_ORDER_COLLATIONS = new Set(['c', 'posix', 'c.utf8', 'c.utf-8']);

/**
 * Connects once and checks the database can hold Vigil's index: UTF-8 (Vietnamese names), and
 * a byte-order collation, so every list Vigil sorts (camera ids, usernames, tie-breaks) comes
 * out as on SQLite and on every node, and an OS upgrade that changes glibc's locale rules
 * cannot silently corrupt a text index.
 */
export async function checkPostgresDatabase(db: Kysely<any>, url: string): Promise<void> {
  let row: { encoding: string; collate: string; provider: string } | undefined;
  try {
    const res = await sql<{ encoding: string; collate: string; provider: string }>`
      select pg_encoding_to_char(encoding) as encoding, datcollate as collate, datlocprovider as provider
      from pg_database where datname = current_database()`.execute(db);
    row = res.rows[0];
  } catch (e) {
    throw postgresUnavailable(url, e);
  }
  const where = describePostgresUrl(url);
  const create = `CREATE DATABASE <name> OWNER <user> TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'`;
  if (!row || row.encoding !== 'UTF8') {
    throw new VigilError('database_unavailable', `${where} uses the ${row?.encoding ?? 'unknown'} encoding; Vigil stores Vietnamese text and needs UTF8`, { hint: `Create the database with: ${create}` });
  }
  if (row.provider !== 'c' || !BYTE_ORDER_COLLATIONS.has(row.collate.toLowerCase())) {
    const rules = row.provider === 'c' ? `the "${row.collate}" collation` : 'an ICU collation';
    throw new VigilError('database_unavailable', `${where} sorts text by ${rules}; Vigil needs byte order (C or C.UTF-8), so lists sort the same on SQLite and every node and an OS upgrade cannot corrupt text indexes`, {
      hint: `Create the database with: ${create}`,
    });
  }
}
