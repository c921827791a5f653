import type { UserRecord } from '../src/db/users-repo.ts';
import { toIsoInZone } from '../src/time.ts';

/** A user as the API shows it: never the password hash. */
export function userView(u: UserRecord, timeZone: string) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    sites: u.siteScopes,
    disabled: u.disabled,
    created: toIsoInZone(u.createdMs, timeZone),
    updated: toIsoInZone(u.updatedMs, timeZone),
  };
}
