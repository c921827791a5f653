/**
 * A separate process appending to the audit log (used by audit-log.test.ts to check that
 * processes sharing one database never fork the chain). Not a test file by itself.
 * argv: <sqlite file | postgres:// URL> <count> <tag>. Prints {"retries": n} when done.
 */
import { AuditLog } from '../../src/audit/audit-log.ts';
import { systemClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db/database.ts';

const [where, countText, tag] = process.argv.slice(2);
const db = await openDatabase(/^postgres(ql)?:\/\//.test(where!) ? { driver: 'postgres', postgresUrl: where! } : { driver: 'sqlite', sqlitePath: where! });
const log = new AuditLog({ db, clock: systemClock });
const count = Number(countText);
await Promise.all(Array.from({ length: count }, (_, i) => log.append({ actor: { userId: tag!, username: tag! }, action: 'clip.view', cameraId: 'cam-1', detail: { i } })));
await db.destroy();
process.stdout.write(JSON.stringify({ retries: log.contentionRetries }));
