/**
 * The privilege model: what each admin role (standard or custom) lets its holder do to which
 * users, groups and apps, Okta's barrier, and Tier Zero. README.md states it in prose with its
 * sources; this file is the one place it is written as code.
 */

/** Holders of these roles (at org scope) control the org: Tier Zero. */
export const TIER_ZERO_ROLES = ['SUPER_ADMIN', 'ORG_ADMIN'] as const;

/** Edges of the privilege graph; the first three are structural, the rest are control edges. */
export const EDGE_KINDS = [
  'MemberOf',
  'HasRole',
  'ApiTokenFor',
  'ResetPassword',
  'ResetFactors',
  'AddMember',
  'ManageApp',
  'ReadClientSecret',
  'AddedByRule',
] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** Control edges a role grant creates (all but MemberOf, HasRole, ApiTokenFor and AddedByRule). */
export type GrantEdgeKind = 'ResetPassword' | 'ResetFactors' | 'AddMember' | 'ManageApp' | 'ReadClientSecret';

export type NodeKind = 'user' | 'group' | 'app' | 'api_token' | 'group_rule' | 'role';

/**
 * What a standard role may do. `users`: reset passwords and factors of users (all, or the members
 * of its group targets); `groups`: add members to groups (all, or its group targets); `apps`:
 * manage apps and read their OAuth client secrets (all, or its app targets; `oauth`: OAuth client
 * apps only). SUPER_ADMIN may do everything; its edges are implied, never listed.
 *
 * Sources: Okta's "Standard administrator roles and permissions"
 * (https://help.okta.com/en-us/content/topics/security/administrators-admin-comparison.htm) and the
 * permission lists OktaHound derives from it (Src/SpecterOps.OktaHound/Model/Okta/OktaBuiltinRole.cs):
 * USER_ADMIN (Group Administrator) resets credentials and manages membership of its groups,
 * HELP_DESK_ADMIN resets credentials, GROUP_MEMBERSHIP_ADMIN manages membership, APP_ADMIN manages
 * apps and reads client credentials, API_ACCESS_MANAGEMENT_ADMIN does both for OAuth client apps,
 * READ_ONLY_ADMIN reads client credentials (`okta.apps.clientCredentials.read`).
 */
export const STANDARD_ROLE_CAPABILITIES: Readonly<Record<string, { users?: true; groups?: true; manageApps?: 'all' | 'oauth'; readSecrets?: 'all' | 'oauth' }>> = {
  ORG_ADMIN: { users: true, groups: true },
  USER_ADMIN: { users: true, groups: true },
  HELP_DESK_ADMIN: { users: true },
  GROUP_MEMBERSHIP_ADMIN: { groups: true },
  APP_ADMIN: { manageApps: 'all', readSecrets: 'all' },
  API_ACCESS_MANAGEMENT_ADMIN: { manageApps: 'oauth', readSecrets: 'oauth' },
  READ_ONLY_ADMIN: { readSecrets: 'all' },
};

/** Custom-role permissions that create each control edge (Okta's permission names). */
export const CUSTOM_PERMISSION_EDGES: Readonly<Record<GrantEdgeKind, readonly string[]>> = {
  ResetPassword: ['okta.users.credentials.resetPassword', 'okta.users.credentials.manage', 'okta.users.manage'],
  ResetFactors: ['okta.users.credentials.resetFactors', 'okta.users.credentials.manage', 'okta.users.manage'],
  AddMember: ['okta.groups.members.manage', 'okta.groups.manage'],
  ManageApp: ['okta.apps.manage'],
  ReadClientSecret: ['okta.apps.clientCredentials.read'],
};

/**
 * Groups a group rule's expression names in Okta Expression Language group functions:
 * `isMemberOfGroup("id")`, `isMemberOfAnyGroup("id", …)` (ids) and `isMemberOfGroupName("name")`
 * (names). A rule naming groups counts every member of those groups as able to match it; a rule
 * naming none (profile attributes only) is a source of its own.
 */
export function groupsNamedBy(expression: string): { ids: string[]; names: string[] } {
  const ids: string[] = [];
  const names: string[] = [];
  for (const m of expression.matchAll(/isMemberOf(?:Any)?Group\(([^)]*)\)/g)) {
    for (const q of (m[1] ?? '').matchAll(/"([^"]+)"|'([^']+)'/g)) ids.push((q[1] ?? q[2]) as string);
  }
  for (const m of expression.matchAll(/isMemberOfGroupName\(\s*(?:"([^"]+)"|'([^']+)')\s*\)/g)) names.push((m[1] ?? m[2]) as string);
  return { ids, names };
}

/** The role assignment that creates a control edge. */
export interface Grant {
  /** `user:00u…`, `group:00g…` or `app:0oa…` */
  principal: string;
  /** Standard role type or custom role id. */
  role: string;
  resourceSet: string | null;
  assignmentId: string | null;
}
