/**
 * System Log event → graph mutations plus targeted refreshes. Event types and their targets:
 * https://developer.okta.com/docs/reference/api/event-types/
 *
 * Events arrive at least once and in any order, so every mutation carries the event's
 * `published` time as `at` and the store lets the newest state win. Targets are found by their
 * `type`, never by position. Where an event does not carry the new state (a profile update, a
 * privilege change, a factor enrollment, an activation whose result Okta does not fix), the
 * event asks for a refresh of that one object instead of guessing.
 */
import type { GraphMutation, RefreshRequest } from '@idgraph/graph';
import { type OktaLogEventInput, type OktaLogTarget, outcomeResult, publishedAt } from './log-event.js';

export interface GraphChanges {
  mutations: GraphMutation[];
  refresh: RefreshRequest[];
}

/** What a handler may read from an event: its time and its targets by type. */
interface EventFacts {
  at: Date;
  /** The first target of this type that has an id. */
  target(type: string): IdentifiedTarget | undefined;
}

type IdentifiedTarget = OktaLogTarget & { id: string };

type EventHandler = (event: EventFacts) => GraphChanges;

/** Okta's System Log target types (LogTarget `type` values as Okta's events carry them). */
const T = {
  user: 'User',
  group: 'UserGroup',
  app: 'AppInstance',
  appGroup: 'AppGroup',
} as const;

const NO_CHANGES: GraphChanges = Object.freeze({ mutations: [], refresh: [] }) as GraphChanges;

function changes(mutations: GraphMutation[], refresh: RefreshRequest[] = []): GraphChanges {
  return { mutations, refresh };
}

// ---- users ---------------------------------------------------------------------------------

/**
 * Okta's create yields STAGED, PROVISIONED or ACTIVE depending on credentials, `activate` and the
 * enrollment policy, so the upsert asserts only what the event knows: the id and the login.
 */
const userCreated: EventHandler = ({ at, target }) => {
  const user = target(T.user);
  if (!user) return NO_CHANGES;
  const login = user.alternateId;
  const upsert: GraphMutation = {
    kind: 'user.upsert',
    at,
    user: typeof login === 'string' && login !== '' && login !== 'unknown' ? { oktaId: user.id, login } : { oktaId: user.id },
  };
  return changes([upsert], [{ kind: 'user', id: user.id }]);
};

const userStatus =
  (status: string): EventHandler =>
  ({ at, target }) => {
    const user = target(T.user);
    return user ? changes([{ kind: 'user.status', at, userId: user.id, status }]) : NO_CHANGES;
  };

const userDeleted: EventHandler = ({ at, target }) => {
  const user = target(T.user);
  return user ? changes([{ kind: 'user.delete', at, userId: user.id }]) : NO_CHANGES;
};

const refreshUser: EventHandler = ({ target }) => {
  const user = target(T.user);
  return user ? changes([], [{ kind: 'user', id: user.id }]) : NO_CHANGES;
};

const refreshUserFactors: EventHandler = ({ target }) => {
  const user = target(T.user);
  return user ? changes([], [{ kind: 'userFactors', userId: user.id }]) : NO_CHANGES;
};

// ---- groups and memberships ----------------------------------------------------------------

/** Without the user target the group is still known, so its member list is re-read instead. */
const membership =
  (kind: 'membership.add' | 'membership.remove'): EventHandler =>
  ({ at, target }) => {
    const group = target(T.group);
    if (!group) return NO_CHANGES;
    const user = target(T.user);
    if (!user) return changes([], [{ kind: 'groupMembers', groupId: group.id }]);
    return changes([{ kind, at, userId: user.id, groupId: group.id }]);
  };

const refreshGroup: EventHandler = ({ target }) => {
  const group = target(T.group);
  return group ? changes([], [{ kind: 'group', id: group.id }]) : NO_CHANGES;
};

const groupDeleted: EventHandler = ({ at, target }) => {
  const group = target(T.group);
  return group ? changes([{ kind: 'group.delete', at, groupId: group.id }]) : NO_CHANGES;
};

/**
 * App-group imports (`app.user_management`, legacy `app_group_member_import.*`) change an
 * APP_GROUP's members; the event names the group but not reliably whether the user was added
 * or removed, so the group's member list is re-read. Events without an AppGroup target (user
 * imports, profile pushes) change nothing in the graph.
 */
const appGroupImport: EventHandler = ({ target }) => {
  const appGroup = target(T.appGroup);
  return appGroup ? changes([], [{ kind: 'groupMembers', groupId: appGroup.id }]) : NO_CHANGES;
};

// ---- apps and assignments ------------------------------------------------------------------

/**
 * The AppUser target's id is the app-user id, not the Okta user id: the edge is keyed on the
 * User target. Without it, the app's assignments are re-read instead.
 */
const appUser =
  (kind: 'appUser.add' | 'appUser.remove'): EventHandler =>
  ({ at, target }) => {
    const app = target(T.app);
    if (!app) return NO_CHANGES;
    const user = target(T.user);
    if (!user) return changes([], [{ kind: 'appAssignments', appId: app.id }]);
    return changes([{ kind, at, appId: app.id, userId: user.id }]);
  };

/**
 * A group assignment also adds or removes the GROUP-scoped app-user assignments of every member,
 * which the event does not list, so the app's assignments are re-read as well.
 */
const appGroup =
  (kind: 'appGroup.add' | 'appGroup.remove'): EventHandler =>
  ({ at, target }) => {
    const app = target(T.app);
    const group = target(T.group);
    if (!app || !group) return NO_CHANGES;
    return changes([{ kind, at, appId: app.id, groupId: group.id }], [{ kind: 'appAssignments', appId: app.id }]);
  };

const refreshAppAssignments: EventHandler = ({ target }) => {
  const app = target(T.app);
  return app ? changes([], [{ kind: 'appAssignments', appId: app.id }]) : NO_CHANGES;
};

const appStatus =
  (status: string): EventHandler =>
  ({ at, target }) => {
    const app = target(T.app);
    return app ? changes([{ kind: 'app.status', at, appId: app.id, status }]) : NO_CHANGES;
  };

const appDeleted: EventHandler = ({ at, target }) => {
  const app = target(T.app);
  return app ? changes([{ kind: 'app.delete', at, appId: app.id }]) : NO_CHANGES;
};

const refreshApp: EventHandler = ({ target }) => {
  const app = target(T.app);
  return app ? changes([], [{ kind: 'app', id: app.id }]) : NO_CHANGES;
};

// ---- admin roles ---------------------------------------------------------------------------

/**
 * Privilege events do not reliably say which role changed (older events list a display string
 * in debugData, newer ones a ROLE target with a display-style id such as "HelpDeskAdmin"), so the
 * principal's role assignments are re-read even when a ROLE target is present.
 */
const refreshPrincipalRoles =
  (principalKind: 'user' | 'group'): EventHandler =>
  ({ target }) => {
    const principal = target(principalKind === 'user' ? T.user : T.group);
    return principal ? changes([], [{ kind: 'principalRoles', principalKind, principalId: principal.id }]) : NO_CHANGES;
  };

// ---- the table -----------------------------------------------------------------------------

const HANDLERS: Readonly<Record<string, EventHandler>> = {
  'user.lifecycle.create': userCreated,
  // Activation ends in PROVISIONED, not ACTIVE, for a user without a password until they finish
  // the welcome flow; reactivate restarts that flow (Okta spec: activateUser, reactivateUser).
  'user.lifecycle.activate': refreshUser,
  'user.lifecycle.reactivate': refreshUser,
  'user.lifecycle.deactivate': userStatus('DEPROVISIONED'),
  'user.lifecycle.suspend': userStatus('SUSPENDED'),
  'user.lifecycle.unsuspend': userStatus('ACTIVE'),
  'user.account.lock': userStatus('LOCKED_OUT'),
  'user.account.unlock': userStatus('ACTIVE'),
  'user.account.unlock_by_admin': userStatus('ACTIVE'),
  'user.lifecycle.delete.initiated': userDeleted,
  'user.lifecycle.delete.completed': userDeleted,
  'user.account.update_profile': refreshUser,
  'user.account.update_password': refreshUser,
  'user.account.reset_password': refreshUser,
  'user.account.privilege.grant': refreshPrincipalRoles('user'),
  'user.account.privilege.revoke': refreshPrincipalRoles('user'),
  'user.mfa.factor.activate': refreshUserFactors,
  'user.mfa.factor.deactivate': refreshUserFactors,
  'user.mfa.factor.reset_all': refreshUserFactors,
  'user.mfa.factor.update': refreshUserFactors,
  'user.mfa.factor.suspend': refreshUserFactors,
  'user.mfa.factor.unsuspend': refreshUserFactors,
  'group.user_membership.add': membership('membership.add'),
  'group.user_membership.remove': membership('membership.remove'),
  'group.lifecycle.create': refreshGroup,
  'group.lifecycle.delete': groupDeleted,
  'group.profile.update': refreshGroup,
  'group.privilege.grant': refreshPrincipalRoles('group'),
  'group.privilege.revoke': refreshPrincipalRoles('group'),
  'application.user_membership.add': appUser('appUser.add'),
  'application.user_membership.remove': appUser('appUser.remove'),
  'application.user_membership.change_username': refreshAppAssignments,
  'group.application_assignment.add': appGroup('appGroup.add'),
  'group.application_assignment.remove': appGroup('appGroup.remove'),
  'application.lifecycle.create': refreshApp,
  'application.lifecycle.update': refreshApp,
  'application.lifecycle.activate': appStatus('ACTIVE'),
  'application.lifecycle.deactivate': appStatus('INACTIVE'),
  'application.lifecycle.delete': appDeleted,
  'app.user_management': appGroupImport,
};

/** Event families handled by prefix; their member names are not all published. */
const PREFIX_HANDLERS: ReadonlyArray<readonly [prefix: string, handler: EventHandler]> = [
  ['user.lifecycle.password_mode.', refreshUser],
  ['app.user_management.', appGroupImport],
];

/** Event types that change the graph or trigger a refresh, for docs and metrics. */
export const HANDLED_EVENT_TYPES: readonly string[] = Object.freeze(Object.keys(HANDLERS).sort());

/** Prefixes of handled event families (`user.lifecycle.password_mode.*`, `app.user_management.*`). */
export const HANDLED_EVENT_TYPE_PREFIXES: readonly string[] = Object.freeze(PREFIX_HANDLERS.map(([prefix]) => prefix));

function handlerFor(eventType: string): EventHandler | undefined {
  if (Object.hasOwn(HANDLERS, eventType)) return HANDLERS[eventType];
  return PREFIX_HANDLERS.find(([prefix]) => eventType.startsWith(prefix))?.[1];
}

export function isHandledEventType(eventType: string): boolean {
  return handlerFor(eventType) !== undefined;
}

/**
 * The graph changes an event implies. Only events whose `outcome.result` is SUCCESS (or that
 * carry no outcome) change anything: a failed or denied attempt leaves the graph as it was. An
 * event without the targets its mapping needs yields no changes (it is still stored as an event).
 * Throws NormalizeError when a handled event's `published` is not an ISO-8601 time.
 */
export function eventToGraphChanges(event: OktaLogEventInput): GraphChanges {
  const handler = typeof event.eventType === 'string' ? handlerFor(event.eventType) : undefined;
  if (!handler) return changes([]);
  const result = outcomeResult(event);
  if (result !== null && result !== 'SUCCESS') return changes([]);
  const targets = Array.isArray(event.target) ? event.target : [];
  const produced = handler({
    at: publishedAt(event),
    target: (type) => targets.find((t): t is IdentifiedTarget => t?.type === type && typeof t.id === 'string' && t.id !== ''),
  });
  return { mutations: [...produced.mutations], refresh: [...produced.refresh] };
}
