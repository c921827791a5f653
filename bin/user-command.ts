import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { Clock } from '../src/clock.ts';
import type { ResolvedConfig } from '../src/config/load.ts';
import { AuditLog } from '../src/audit/audit-log.ts';
import { openDatabase } from '../src/db/database.ts';
import { SessionsRepo } from '../src/db/sessions-repo.ts';
import { normaliseUsername, USER_ROLES, USERNAME_PATTERN, USERNAME_RULE, UsersRepo, type UserRole } from '../src/db/users-repo.ts';
import { VigilError } from '../src/errors.ts';
import { hashPassword, passwordProblem } from '../api/auth/password-hash.ts';
import { readSecretFromStdin } from './stdin-secret.ts';

/**
 * `vigil user add --username U --role R [--name N] [--site S …] --password -` and
 * `vigil user set-password --username U --password -`: accounts written straight to the
 * database, for the first admin (there is no default account or password) and for a lost
 * admin password. The password comes from standard input only, never the command line (it
 * would be in the process list and shell history). Both are audit entries (actor: the
 * command line, with the operating-system user).
 */
export const USER_USAGE = `usage:
  vigil user add --username U --role admin|ops|investigator|viewer [--name "Display name"]
                 [--site SITE …] --password - [--config FILE]      (password from standard input)
  vigil user set-password --username U --password - [--config FILE]`;

export interface UserCommandRun {
  argv: string[];
  loadConfig: (file: string | undefined) => ResolvedConfig;
  clock: Clock;
  stdin?: NodeJS.ReadStream;
  print: (line: string) => void;
}

export async function userCommand(run: UserCommandRun): Promise<void> {
  const { values, positionals } = parseUserArgs(run.argv);
  const sub = positionals[0];
  if (sub !== 'add' && sub !== 'set-password') throw usage(`unknown or missing subcommand${sub ? ` "${sub}"` : ''}`);
  if (positionals.length > 1) throw usage(`unexpected argument "${positionals[1]}"`);
  const username = normaliseUsername(values.username ?? '');
  if (!username) throw usage('--username is required');
  if (!USERNAME_PATTERN.test(username)) throw usage(`--username ${USERNAME_RULE}`);
  if (values.password !== '-') throw usage('--password - is required: the password is read from standard input, e.g. vigil user add … --password - < password.txt');
  const config = run.loadConfig(values.config);

  let role: UserRole | undefined;
  const sites = values.site ?? [];
  if (sub === 'add') {
    if (!values.role || !(USER_ROLES as readonly string[]).includes(values.role)) throw usage(`--role must be one of ${USER_ROLES.join(', ')}`);
    role = values.role as UserRole;
    const known = new Set(config.sites.map((s) => s.id));
    const unknown = sites.filter((s) => !known.has(s));
    if (unknown.length > 0) {
      throw new VigilError('config_invalid', `--site ${unknown.join(', ')}: not a site of the configuration${known.size ? ` (sites: ${[...known].join(', ')})` : ' (it declares no sites)'}`, { hint: 'Declare the site under "sites:" in the configuration first.' });
    }
  } else if (values.role || values.site || values.name) {
    throw usage('set-password takes only --username and --password -');
  }

  const password = await readSecretFromStdin('--password', run.stdin);
  const problem = passwordProblem(password);
  if (problem) throw new VigilError('config_invalid', `the password ${problem}`);

  const db = await openDatabase(config.database);
  try {
    const users = new UsersRepo(db, () => run.clock.nowMs());
    const audit = new AuditLog({ db, clock: run.clock });
    const via = { via: 'cli', osUser: safeOsUser() };
    if (sub === 'add') {
      const user = await users.create({ username, displayName: values.name?.trim() || username, role: role!, siteScopes: sites, passwordHash: await hashPassword(password) });
      await audit.append({ actor: null, action: 'user.create', detail: { userId: user.id, username: user.username, role: user.role, sites: user.siteScopes, ...via } });
      run.print(`Created ${user.role} "${user.username}"${user.siteScopes.length ? ` for sites ${user.siteScopes.join(', ')}` : ' (every site)'}. Log in at the web UI or POST /api/v1/auth/login.`);
    } else {
      const user = await users.byUsername(username);
      if (!user) throw new VigilError('not_found', `there is no account "${username}"`, { hint: 'vigil user add creates one.' });
      await users.setPasswordHash(user.id, await hashPassword(password));
      const ended = await new SessionsRepo(db).deleteForUser(user.id);
      await audit.append({ actor: null, action: 'user.password_reset', detail: { userId: user.id, username: user.username, sessionsEnded: ended, ...via } });
      run.print(`Password of "${user.username}" set; ${ended} session(s) ended.${user.disabled ? ' Note: the account is disabled; an admin can enable it.' : ''}`);
    }
  } finally {
    await db.destroy();
  }
}

function parseUserArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        username: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        site: { type: 'string', multiple: true },
        password: { type: 'string' },
        config: { type: 'string' },
      },
    });
  } catch (e) {
    throw usage((e as Error).message);
  }
}

function usage(what: string): VigilError {
  return new VigilError('config_invalid', `vigil user: ${what}\n${USER_USAGE}`);
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
