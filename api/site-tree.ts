import type { SiteConfig } from '../src/config/schema.ts';

/**
 * The administrative tree of sites (province › district › ward › office) from the
 * configuration, and the scope rule: a scope on a site covers it and every site below it; a
 * user with no scope covers every site. A camera without a site is covered only by an
 * unscoped user. Pure: built once per app from config.sites.
 */
export interface SiteNode {
  id: string;
  name: string;
  parentId: string | null;
}

export interface SiteListItem extends SiteNode {
  /** 0 for a root of the listing. */
  depth: number;
  /** Ancestor ids from the top of the whole tree, nearest last (context for scoped users). */
  path: string[];
}

export class SiteTree {
  private readonly byId = new Map<string, SiteNode>();
  private readonly children = new Map<string | null, string[]>();

  constructor(sites: readonly SiteConfig[]) {
    for (const s of sites) this.byId.set(s.id, { id: s.id, name: s.name, parentId: s.parent ?? null });
    for (const s of this.byId.values()) {
      // A parent missing from the list (config validation prevents it) makes the site a root.
      const parent = s.parentId !== null && this.byId.has(s.parentId) ? s.parentId : null;
      const list = this.children.get(parent) ?? [];
      list.push(s.id);
      this.children.set(parent, list);
    }
    for (const list of this.children.values()) list.sort((a, b) => this.byId.get(a)!.name.localeCompare(this.byId.get(b)!.name) || a.localeCompare(b));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): SiteNode | undefined {
    return this.byId.get(id);
  }

  /** Ids from the top of the tree down to the site itself; [] for an unknown site. */
  lineage(id: string): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    let cur = this.byId.get(id);
    while (cur && !seen.has(cur.id)) {
      seen.add(cur.id);
      out.unshift(cur.id);
      cur = cur.parentId === null ? undefined : this.byId.get(cur.parentId);
    }
    return out;
  }

  /** True when a user with these scopes may see footage and state of siteId (null: no site). */
  covers(scopes: readonly string[], siteId: string | null): boolean {
    if (scopes.length === 0) return true;
    if (siteId === null) return false;
    const lineage = this.lineage(siteId);
    return scopes.some((s) => lineage.includes(s));
  }

  /** True when every site reachable by `inner` is reachable by `outer` (for delegating scopes). */
  scopeIncludes(outer: readonly string[], inner: readonly string[]): boolean {
    if (outer.length === 0) return true;
    if (inner.length === 0) return false;
    return inner.every((s) => this.covers(outer, s));
  }

  /** The sites a user with these scopes sees, depth first in name order, each once. */
  visible(scopes: readonly string[]): SiteListItem[] {
    const roots = scopes.length === 0 ? (this.children.get(null) ?? []) : this.topmost(scopes);
    const out: SiteListItem[] = [];
    const walk = (id: string, depth: number) => {
      const node = this.byId.get(id)!;
      out.push({ ...node, depth, path: this.lineage(id).slice(0, -1) });
      for (const child of this.children.get(id) ?? []) walk(child, depth + 1);
    };
    for (const r of roots) walk(r, 0);
    return out;
  }

  /** The known scope sites not below another scope site, in tree order. */
  private topmost(scopes: readonly string[]): string[] {
    const known = scopes.filter((s) => this.byId.has(s));
    const tops = known.filter((s) => !this.lineage(s).slice(0, -1).some((a) => known.includes(a)));
    const order = this.visible([]).map((n) => n.id);
    return [...new Set(tops)].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }
}
