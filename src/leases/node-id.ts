import { createHash } from 'node:crypto';

/**
 * A recorder node's default name: the host name and a short hash of its data folder, so two
 * installs on one machine (or a copied config on another) never share a name — two processes
 * with one name would hold the same leases.
 */
export function defaultNodeId(hostname: string, dataDir: string): string {
  const host = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 80) || 'node';
  return `${host}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}
