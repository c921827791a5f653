import { PostgresAdapter, type Kysely } from 'kysely';
import type { SqlDialectName } from './migrations.ts';

/**
 * Which SQL engine a Kysely instance (or a transaction of one) talks to, for the few statements
 * that differ: the audit log's append lock, PostgreSQL-only sequence resets. Read from the
 * dialect's adapter, so it holds for any Kysely built over PostgresDialect, not only ours.
 */
export function dialectOf(db: Kysely<any>): SqlDialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}
