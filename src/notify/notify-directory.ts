/**
 * Names and places for notices: a camera's display name and site, and whether a camera lies
 * within a webhook's sites (a site covers every site below it, as in the site tree).
 */
export interface DirectoryCamera {
  id: string;
  name?: string | null | undefined;
  site?: string | null | undefined;
}

export interface DirectorySite {
  id: string;
  name: string;
  parent?: string | null | undefined;
}

export class NotifyDirectory {
  private readonly cameras: Map<string, DirectoryCamera>;
  private readonly sites: Map<string, DirectorySite>;

  constructor(cameras: readonly DirectoryCamera[], sites: readonly DirectorySite[]) {
    this.cameras = new Map(cameras.map((c) => [c.id, c]));
    this.sites = new Map(sites.map((s) => [s.id, s]));
  }

  cameraName(cameraId: string): string {
    return this.cameras.get(cameraId)?.name || cameraId;
  }

  siteOf(cameraId: string): string | null {
    return this.cameras.get(cameraId)?.site ?? null;
  }

  siteName(siteId: string | null): string | null {
    return siteId === null ? null : this.sites.get(siteId)?.name ?? siteId;
  }

  /** "Quầy 3 (Phường X)" — the camera's name with its site's, for messages. */
  cameraLabel(cameraId: string): string {
    const site = this.siteName(this.siteOf(cameraId));
    return site ? `${this.cameraName(cameraId)} (${site})` : this.cameraName(cameraId);
  }

  /** The camera's site and every site above it, nearest first. */
  siteChain(cameraId: string): string[] {
    const site = this.siteOf(cameraId);
    return site === null ? [] : this.siteChainOfSite(site);
  }

  /** A site and every site above it, nearest first. */
  siteChainOfSite(siteId: string): string[] {
    const chain: string[] = [];
    for (let s: string | null = siteId; s !== null && !chain.includes(s); s = this.sites.get(s)?.parent ?? null) chain.push(s);
    return chain;
  }

  /** True when the camera's site is one of `siteIds` or lies below one of them. */
  cameraWithin(cameraId: string, siteIds: readonly string[]): boolean {
    const chain = this.siteChain(cameraId);
    return siteIds.some((id) => chain.includes(id));
  }
}
