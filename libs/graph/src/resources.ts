/**
 * The graph resources idgraph collects, one declaration each. Together with its drizzle table in
 * schema.ts (columns, primary key = natural key, indexes), a declaration is everything the store
 * needs: page upserts (page-upserts.ts), the tombstone pass after a full collection (full-sync.ts),
 * the graph export (export-graph.ts), page rows and counts (store.ts) and the row type normalizers
 * produce (model.ts) are derived from it. See resource-spec.ts for what each field means, and
 * ARCHITECTURE.md ("Adding a resource") for the steps around it.
 */
import type { PgTable } from 'drizzle-orm/pg-core';
import { exportLine } from './export-format.js';
import { readContainsEdges, readRoleNodes, readScopedToEdges } from './export-roles.js';
import { graphResource, type GraphResourceSpec } from './resource-spec.js';
import * as schema from './schema.js';

/** Status of a user known only from an event (e.g. user.lifecycle.create) until Okta's object is read. */
export const UNKNOWN_STATUS = 'UNKNOWN';

// ---------------------------------------------------------------- nodes

export const users = graphResource(schema.users, {
  name: 'users',
  rows: 'users',
  raw: true,
  objectTime: true,
  placeholders: { status: UNKNOWN_STATUS },
  tombstoneScopes: [],
  export: (segment) => [
    segment({
      order: ['node', 'user'],
      sortBy: ['oktaId'],
      fields: ['status', 'login'],
      arrivedVia: true,
      line: (r) => exportLine.user({ id: r.oktaId, status: r.status, login: r.login, arrivedVia: r.arrivedVia }),
    }),
  ],
});

export const groups = graphResource(schema.groups, {
  name: 'groups',
  rows: 'groups',
  raw: true,
  objectTime: true,
  tombstoneScopes: [],
  export: (segment) => [
    segment({
      order: ['node', 'group'],
      sortBy: ['oktaId'],
      fields: ['name', 'groupType'],
      arrivedVia: true,
      line: (r) => exportLine.group({ id: r.oktaId, name: r.name, groupType: r.groupType, arrivedVia: r.arrivedVia }),
    }),
  ],
});

export const apps = graphResource(schema.apps, {
  name: 'apps',
  rows: 'apps',
  raw: true,
  objectTime: true,
  tombstoneScopes: [],
  export: (segment) => [
    segment({
      order: ['node', 'app'],
      sortBy: ['oktaId'],
      fields: ['status', 'name', 'label', 'signOnMode'],
      line: (r) => exportLine.app({ id: r.oktaId, status: r.status, name: r.name, label: r.label, signOnMode: r.signOnMode }),
    }),
  ],
});

/** MFA factors: nodes of their own, and the has_factor edge from their user. */
export const factors = graphResource(schema.factors, {
  name: 'factors',
  rows: 'factors',
  raw: true,
  objectTime: true,
  tombstoneScopes: ['userId'],
  export: (segment) => [
    segment({
      order: ['node', 'factor'],
      sortBy: ['oktaId'],
      fields: ['status', 'factorType', 'provider', 'userId'],
      endpoints: [{ field: 'userId', table: schema.users }],
      line: (r) => exportLine.factor({ id: r.oktaId, status: r.status, factorType: r.factorType, provider: r.provider, userId: r.userId }),
    }),
    segment({
      order: ['edge', 'has_factor'],
      sortBy: ['userId', 'oktaId'],
      endpoints: [{ field: 'userId', table: schema.users }],
      line: (r) => exportLine.hasFactor({ userId: r.userId, factorId: r.oktaId }),
    }),
  ],
});

/** Custom admin roles. The export's role nodes also name the standard roles assigned (export-roles.ts). */
export const roles = graphResource(schema.roles, {
  name: 'roles',
  rows: 'roles',
  raw: true,
  objectTime: true,
  tombstoneScopes: [],
  export: () => [{ order: ['node', 'role'], read: readRoleNodes }],
});

export const resourceSets = graphResource(schema.resourceSets, {
  name: 'resource_sets',
  rows: 'resourceSets',
  raw: true,
  objectTime: true,
  tombstoneScopes: [],
  export: (segment) => [
    segment({
      order: ['node', 'resource_set'],
      sortBy: ['oktaId'],
      fields: ['label'],
      line: (r) => exportLine.resourceSet({ id: r.oktaId, label: r.label }),
    }),
  ],
});

// ---------------------------------------------------------------- edges

export const groupMembers = graphResource(schema.groupMemberships, {
  name: 'group_members',
  rows: 'memberships',
  raw: false,
  objectTime: false,
  tombstoneScopes: ['groupId', 'userId'],
  export: (segment) => [
    segment({
      order: ['edge', 'member_of'],
      sortBy: ['userId', 'groupId'],
      endpoints: [
        { field: 'userId', table: schema.users },
        { field: 'groupId', table: schema.groups },
      ],
      arrivedVia: true,
      line: (r) => exportLine.memberOf({ userId: r.userId, groupId: r.groupId, arrivedVia: r.arrivedVia }),
    }),
  ],
});

export const appUserAssignments = graphResource(schema.appUserAssignments, {
  name: 'app_user_assignments',
  rows: 'appUsers',
  raw: true,
  objectTime: false,
  tombstoneScopes: ['appId', 'userId'],
  export: (segment) => [
    segment({
      order: ['edge', 'assigned_to', 'user'],
      sortBy: ['userId', 'appId'],
      fields: ['scope'],
      endpoints: [
        { field: 'userId', table: schema.users },
        { field: 'appId', table: schema.apps },
      ],
      line: (r) => exportLine.userAssignedTo({ userId: r.userId, appId: r.appId, scope: r.scope }),
    }),
  ],
});

export const appGroupAssignments = graphResource(schema.appGroupAssignments, {
  name: 'app_group_assignments',
  rows: 'appGroups',
  raw: true,
  objectTime: false,
  tombstoneScopes: ['appId', 'groupId'],
  export: (segment) => [
    segment({
      order: ['edge', 'assigned_to', 'group'],
      sortBy: ['groupId', 'appId'],
      fields: ['priority'],
      endpoints: [
        { field: 'groupId', table: schema.groups },
        { field: 'appId', table: schema.apps },
      ],
      // Raw SQL rows: the driver may hand an integer back as text.
      line: (r) => exportLine.groupAssignedTo({ groupId: r.groupId, appId: r.appId, priority: r.priority === null ? null : Number(r.priority) }),
    }),
  ],
});

export const roleAssignments = graphResource(schema.roleAssignments, {
  name: 'role_assignments',
  rows: 'roleAssignments',
  raw: true,
  objectTime: false,
  tombstoneScopes: ['principalKind', 'principalId'],
  export: (segment) => [
    segment({
      order: ['edge', 'has_role'],
      sortBy: ['principalKind', 'principalId', 'roleId', 'resourceSetId'],
      endpoints: [
        { field: 'principalId', table: schema.users, when: { field: 'principalKind', is: 'user' } },
        { field: 'principalId', table: schema.groups, when: { field: 'principalKind', is: 'group' } },
        // A custom role (assigned with a resource set) that is gone.
        { field: 'roleId', table: schema.roles, when: { field: 'resourceSetId', isNot: '' } },
      ],
      line: (r) => exportLine.hasRole({ principalKind: r.principalKind, principalId: r.principalId, roleId: r.roleId, resourceSetId: r.resourceSetId }),
    }),
  ],
});

// ---------------------------------------------------------------- privilege

/** Permissions of custom roles: `has_permission` edges role → permission. */
export const rolePermissions = graphResource(schema.rolePermissions, {
  name: 'role_permissions',
  rows: 'rolePermissions',
  raw: true,
  objectTime: true,
  tombstoneScopes: ['roleId'],
  export: (segment) => [
    segment({
      order: ['edge', 'has_permission'],
      sortBy: ['roleId', 'permission'],
      endpoints: [{ field: 'roleId', table: schema.roles }],
      line: (r) => exportLine.hasPermission({ roleId: r.roleId, permission: r.permission }),
    }),
  ],
});

/** Resources of resource sets: `contains` edges (read whole and sorted: `to` is derived from the ORN's target). */
export const resourceSetResources = graphResource(schema.resourceSetResources, {
  name: 'resource_set_resources',
  rows: 'resourceSetResources',
  raw: true,
  objectTime: true,
  tombstoneScopes: ['resourceSetId'],
  export: () => [{ order: ['edge', 'contains'], read: readContainsEdges }],
});

/**
 * Targets of scoped standard role assignments: `scoped_to` edges principal → group / app / app_type
 * (read whole: a line also counts as deleted when its role assignment is gone).
 */
export const roleTargets = graphResource(schema.roleTargets, {
  name: 'role_targets',
  rows: 'roleTargets',
  raw: false,
  objectTime: false,
  tombstoneScopes: ['principalKind', 'principalId', 'roleId'],
  export: () => [{ order: ['edge', 'scoped_to'], read: readScopedToEdges }],
});

/** API tokens (metadata): `api_token` nodes and `acts_as` edges to their owners. */
export const apiTokens = graphResource(schema.apiTokens, {
  name: 'api_tokens',
  rows: 'apiTokens',
  raw: true,
  objectTime: true,
  tombstoneScopes: [],
  export: (segment) => [
    segment({
      order: ['node', 'api_token'],
      sortBy: ['oktaId'],
      fields: ['name', 'userId'],
      line: (r) => exportLine.apiToken({ id: r.oktaId, name: r.name, userId: r.userId }),
    }),
    segment({
      order: ['edge', 'acts_as'],
      sortBy: ['oktaId'],
      fields: ['userId'],
      endpoints: [{ field: 'userId', table: schema.users }],
      line: (r) => exportLine.actsAs({ tokenId: r.oktaId, userId: r.userId }),
    }),
  ],
});

/** OAuth client credentials (metadata, never a secret): `credential` nodes and `has_credential` edges. */
export const appCredentials = graphResource(schema.appCredentials, {
  name: 'app_credentials',
  rows: 'appCredentials',
  raw: false,
  objectTime: true,
  tombstoneScopes: ['appId'],
  export: (segment) => [
    segment({
      order: ['node', 'credential'],
      sortBy: ['credentialId'],
      fields: ['appId', 'credentialType', 'status'],
      endpoints: [{ field: 'appId', table: schema.apps }],
      line: (r) => exportLine.credential({ id: r.credentialId, appId: r.appId, credentialType: r.credentialType, status: r.status }),
    }),
    segment({
      order: ['edge', 'has_credential'],
      sortBy: ['appId', 'credentialId'],
      endpoints: [{ field: 'appId', table: schema.apps }],
      line: (r) => exportLine.hasCredential({ appId: r.appId, credentialId: r.credentialId }),
    }),
  ],
});

export const groupRules = graphResource(schema.groupRules, {
  name: 'group_rules',
  rows: 'groupRules',
  raw: true,
  objectTime: true,
  tombstoneScopes: [],
  export: (segment) => [
    segment({
      order: ['node', 'group_rule'],
      sortBy: ['oktaId'],
      fields: ['name', 'status', 'expression'],
      line: (r) => exportLine.groupRule({ id: r.oktaId, name: r.name, status: r.status, expression: r.expression }),
    }),
  ],
});

/** The groups a rule adds people to: `adds_to` edges rule → group. */
export const groupRuleTargets = graphResource(schema.groupRuleTargets, {
  name: 'group_rule_targets',
  rows: 'groupRuleTargets',
  raw: false,
  objectTime: false,
  tombstoneScopes: ['ruleId'],
  export: (segment) => [
    segment({
      order: ['edge', 'adds_to'],
      sortBy: ['ruleId', 'groupId'],
      endpoints: [
        { field: 'ruleId', table: schema.groupRules },
        { field: 'groupId', table: schema.groups },
      ],
      line: (r) => exportLine.addsTo({ ruleId: r.ruleId, groupId: r.groupId }),
    }),
  ],
});

/** Every graph resource, in the order a page's rows are written. */
export const GRAPH_RESOURCE_SPECS = [
  users,
  groups,
  apps,
  factors,
  roles,
  resourceSets,
  groupMembers,
  appUserAssignments,
  appGroupAssignments,
  roleAssignments,
  rolePermissions,
  resourceSetResources,
  roleTargets,
  apiTokens,
  appCredentials,
  groupRules,
  groupRuleTargets,
] as const;

export type GraphResourceSpecs = (typeof GRAPH_RESOURCE_SPECS)[number];

/** Resources a collection run collects and that `finishFullSync` can tombstone (the System Log is never tombstoned). */
export const GRAPH_RESOURCES = [...GRAPH_RESOURCE_SPECS.map((s) => s.name), 'system_log'] as readonly (GraphResourceSpecs['name'] | 'system_log')[];
export type GraphResource = (typeof GRAPH_RESOURCES)[number];

const BY_NAME = new Map<string, GraphResourceSpec>(GRAPH_RESOURCE_SPECS.map((s) => [s.name, s]));

/** The declaration of a resource by its name; undefined for unknown names (and the System Log). */
export function resourceSpec(name: string): GraphResourceSpec | undefined {
  return BY_NAME.get(name);
}

type ScopeOf<S> = S extends GraphResourceSpec<string, string, PgTable, boolean, infer Scope> ? Scope : never;

/** Narrows a tombstone pass to one object's rows, for targeted refreshes: a resource's scope fields (see tombstoneScopes). */
export type FullSyncScope = Partial<Record<ScopeOf<GraphResourceSpecs>, string>>;
