/**
 * Resolves what events imply beyond their own mutations (ImpliedChange, from impliedChanges in
 * @idgraph/normalize) against the graph, for every path that takes in events: the stream, System
 * Log polling and `ingest-events` use this one module, so the same events imply the same changes
 * whichever way they arrive.
 * - Mutations, applied with the event in its transaction: a new user's Everyone membership.
 * - Re-reads, asked for once the events are stored (newly stored ones only): the assignments of
 *   the apps whose users changed without an event saying how (a new user's Everyone membership
 *   counts as joining Everyone).
 */
import type { DeferredRefresh } from './event-ingest.js';
import type { GraphReads } from './graph-reads.js';
import type { GraphMutation, ImpliedChange, RefreshRequest } from './model.js';

/** Graph reads the side effects need (live rows only): GraphStore has them. */
export type SideEffectLookups = Pick<GraphReads, 'everyoneGroupId' | 'appsAssignedToGroups' | 'appsReachableByUsers'>;

/** An event as the side effects see it: where it belongs and what it implies. */
export interface ImplyingEvent {
  integrationId: string;
  implied: readonly ImpliedChange[];
}

export class EventSideEffects {
  private readonly everyone = new Map<string, Promise<string | null>>();

  constructor(private readonly lookups: SideEffectLookups) {}

  /** Whether `mutations` can add any for these implied changes (most events add none; skipping the call saves a promise per event). */
  static addsMutations(implied: readonly ImpliedChange[]): boolean {
    return implied.some((c) => c.kind === 'everyone.join');
  }

  /** Mutations to apply with the event in its transaction (the Everyone membership of a new user; none while Everyone is unknown). */
  async mutations(event: ImplyingEvent): Promise<GraphMutation[]> {
    const out: GraphMutation[] = [];
    for (const c of event.implied) {
      if (c.kind !== 'everyone.join') continue;
      const groupId = await this.everyoneOf(event.integrationId);
      if (groupId) out.push({ kind: 'membership.add', at: c.at, userId: c.userId, groupId });
    }
    return out;
  }

  /** Re-reads of app assignments that the events changed without saying so, per integration, each app once (sorted). */
  async refreshes(events: readonly ImplyingEvent[]): Promise<Map<string, RefreshRequest[]>> {
    const byIntegration = new Map<string, { apps: Set<string>; groups: Set<string>; users: Set<string> }>();
    for (const event of events) {
      for (const c of event.implied) {
        let wanted = byIntegration.get(event.integrationId);
        if (!wanted) byIntegration.set(event.integrationId, (wanted = { apps: new Set(), groups: new Set(), users: new Set() }));
        if (c.kind === 'app.assignments') wanted.apps.add(c.appId);
        else if (c.kind === 'group.apps') wanted.groups.add(c.groupId);
        else if (c.kind === 'user.apps') wanted.users.add(c.userId);
        else if (c.kind === 'everyone.join') {
          // The new member is a GROUP-scope user of every app assigned to Everyone.
          const everyone = await this.everyoneOf(event.integrationId);
          if (everyone) wanted.groups.add(everyone);
        }
      }
    }
    const out = new Map<string, RefreshRequest[]>();
    for (const [integrationId, { apps, groups, users }] of byIntegration) {
      if (groups.size) for (const a of await this.lookups.appsAssignedToGroups(integrationId, [...groups])) apps.add(a);
      if (users.size) for (const a of await this.lookups.appsReachableByUsers(integrationId, [...users])) apps.add(a);
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
export interface StoredEventRefreshes extends ImplyingEvent {
  refresh: readonly RefreshRequest[];
}

/**
 * The targeted refreshes that newly stored events need, per integration, each request once: what
 * each event asked for, what its side effects imply (none without `sideEffects`), and the re-reads
 * the store asked for instead of applying mutations too close to their objects' last read.
 */
export async function refreshesAfterStoring(
  events: readonly StoredEventRefreshes[],
  sideEffects: EventSideEffects | null,
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
  if (sideEffects) for (const [integrationId, requests] of await sideEffects.refreshes(events)) add(integrationId, requests);
  return new Map([...byIntegration].map(([id, requests]) => [id, [...requests.values()]]));
}
