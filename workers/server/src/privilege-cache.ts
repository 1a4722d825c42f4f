/**
 * Effective privilege for the person route: the integration's privilege graph and its paths to Tier
 * Zero, loaded from the graph tables and kept for a short while. Loading is the cost (about a second
 * at 100,000 users; the search itself takes milliseconds), so one load serves every person route of
 * that integration; concurrent requests share one load. Once a graph is `ttlMs` old, requests keep
 * getting it (with its computedAt) while a newer one loads in the background: no request waits for
 * a reload, only the first one for the first load.
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

interface Entry {
  /** The newest loaded graph, once there is one. */
  value: LoadedPrivilege | null;
  /** The load under way, if any. */
  loading: Promise<LoadedPrivilege> | null;
  /** When the current value (or the first load) was started. */
  at: number;
}

export class PrivilegeCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = 60_000) {}

  get(store: GraphStore, integrationId: string): Promise<LoadedPrivilege> {
    const key = `${store.tenant}\u0000${integrationId}`;
    const now = Date.now();
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { value: null, loading: null, at: now };
      this.entries.set(key, entry);
    }
    if (entry.value && now - entry.at < this.ttlMs) return Promise.resolve(entry.value);
    if (!entry.loading) {
      const e = entry;
      e.at = now;
      e.loading = load(store, integrationId).then(
        (value) => {
          e.value = value;
          e.loading = null;
          return value;
        },
        (err: unknown) => {
          // A failed load is not kept: the next request tries again (and keeps the older graph meanwhile).
          e.loading = null;
          if (!e.value) this.entries.delete(key);
          throw err;
        },
      );
      // A background reload that fails is seen by the next request's retry, not as an unhandled rejection.
      if (e.value) e.loading.catch(() => {});
    }
    return entry.value ? Promise.resolve(entry.value) : entry.loading!;
  }
}

async function load(store: GraphStore, integrationId: string): Promise<LoadedPrivilege> {
  const graph = await loadPrivilegeGraph(store.gdb, { tenantId: store.tenant, integrationId });
  const holdersOf = new Map<string, Holder[]>();
  for (const h of roleHolders(graph)) {
    const list = holdersOf.get(h.principal);
    if (list) list.push(h);
    else holdersOf.set(h.principal, [h]);
  }
  return { graph, tierZero: shortestPaths(graph), holdersOf, loadedAt: new Date() };
}
