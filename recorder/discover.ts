import onvif from 'onvif';

/**
 * `vigil discover`: WS-Discovery probe (multicast 239.255.255.250:3702) through the `onvif`
 * package; each answering device with its addresses and the name/model/location it announces
 * in its scopes. Onboarding with credentials then reads the profiles.
 */
export interface DiscoveredDevice {
  endpoint: string;
  xaddrs: string[];
  name: string;
  hardware: string;
  location: string;
  scopes: string[];
}

export function devicesFromMatches(matches: any[]): DiscoveredDevice[] {
  const out = new Map<string, DiscoveredDevice>();
  for (const m of matches) {
    const pm = m?.probeMatches?.probeMatch;
    const endpoint = String(pm?.endpointReference?.address ?? '');
    if (!endpoint || out.has(endpoint)) continue;
    const scopes = String(typeof pm?.scopes === 'string' ? pm.scopes : pm?.scopes?._ ?? '').split(/\s+/).filter(Boolean);
    const scope = (kind: string) => {
      const s = scopes.find((x) => x.toLowerCase().startsWith(`onvif://www.onvif.org/${kind}/`));
      return s ? decodeURIComponent(s.slice(`onvif://www.onvif.org/${kind}/`.length)) : '';
    };
    out.set(endpoint, {
      endpoint,
      xaddrs: String(pm?.XAddrs ?? '').split(/\s+/).filter(Boolean),
      name: scope('name'),
      hardware: scope('hardware'),
      location: scope('location'),
      scopes,
    });
  }
  return [...out.values()].sort((a, b) => (a.xaddrs[0] ?? '').localeCompare(b.xaddrs[0] ?? ''));
}

type RawProbe = { probe(o: { timeout: number; resolve: false }, cb: (err: unknown, found: any[]) => void): void };

export function discoverCameras(timeoutMs = 3_000): Promise<DiscoveredDevice[]> {
  return new Promise((resolve, reject) => {
    const ignore = () => undefined;
    onvif.Discovery.on('error', ignore);
    const guard = setTimeout(() => {
      onvif.Discovery.off('error', ignore);
      reject(new Error(`WS-Discovery did not finish within ${timeoutMs + 3_000} ms`));
    }, timeoutMs + 3_000);
    (onvif.Discovery as unknown as RawProbe).probe({ timeout: timeoutMs, resolve: false }, (err, found) => {
      clearTimeout(guard);
      onvif.Discovery.off('error', ignore);
      if (err && !found?.length) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(devicesFromMatches(found ?? []));
    });
  });
}
