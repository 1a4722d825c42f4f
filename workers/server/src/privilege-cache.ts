/**
 * Effective privilege for the person route: the integration's privilege graph and its paths to Tier
 * Zero, loaded from the graph tables and kept for a short while. Loading is the cost (about a second
 * at 100,000 users; the search itself takes milliseconds), so one load serves every person route of
 * that integration until it is `ttlMs` old; concurrent requests share one load.
 */
import type { GraphStore } from '@idgraph/graph';
import { loadPrivilegeGraph, shortestPaths, type PrivilegeGraph, type ShortestPaths } from '@idgraph/privilege';

export interface LoadedPrivilege {
  graph: PrivilegeGraph;
  tierZero: ShortestPaths;
  loadedAt: Date;
}

export class PrivilegeCache {
  private readonly entries = new Map<string, { at: number; value: Promise<LoadedPrivilege> }>();

  constructor(private readonly ttlMs = 60_000) {}

  get(store: GraphStore, integrationId: string): Promise<LoadedPrivilege> {
    const key = `${store.tenant}\u0000${integrationId}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = (async () => {
      const graph = await loadPrivilegeGraph(store.gdb, { tenantId: store.tenant, integrationId });
      return { graph, tierZero: shortestPaths(graph), loadedAt: new Date() };
    })();
    this.entries.set(key, { at: now, value });
    // A failed load is not kept: the next request tries again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}
