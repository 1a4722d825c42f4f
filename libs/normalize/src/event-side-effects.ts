/**
 * What a System Log event implies beyond its own mutations. Okta changes some rows without logging
 * an event for them:
 * - every new user joins the built-in Everyone group;
 * - a user who joins or leaves a group becomes or stops being a GROUP-scope user of every app the
 *   group is assigned to;
 * - deactivating a user removes their app assignments (a DEPROVISIONED user drops out of app user
 *   lists until reactivated);
 * - a direct app assignment makes the app user USER-scoped, and removing it leaves a GROUP-scoped
 *   app user when a group still grants the app (the mutations carry no scope).
 * The events that cause these are known, so every path that takes in events (the stream, System Log
 * polling, `ingest-events`) follows them the same way: it asks this function, then has
 * EventSideEffects (@idgraph/graph) resolve the answer against the graph: the Everyone membership
 * goes into the event's transaction, the apps' assignments are re-read once the event is stored.
 *
 * Pure: a function of the event's type, time and the mutations eventToGraphChanges made of it.
 */
import type { GraphMutation, ImpliedChange } from '@idgraph/graph';

/** What the rules look at. */
export interface SideEffectEvent {
  eventType: string;
  published: Date;
  mutations: readonly GraphMutation[];
}

const CREATE_EVENTS = new Set(['user.lifecycle.create']);
/** Status changes into or out of DEPROVISIONED. */
const DEPROVISIONING_EVENTS = new Set(['user.lifecycle.deactivate', 'user.lifecycle.activate', 'user.lifecycle.reactivate']);

/** The user an event's user mutation is about. */
function mutatedUserId(mutations: readonly GraphMutation[]): string | null {
  for (const m of mutations) {
    if (m.kind === 'user.status') return m.userId;
    if (m.kind === 'user.upsert') return m.user.oktaId;
  }
  return null;
}

/** The changes an event implies beyond its own mutations; none for most events. */
export function impliedChanges(event: SideEffectEvent): ImpliedChange[] {
  const implied: ImpliedChange[] = [];
  if (CREATE_EVENTS.has(event.eventType)) {
    const created = event.mutations.find((m) => m.kind === 'user.upsert');
    if (created) implied.push({ kind: 'everyone.join', at: event.published, userId: created.user.oktaId });
  }
  for (const m of event.mutations) {
    if (m.kind === 'appUser.add' || m.kind === 'appUser.remove') implied.push({ kind: 'app.assignments', appId: m.appId });
    else if (m.kind === 'membership.add' || m.kind === 'membership.remove') implied.push({ kind: 'group.apps', groupId: m.groupId });
  }
  if (DEPROVISIONING_EVENTS.has(event.eventType)) {
    const userId = mutatedUserId(event.mutations);
    if (userId) implied.push({ kind: 'user.apps', userId });
  }
  return implied;
}
