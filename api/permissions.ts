import { USER_ROLES, type UserRole } from '../src/db/users-repo.ts';

/**
 * What each role may do, defined once. Routes name one permission each (route-def.ts); the
 * authorize middleware checks it. Footage (live, playback, clips, exports) is personal data
 * (Decree 13/2023), so ops, who keep cameras running, see states, events and gaps but no
 * pictures; viewers (leaders) watch; investigators (complaint handlers) also cut clips, keep
 * cases and export evidence; admins do everything.
 */
export const PERMISSIONS = [
  /** Own account: /me, logout, own API tokens. */
  'account',
  'sites.view',
  'cameras.view',
  'timeline.view',
  'events.view',
  'live.view',
  'playback.view',
  'thumbnails.view',
  'clips.create',
  'cases.view',
  'cases.edit',
  'exports.create',
  'metrics.view',
  'reports.view',
  'audit.view',
  'users.manage',
  /** Find, test and add cameras (writes the configuration file). */
  'cameras.manage',
  /** Change retention days and quotas. */
  'retention.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export { USER_ROLES, type UserRole };

const VIEWER: readonly Permission[] = ['account', 'sites.view', 'cameras.view', 'timeline.view', 'live.view', 'playback.view', 'thumbnails.view', 'reports.view'];

export const ROLE_PERMISSIONS: Readonly<Record<UserRole, readonly Permission[]>> = {
  viewer: VIEWER,
  investigator: [...VIEWER, 'clips.create', 'cases.view', 'cases.edit', 'exports.create'],
  ops: ['account', 'sites.view', 'cameras.view', 'timeline.view', 'events.view', 'metrics.view', 'reports.view'],
  admin: PERMISSIONS,
};

export function roleCan(role: UserRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export function isUserRole(x: string): x is UserRole {
  return (USER_ROLES as readonly string[]).includes(x);
}

/** What a permission allows, in words for "the viewer role may not …". */
export const PERMISSION_TEXT: Readonly<Record<Permission, string>> = {
  account: 'use an account',
  'sites.view': 'see sites',
  'cameras.view': 'see cameras',
  'timeline.view': 'see recording timelines',
  'events.view': 'see camera state events',
  'live.view': 'watch live video',
  'playback.view': 'play recorded footage',
  'thumbnails.view': 'see footage thumbnails',
  'clips.create': 'cut clips',
  'cases.view': 'see complaint cases',
  'cases.edit': 'create or change complaint cases',
  'exports.create': 'export evidence',
  'metrics.view': 'read service metrics',
  'reports.view': 'read uptime reports',
  'audit.view': 'read the audit log',
  'users.manage': 'manage user accounts',
  'cameras.manage': 'add or test cameras',
  'retention.manage': 'change retention settings',
};
