/** Derived views of the org that several places need (API listing, truth, posture expectations). */
import type { SimAppUser, SimOrgState, SimResourceSetResource, SimRoleAssignment } from './model.js';

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * App users as Okta lists them: direct assignments (scope USER) plus one app user per member of
 * each assigned group (scope GROUP) — a direct assignment wins over a group one. Members whose
 * status is DEPROVISIONED get no group-derived app user (deactivation deprovisions app accounts);
 * direct assignments of DEPROVISIONED users stay listed with their own status.
 */
export function appUsersOf(org: SimOrgState, appId: string): SimAppUser[] {
  const out = new Map<string, SimAppUser>();
  const groups = org.appGroupAssignments.get(appId);
  if (groups) {
    for (const ga of groups.values()) {
      for (const userId of org.groupMembers.get(ga.groupId) ?? []) {
        if (out.has(userId)) continue;
        const user = org.users.get(userId);
        if (!user || user.status === 'DEPROVISIONED') continue;
        out.set(userId, { appId, userId, scope: 'GROUP', status: 'ACTIVE', created: ga.lastUpdated, lastUpdated: ga.lastUpdated });
      }
    }
  }
  for (const direct of org.appUserAssignments.get(appId)?.values() ?? []) {
    out.set(direct.userId, {
      appId, userId: direct.userId, scope: 'USER', status: direct.status, created: direct.created, lastUpdated: direct.lastUpdated,
    });
  }
  return [...out.values()].sort((a, b) => byId(a.userId, b.userId));
}

/** The role assignments granted to this principal itself (direct assignments only). */
export function roleAssignmentsOf(org: SimOrgState, kind: SimRoleAssignment['principalKind'], principalId: string): SimRoleAssignment[] {
  return [...org.roleAssignments.values()]
    .filter((r) => r.principalKind === kind && r.principalId === principalId)
    .sort((a, b) => byId(a.id, b.id));
}

/**
 * A user's role list as GET /api/v1/users/{userId}/roles gives it: the user's own assignments
 * (assignmentType USER) followed by those of every group the user is a member of (assignmentType
 * GROUP, `_links.assignee` naming the group). The spec's examples for listAssignedRolesForUser
 * (StandardRolesListResponse, StandardAndCustomRolesListResponse) show both kinds in one list;
 * https://developer.okta.com/docs/api/openapi/okta-management/management/tag/RoleAssignmentAUser/
 */
export function userRoleListOf(org: SimOrgState, userId: string): SimRoleAssignment[] {
  const viaGroups = new Set(org.userGroups.get(userId) ?? []);
  const inherited = [...org.roleAssignments.values()]
    .filter((r) => r.principalKind === 'group' && viaGroups.has(r.principalId))
    .sort((a, b) => byId(a.id, b.id));
  return [...roleAssignmentsOf(org, 'user', userId), ...inherited];
}

/**
 * Users whose role list is not empty: holders of a role of their own or through a group. The spec
 * says only "Lists all users with role assignments" (listUsersWithRoleAssignments), and each entry
 * links to that user's role list; whether Okta also lists users who hold roles only through a group
 * is not documented. Listing them is the reading under which a client that mistakes a GROUP entry
 * for the user's own role goes wrong most visibly.
 */
export function roleHolderUserIds(org: SimOrgState): string[] {
  const ids = new Set<string>();
  for (const r of org.roleAssignments.values()) {
    if (r.principalKind === 'user') ids.add(r.principalId);
    else if (r.principalKind === 'group') for (const userId of org.groupMembers.get(r.principalId) ?? []) ids.add(userId);
  }
  for (const id of ids) if (!org.users.has(id)) ids.delete(id);
  return sortedIds(ids);
}

export function sortedIds(ids: Iterable<string>): string[] {
  return [...ids].sort(byId);
}

/**
 * A resource set resource's ORN and REST URL (path), as Okta names them: partition `okta`, org id
 * `00o` + the subdomain (the spec's ORN formats, ResourceSetResourcesResponse).
 */
export function resourceOrn(org: SimOrgState, ref: SimResourceSetResource['ref']): { orn: string; path: string } {
  const id = `00o${org.subdomain}`;
  switch (ref.kind) {
    case 'allUsers': return { orn: `orn:okta:directory:${id}:users`, path: '/api/v1/users' };
    case 'allGroups': return { orn: `orn:okta:directory:${id}:groups`, path: '/api/v1/groups' };
    case 'allApps': return { orn: `orn:okta:idp:${id}:apps`, path: '/api/v1/apps' };
    case 'user': return { orn: `orn:okta:directory:${id}:users:${ref.userId}`, path: `/api/v1/users/${ref.userId}` };
    case 'group': return { orn: `orn:okta:directory:${id}:groups:${ref.groupId}`, path: `/api/v1/groups/${ref.groupId}` };
    case 'groupMembers': return { orn: `orn:okta:directory:${id}:groups:${ref.groupId}:contained_resources`, path: `/api/v1/groups/${ref.groupId}/users` };
    case 'appType': return { orn: `orn:okta:idp:${id}:apps:${ref.appName}`, path: `/api/v1/apps?filter=name+eq+"${ref.appName}"` };
    case 'app': return { orn: `orn:okta:idp:${id}:apps:${ref.appName}:${ref.appId}`, path: `/api/v1/apps/${ref.appId}` };
  }
}
