/** Derived views of the org that several places need (API listing, truth, posture expectations). */
import type { SimAppUser, SimOrgState, SimRoleAssignment } from './model.js';

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

export function roleAssignmentsOf(org: SimOrgState, kind: SimRoleAssignment['principalKind'], principalId: string): SimRoleAssignment[] {
  return [...org.roleAssignments.values()]
    .filter((r) => r.principalKind === kind && r.principalId === principalId)
    .sort((a, b) => byId(a.id, b.id));
}

export function sortedIds(ids: Iterable<string>): string[] {
  return [...ids].sort(byId);
}
