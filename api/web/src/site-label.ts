/** A site's name indented by its depth, for <option> lists (no-break spaces survive there). */
export function indentedSiteName(s: { name: string; depth: number }): string {
  return `${'\u00a0\u00a0\u00a0'.repeat(s.depth)}${s.name}`;
}
