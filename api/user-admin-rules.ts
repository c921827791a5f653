import { VigilError } from '../src/errors.ts';
import type { UserRecord, UserRole } from '../src/db/users-repo.ts';
import type { SiteTree } from './site-tree.ts';

/**
 * Who may manage whom. An admin with no site scope manages everyone. An admin scoped to
 * sites (say a district) manages only accounts whose scopes lie inside their own, and can
 * grant only scopes inside their own — so a scoped admin can never create or take over an
 * account that sees more than they do. Pure.
 */
export function mayManage(tree: SiteTree, caller: Pick<UserRecord, 'siteScopes'>, target: Pick<UserRecord, 'siteScopes'>): boolean {
  return tree.scopeIncludes(caller.siteScopes, target.siteScopes);
}

/** Throws when sites names an unknown site (400) or reaches beyond the caller's own scope (403). */
export function checkGrant(tree: SiteTree, caller: Pick<UserRecord, 'siteScopes'>, sites: readonly string[], field = 'sites'): void {
  const unknown = sites.filter((s) => !tree.has(s));
  if (unknown.length > 0) {
    throw new VigilError('invalid_request', `${field} names site${unknown.length === 1 ? '' : 's'} not in the configuration: ${unknown.join(', ')}`, {
      invalidParams: [{ name: field, in: 'body', reason: `unknown site id${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')} (GET /api/v1/sites lists them)` }],
    });
  }
  if (!tree.scopeIncludes(caller.siteScopes, sites)) {
    const what = sites.length === 0 ? 'every site (no scope)' : sites.join(', ');
    throw new VigilError('forbidden', `you may grant only sites within your own scope, not ${what}`, { hint: 'An administrator without a site scope can grant it.' });
  }
}

/**
 * Enabled admins with no site scope are the ones who can manage every account; a change
 * that would leave none is refused, as no one could then repair the others.
 */
export function wouldRemoveLastFullAdmin(target: UserRecord, after: { role: UserRole; siteScopes: readonly string[]; disabled: boolean }, fullAdminCount: number): boolean {
  const isFull = (u: { role: UserRole; siteScopes: readonly string[]; disabled: boolean }) => u.role === 'admin' && u.siteScopes.length === 0 && !u.disabled;
  return isFull(target) && !isFull(after) && fullAdminCount <= 1;
}
