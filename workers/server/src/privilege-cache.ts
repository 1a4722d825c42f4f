/**
 * Effective privilege for the person route: the integration's privilege graph and its paths to Tier
 * Zero, loaded from the graph tables and kept for a short while. Loading is the cost (about a second
 * at 100,000 users; the search itself takes milliseconds), so one load serves every person route of
 * that integration until it is `ttlMs` old; concurrent requests share one load.
 */
import type { GraphStore } from '@idgraph/graph';
import { loadPrivilegeGraph, roleHolders, shortestPaths, type Holder, type PrivilegeGraph, type ShortestPaths } from '@idgraph/privilege';

export interface LoadedPrivilege {
  graph: PrivilegeGraph;
  tierZero: ShortestPaths;
  /** Every role holder by principal (`user:00u…`), in roleHolders' order: computed once per load, not per person. */
  holdersOf: Map<string, Holder[]>;
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
      const holdersOf = new Map<string, Holder[]>();
      for (const h of roleHolders(graph)) {
        const list = holdersOf.get(h.principal);
        if (list) list.push(h);
        else holdersOf.set(h.principal, [h]);
      }
      return { graph, tierZero: shortestPaths(graph), holdersOf, loadedAt: new Date() };
    })();
    this.entries.set(key, { at: now, value });
    // A failed load is not kept: the next request tries again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}
