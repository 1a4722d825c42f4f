/**
 * The identity graph's row model: what normalizers produce and the store persists.
 * The store adds tenant, integration, first/last seen, the run that saw the row and the tombstone;
 * everything here is what Okta told us. `sourceUpdatedAt` is the Okta-side time of the state the
 * row holds (an object's `lastUpdated`, an event's `published`, or for edges Okta gives no time
 * for, the `Date` of the response that listed them): a row never replaces a stored row whose
 * `sourceUpdatedAt` is newer.
 */

import type { RowOf } from './resource-spec.js';
import type * as resources from './resources.js';

export type PrincipalKind = 'user' | 'group' | 'app';

// Rows of the graph resources: their tables' own columns (schema.ts), `raw` where the resource
// keeps Okta's object, and the Okta-side times (Sourced in resource-spec.ts). Declared in resources.ts.
export type UserRow = RowOf<typeof resources.users>;
export type GroupRow = RowOf<typeof resources.groups>;
export type AppRow = RowOf<typeof resources.apps>;
export type FactorRow = RowOf<typeof resources.factors>;
/** Custom roles (from /api/v1/iam/roles). Standard roles are identified by their type and need no row. */
export type RoleRow = RowOf<typeof resources.roles>;
export type ResourceSetRow = RowOf<typeof resources.resourceSets>;
export type GroupMembershipRow = RowOf<typeof resources.groupMembers>;
export type AppUserAssignmentRow = RowOf<typeof resources.appUserAssignments>;
export type AppGroupAssignmentRow = RowOf<typeof resources.appGroupAssignments>;
export type RoleAssignmentRow = RowOf<typeof resources.roleAssignments>;
export type RolePermissionRow = RowOf<typeof resources.rolePermissions>;
export type ResourceSetResourceRow = RowOf<typeof resources.resourceSetResources>;
export type RoleTargetRow = RowOf<typeof resources.roleTargets>;
export type ApiTokenRow = RowOf<typeof resources.apiTokens>;
export type AppCredentialRow = RowOf<typeof resources.appCredentials>;
export type GroupRuleRow = RowOf<typeof resources.groupRules>;
export type GroupRuleTargetRow = RowOf<typeof resources.groupRuleTargets>;

export interface LogEventRow {
  uuid: string;
  published: Date;
  eventType: string;
  severity: string | null;
  actorId: string | null;
  outcome: string | null;
  /** The users the event is about (its actor and User targets), indexed for the person view; null when none. */
  subjectIds: string[] | null;
  /** The event as Okta sent it; null when `rawJson` carries it. */
  raw: unknown;
  /** The event's JSON text as received: stored as is, instead of serialising `raw`. */
  rawJson?: string;
}

/**
 * A change derived from a System Log event (or pushed by SCIM provisioning, or confirmed by
 * Okta's answer to an action). Applied with the event's `published` (the push's or answer's
 * time) as the Okta-side time, so replays and out-of-order delivery converge. `group.upsert`
 * creates a group or renames it (its type is kept once known).
 */
export type GraphMutation =
  | { kind: 'user.upsert'; at: Date; user: Partial<Omit<UserRow, 'sourceUpdatedAt' | 'observedAt'>> & { oktaId: string } }
  | { kind: 'user.status'; at: Date; userId: string; status: string }
  | { kind: 'user.delete'; at: Date; userId: string }
  | { kind: 'group.upsert'; at: Date; group: { oktaId: string; name: string; groupType: string } }
  | { kind: 'group.delete'; at: Date; groupId: string }
  | { kind: 'app.status'; at: Date; appId: string; status: string }
  | { kind: 'app.delete'; at: Date; appId: string }
  | { kind: 'membership.add' | 'membership.remove'; at: Date; userId: string; groupId: string }
  | { kind: 'appUser.add' | 'appUser.remove'; at: Date; appId: string; userId: string }
  | { kind: 'appGroup.add' | 'appGroup.remove'; at: Date; appId: string; groupId: string }
  | {
      kind: 'role.add' | 'role.remove';
      at: Date;
      principalKind: PrincipalKind;
      principalId: string;
      roleId: string;
      resourceSetId: string;
    };

/**
 * A targeted re-read of one object from Okta, for events that do not carry the new state.
 * `userFactors` re-reads a user's factors, `principalRoles` a user's or group's role assignments.
 */
export type RefreshRequest =
  | { kind: 'user'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'app'; id: string }
  | { kind: 'userFactors'; userId: string }
  | { kind: 'principalRoles'; principalKind: 'user' | 'group'; principalId: string }
  | { kind: 'appAssignments'; appId: string }
  | { kind: 'groupMembers'; groupId: string };

/**
 * A change Okta makes without logging an event for it, implied by an event (impliedChanges in
 * @idgraph/normalize says which; EventSideEffects in side-effects.ts resolves them against the graph).
 */
export type ImpliedChange =
  /** A new user joins the org's built-in Everyone group: a mutation applied with the event. */
  | { kind: 'everyone.join'; at: Date; userId: string }
  /** A direct assignment was added or removed: the app user's scope (USER, GROUP) is not in the event, so the app's assignments are re-read. */
  | { kind: 'app.assignments'; appId: string }
  /** A member joined or left the group: they become or stop being a GROUP-scope user of the group's apps, which are re-read. */
  | { kind: 'group.apps'; groupId: string }
  /** The user was deactivated or (re)activated: Okta (de)provisions the user's app accounts, so the apps the user reaches are re-read. */
  | { kind: 'user.apps'; userId: string };

/** One line of `idgraph graph export` (and of `sim.truth()`). */
export type ExportNodeKind = 'user' | 'group' | 'app' | 'factor' | 'role' | 'resource_set' | 'api_token' | 'credential' | 'group_rule';
export type ExportEdgeKind =
  | 'member_of' | 'assigned_to' | 'has_role' | 'has_factor'
  | 'acts_as' | 'has_credential' | 'adds_to' | 'has_permission' | 'contains' | 'scoped_to';
export interface ExportNode {
  type: 'node';
  kind: ExportNodeKind;
  id: string;
  status?: string;
  [field: string]: unknown;
}
export interface ExportEdge {
  type: 'edge';
  kind: ExportEdgeKind;
  from: string;
  to: string;
  [field: string]: unknown;
}
export type ExportLine = ExportNode | ExportEdge;
