/**
 * Okta changes some graph rows without logging an event for them:
 * - every new user joins the built-in Everyone group;
 * - a user who joins or leaves a group becomes or stops being a GROUP-scope user of every app
 *   the group is assigned to;
 * - deactivating a user removes their direct app assignments, and a DEPROVISIONED user drops out
 *   of app user lists until reactivated;
 * - a direct app assignment makes the app user USER-scoped, and removing it leaves a GROUP-scoped
 *   app user when a group still grants the app (the mutations carry no scope).
 * The events that cause these are known, so the stream follows them: a membership mutation for
 * Everyone goes into the same transaction as the create event, and the affected apps'
 * assignments are re-read by targeted refreshes once the batch is committed.
 */
import type { DeferredRefresh, GraphMutation, GraphStore, RefreshRequest } from '@idgraph/graph';

/** Graph reads the side effects need (live rows only): GraphStore's. */
export type SideEffectLookups = Pick<GraphStore, 'everyoneGroupId' | 'appsAssignedToGroups' | 'appsReachableByUsers'>;

/** Minimal view of an event the rules look at. */
export interface SideEffectEvent {
  integrationId: string;
  eventType: string;
  published: Date;
  mutations: readonly GraphMutation[];
}

const CREATE_EVENTS = new Set(['user.lifecycle.create']);
/** Status changes into or out of DEPROVISIONED. */
const DEPROVISIONING_EVENTS = new Set(['user.lifecycle.deactivate', 'user.lifecycle.activate', 'user.lifecycle.reactivate']);

/** The created user's id: the create event's user.upsert carries it. */
function createdUserId(event: SideEffectEvent): string | null {
  for (const m of event.mutations) if (m.kind === 'user.upsert') return m.user.oktaId;
  return null;
}

function targetUserId(event: SideEffectEvent): string | null {
  for (const m of event.mutations) {
    if (m.kind === 'user.status' || m.kind === 'user.upsert') return m.kind === 'user.status' ? m.userId : m.user.oktaId;
  }
  return null;
}

export class OktaSideEffects {
  private readonly everyone = new Map<string, Promise<string | null>>();

  constructor(private readonly lookups: SideEffectLookups) {}

  /** Whether extraMutations can add any for an event of this type (most add none; skipping the call saves a promise per event). */
  addsMutations(eventType: string): boolean {
    return CREATE_EVENTS.has(eventType);
  }

  /** Mutations to apply with the event in its transaction (Everyone membership of a new user). */
  async extraMutations(event: SideEffectEvent): Promise<GraphMutation[]> {
    if (!this.addsMutations(event.eventType)) return [];
    const userId = createdUserId(event);
    if (!userId) return [];
    const groupId = await this.everyoneOf(event.integrationId);
    return groupId ? [{ kind: 'membership.add', at: event.published, userId, groupId }] : [];
  }

  /** Refreshes of app assignments that newly stored events changed without saying so, per integration. */
  async refreshesFor(events: readonly SideEffectEvent[]): Promise<Map<string, RefreshRequest[]>> {
    const groupsByIntegration = new Map<string, Set<string>>();
    const usersByIntegration = new Map<string, Set<string>>();
    const add = (map: Map<string, Set<string>>, key: string, value: string): void => {
      let set = map.get(key);
      if (!set) map.set(key, (set = new Set()));
      set.add(value);
    };
    const directApps = new Map<string, Set<string>>();
    for (const event of events) {
      for (const m of event.mutations) {
        if (m.kind === 'appUser.add' || m.kind === 'appUser.remove') add(directApps, event.integrationId, m.appId);
        if (m.kind === 'membership.add' || m.kind === 'membership.remove') add(groupsByIntegration, event.integrationId, m.groupId);
      }
      if (DEPROVISIONING_EVENTS.has(event.eventType)) {
        const userId = targetUserId(event) ?? null;
        if (userId) add(usersByIntegration, event.integrationId, userId);
      }
    }
    const out = new Map<string, RefreshRequest[]>();
    for (const integrationId of new Set([...groupsByIntegration.keys(), ...usersByIntegration.keys(), ...directApps.keys()])) {
      const apps = new Set<string>(directApps.get(integrationId));
      const groups = [...(groupsByIntegration.get(integrationId) ?? [])];
      const users = [...(usersByIntegration.get(integrationId) ?? [])];
      if (groups.length) for (const a of await this.lookups.appsAssignedToGroups(integrationId, groups)) apps.add(a);
      if (users.length) for (const a of await this.lookups.appsReachableByUsers(integrationId, users)) apps.add(a);
      if (apps.size) out.set(integrationId, [...apps].sort().map((appId) => ({ kind: 'appAssignments', appId })));
    }
    return out;
  }

  private everyoneOf(integrationId: string): Promise<string | null> {
    let found = this.everyone.get(integrationId);
    if (!found) {
      found = this.lookups.everyoneGroupId(integrationId);
      this.everyone.set(integrationId, found);
      // Not known yet (no collection so far) or the lookup failed: ask again next time.
      found.then(
        (id) => {
          if (id === null) this.everyone.delete(integrationId);
        },
        () => this.everyone.delete(integrationId),
      );
    }
    return found;
  }
}

/** A newly stored event with the refreshes it asked for itself. */
export interface StoredEventRefreshes extends SideEffectEvent {
  refresh: readonly RefreshRequest[];
}

/**
 * The targeted refreshes that newly stored events need, per integration, each request once: what
 * each event asked for, what its side effects imply (none without `sideEffects`), and the re-reads
 * the store asked for instead of applying mutations too close to their objects' last read.
 * Shared by the stream handler and `ingest-events`.
 */
export async function refreshesAfterStoring(
  events: readonly StoredEventRefreshes[],
  sideEffects: OktaSideEffects | null,
  deferred: readonly DeferredRefresh[] = [],
): Promise<Map<string, RefreshRequest[]>> {
  const byIntegration = new Map<string, Map<string, RefreshRequest>>();
  const add = (integrationId: string, requests: readonly RefreshRequest[]): void => {
    if (requests.length === 0) return;
    let merged = byIntegration.get(integrationId);
    if (!merged) byIntegration.set(integrationId, (merged = new Map()));
    for (const r of requests) merged.set(JSON.stringify(r), r);
  };
  for (const event of events) add(event.integrationId, event.refresh);
  for (const d of deferred) add(d.integrationId, [d.request]);
  if (sideEffects) for (const [integrationId, requests] of await sideEffects.refreshesFor(events)) add(integrationId, requests);
  return new Map([...byIntegration].map(([id, requests]) => [id, [...requests.values()]]));
}
