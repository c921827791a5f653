import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './api-client.ts';
import type { Me, Permission } from './api-types.ts';
import type { UiSettings } from './settings.ts';

/** What every page of a logged-in session uses. */
export interface Session {
  api: ApiClient;
  me: Me;
  settings: UiSettings;
  /** The API's routes (from /api/openapi.json), to tell "not offered by this server" apart. */
  routes: ReadonlySet<string>;
  can(p: Permission): boolean;
  has(route: string): boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a session');
  return s;
}
