import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { VigilError } from '../errors.ts';
import type { Database, UsersTable } from './schema.ts';

/**
 * Accounts. Usernames are compared lowercased (stored that way), so "Lan" and "lan" are one
 * account. Users are never deleted, only disabled: audit entries and cases name them. The
 * password hash is opaque here (api/auth/password-hash.ts makes and checks it) and is only
 * returned by passwordHashOf(), never with the user record.
 */
export const USER_ROLES = ['admin', 'ops', 'investigator', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  role: UserRole;
  /** Site ids the user is limited to, each covering its subtree; [] = every site. */
  siteScopes: string[];
  disabled: boolean;
  createdMs: number;
  updatedMs: number;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: UserRole;
  siteScopes: string[];
  passwordHash: string;
}

export interface UserPatch {
  displayName?: string;
  role?: UserRole;
  siteScopes?: string[];
  disabled?: boolean;
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Usernames (after normaliseUsername): 3–64 characters, a–z, digits and . _ @ - inside. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{1,62}[a-z0-9]$/;
export const USERNAME_RULE = 'must be 3–64 characters: letters a–z, digits, and . _ @ - inside (no spaces or accents)';

export class UsersRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly nowMs: () => number,
  ) {}

  /** Adds a user; a username already taken is a VigilError('conflict'). */
  async create(u: NewUser): Promise<UserRecord> {
    const now = this.nowMs();
    const username = normaliseUsername(u.username);
    if (await this.byUsername(username)) {
      throw new VigilError('conflict', `the username "${username}" is already taken`, { hint: 'Choose another username, or change the existing account.' });
    }
    const id = `usr_${randomUUID()}`;
    try {
      await this.insertRow(id, username, u, now);
    } catch (e) {
      // Two creations of one name at once: the unique index decides, the loser hears why.
      if (await this.byUsername(username)) throw new VigilError('conflict', `the username "${username}" is already taken`, {}, { cause: e });
      throw e;
    }
    return (await this.byId(id))!;
  }

  private async insertRow(id: string, username: string, u: NewUser, now: number): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id,
        username,
        display_name: u.displayName,
        role: u.role,
        site_scopes: JSON.stringify(dedupe(u.siteScopes)),
        disabled: 0,
        password_hash: u.passwordHash,
        created_ms: now,
        updated_ms: now,
      })
      .execute();
  }

  async byId(id: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async byUsername(username: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** The stored hash of a user, or null when there is no such user. */
  async passwordHashOf(id: string): Promise<string | null> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return row?.password_hash ?? null;
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(toRecord);
  }

  /** Applies the given fields; returns the updated user, or null when there is no such user. */
  async update(id: string, patch: UserPatch): Promise<UserRecord | null> {
    const set: Partial<Selectable<UsersTable>> = { updated_ms: this.nowMs() };
    if (patch.displayName !== undefined) set.display_name = patch.displayName;
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.siteScopes !== undefined) set.site_scopes = JSON.stringify(dedupe(patch.siteScopes));
    if (patch.disabled !== undefined) set.disabled = patch.disabled ? 1 : 0;
    const res = await this.db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return null;
    return this.byId(id);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const res = await this.db.updateTable('users').set({ password_hash: passwordHash, updated_ms: this.nowMs() }).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Enabled admins with no site scope: the accounts that can manage every other account. */
  async countUnscopedActiveAdmins(): Promise<number> {
    const rows = await this.db.selectFrom('users').select('site_scopes').where('role', '=', 'admin').where('disabled', '=', 0).execute();
    return rows.filter((r) => parseScopes(r.site_scopes).length === 0).length;
  }
}

function dedupe(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort();
}

function parseScopes(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    // A scope list that cannot be read must not widen access to every site.
    return ['__unreadable__'];
  }
}

function toRecord(r: Selectable<UsersTable>): UserRecord {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    siteScopes: parseScopes(r.site_scopes),
    disabled: Number(r.disabled) !== 0,
    createdMs: Number(r.created_ms),
    updatedMs: Number(r.updated_ms),
  };
}
