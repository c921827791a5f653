/**
 * What the server tells the page before any API call, in <meta name="vigil-settings">
 * (filled by api/web-static.ts from the configuration): the office time zone and, when
 * configured, the Grafana address for the ops page.
 */
export interface UiSettings {
  timeZone: string;
  grafanaUrl?: string;
  /** Whether the page request carried a session cookie (false: show the login at once). */
  session: boolean;
  /** Live view and snapshots are switched on in the configuration. */
  live: boolean;
}

export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

export function readSettings(doc: Document): UiSettings {
  const raw = doc.querySelector('meta[name="vigil-settings"]')?.getAttribute('content') ?? '';
  try {
    const v = JSON.parse(raw) as Partial<UiSettings>;
    const timeZone = typeof v.timeZone === 'string' && isZone(v.timeZone) ? v.timeZone : DEFAULT_TIME_ZONE;
    return { timeZone, session: v.session !== false, live: v.live !== false, ...(typeof v.grafanaUrl === 'string' && /^https?:\/\//.test(v.grafanaUrl) ? { grafanaUrl: v.grafanaUrl } : {}) };
  } catch {
    // The Vite dev server or a stale page: the defaults.
    return { timeZone: DEFAULT_TIME_ZONE, session: true, live: true };
  }
}

function isZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
