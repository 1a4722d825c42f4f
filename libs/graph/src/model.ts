/**
 * The identity graph's row model: what normalizers produce and the store persists.
 * The store adds tenant, integration, first/last seen, the run that saw the row and the tombstone;
 * everything here is what Okta told us. `sourceUpdatedAt` is the Okta-side time of the state the
 * row holds (an object's `lastUpdated`, an event's `published`, or for edges Okta gives no time
 * for, the `Date` of the response that listed them): a row never replaces a stored row whose
 * `sourceUpdatedAt` is newer.
 */

export type PrincipalKind = 'user' | 'group' | 'app';

interface Sourced {
  sourceUpdatedAt: Date;
  /**
   * Okta-side time of the read that returned the row: the response's `Date` (Okta's clock, never
   * the host's). Absent: the row's source time stands for it.
   */
  observedAt?: Date;
}

export interface UserRow extends Sourced {
  oktaId: string;
  status: string;
  login: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  created: Date | null;
  activated: Date | null;
  statusChanged: Date | null;
  lastLogin: Date | null;
  passwordChanged: Date | null;
  /** `credentials.provider.type`: OKTA, ACTIVE_DIRECTORY, LDAP, FEDERATION, SOCIAL, IMPORT. */
  credentialProvider: string | null;
  raw: unknown;
}

export interface GroupRow extends Sourced {
  oktaId: string;
  /** OKTA_GROUP | APP_GROUP | BUILT_IN */
  groupType: string;
  name: string;
  description: string | null;
  raw: unknown;
}

export interface AppRow extends Sourced {
  oktaId: string;
  name: string;
  label: string | null;
  status: string;
  signOnMode: string | null;
  /** OAuth client id for OIDC/service apps (role assignments to service apps name the client). */
  clientId: string | null;
  isServiceApp: boolean;
  created: Date | null;
  raw: unknown;
}

export interface FactorRow extends Sourced {
  oktaId: string;
  userId: string;
  factorType: string;
  provider: string | null;
  status: string;
  created: Date | null;
  raw: unknown;
}

/** Custom roles (from /api/v1/iam/roles). Standard roles are identified by their type and need no row. */
export interface RoleRow extends Sourced {
  oktaId: string;
  label: string;
  description: string | null;
  raw: unknown;
}

export interface ResourceSetRow extends Sourced {
  oktaId: string;
  label: string;
  description: string | null;
  raw: unknown;
}

export interface GroupMembershipRow extends Sourced {
  userId: string;
  groupId: string;
}

export interface AppUserAssignmentRow extends Sourced {
  appId: string;
  userId: string;
  /** USER (direct) | GROUP (through a group assignment) */
  scope: string | null;
  status: string | null;
  raw: unknown;
}

export interface AppGroupAssignmentRow extends Sourced {
  appId: string;
  groupId: string;
  priority: number | null;
  raw: unknown;
}

export interface RoleAssignmentRow extends Sourced {
  principalKind: PrincipalKind;
  principalId: string;
  /** A standard role's type (e.g. SUPER_ADMIN) or a custom role's id. */
  roleId: string;
  /** Resource set of a custom role assignment; '' for standard roles. */
  resourceSetId: string;
  /** Okta's role assignment id, when known. */
  assignmentId: string | null;
  status: string | null;
  raw: unknown;
}

export interface LogEventRow {
  uuid: string;
  published: Date;
  eventType: string;
  severity: string | null;
  actorId: string | null;
  outcome: string | null;
  /** The event as Okta sent it; null when `rawJson` carries it. */
  raw: unknown;
  /** The event's JSON text as received: stored as is, instead of serialising `raw`. */
  rawJson?: string;
}

/** Graph resources that a collection run collects and that `finishFullSync` can tombstone. */
export const GRAPH_RESOURCES = [
  'users',
  'groups',
  'group_members',
  'apps',
  'app_user_assignments',
  'app_group_assignments',
  'roles',
  'resource_sets',
  'role_assignments',
  'factors',
  'system_log',
] as const;
export type GraphResource = (typeof GRAPH_RESOURCES)[number];

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

/** One line of `idgraph graph export` (and of `sim.truth()`). */
export type ExportNodeKind = 'user' | 'group' | 'app' | 'factor' | 'role' | 'resource_set';
export type ExportEdgeKind = 'member_of' | 'assigned_to' | 'has_role' | 'has_factor';
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
