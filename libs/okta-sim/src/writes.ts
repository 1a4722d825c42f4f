/**
 * The write endpoints remediation actions use, with Okta's documented semantics
 * (management-openapi.yaml; https://developer.okta.com/docs/api/openapi/okta-management/):
 *
 * | request | scope | answer | System Log |
 * | --- | --- | --- | --- |
 * | POST /api/v1/users/{id}/lifecycle/deactivate | okta.users.manage | 200, no body; only users not DEPROVISIONED | user.lifecycle.deactivate |
 * | POST /api/v1/users/{id}/lifecycle/suspend | okta.users.manage | 200; only ACTIVE users | user.lifecycle.suspend |
 * | POST /api/v1/users/{id}/lifecycle/unsuspend | okta.users.manage | 200; only SUSPENDED users | user.lifecycle.unsuspend |
 * | POST /api/v1/users/{id}/lifecycle/reset_factors | okta.users.manage | 200; every factor unenrolled | user.mfa.factor.reset_all |
 * | DELETE /api/v1/users/{id}/sessions | okta.users.manage | 204 | user.session.clear |
 * | DELETE /api/v1/users/{id} | okta.users.manage | 204; a user not yet DEPROVISIONED is deactivated instead ("a second delete operation is required") | user.lifecycle.deactivate or user.lifecycle.delete.initiated |
 * | DELETE /api/v1/groups/{groupId}/users/{userId} | okta.groups.manage | 204; OKTA_GROUP only | group.user_membership.remove |
 * | DELETE /api/v1/apps/{appId}/users/{userId} | okta.apps.manage | 204 | application.user_membership.remove |
 * | DELETE /api/v1/apps/{appId}/groups/{groupId} | okta.apps.manage | 204 | group.application_assignment.remove |
 * | DELETE /api/v1/users/{userId}/roles/{roleAssignmentId} | okta.roles.manage | 204 | user.account.privilege.revoke (or .grant listing what is left) |
 * | DELETE /api/v1/groups/{groupId}/roles/{roleAssignmentId} | okta.roles.manage | 204 | group.privilege.revoke (or .grant) |
 * | DELETE /oauth2/v1/clients/{clientId}/roles/{roleAssignmentId} | okta.roles.manage | 204 | none modelled (Okta documents no event type for it) |
 *
 * Permissions are scopes ∩ admin roles for a service app, and the owner's admin roles for an API
 * token (an API token acts as the admin who created it). The roles that may do each write come
 * from Okta's "Standard administrator roles and permissions" table
 * (https://help.okta.com/en-us/content/topics/security/administrators-admin-comparison.htm);
 * custom roles grant it through the listed permissions. Role targets and resource sets (which
 * users/groups/apps a scoped admin may touch) are not modelled: a qualifying role counts org-wide.
 */
import type { Caller } from './auth.js';
import { OKTA_ERRORS } from './errors.js';
import { userActor } from './events.js';
import type { LogActor, SimOrgState, SimRoleAssignment, StandardRoleType } from './model.js';
import type { Mutator, SimChange } from './mutate.js';
import { SimChangeError } from './mutate.js';
import { roleAssignmentsOf } from './queries.js';
import { HttpError, type Reply } from './reply.js';

/** What a write needs beyond its scope. */
export type WritePermission = 'users.lifecycle' | 'users.sessions' | 'users.factors' | 'groups.members' | 'apps.assignments' | 'roles';

export const WRITE_PERMISSIONS: Record<WritePermission, { roles: readonly StandardRoleType[]; customPermissions: readonly string[] }> = {
  // "Deactivate / suspend / activate / delete users": Super, Org and Group admins.
  'users.lifecycle': { roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN'], customPermissions: ['okta.users.manage', 'okta.users.lifecycle.manage'] },
  // "Clear user sessions": also Help Desk admins.
  'users.sessions': { roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'HELP_DESK_ADMIN'], customPermissions: ['okta.users.manage', 'okta.users.lifecycle.clearSessions'] },
  // "Password resets, MFA resets": also Help Desk admins.
  'users.factors': { roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'HELP_DESK_ADMIN'], customPermissions: ['okta.users.manage', 'okta.users.credentials.manage', 'okta.users.credentials.resetFactors'] },
  // Group membership: Group admins and Group Membership admins.
  'groups.members': { roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'USER_ADMIN', 'GROUP_MEMBERSHIP_ADMIN'], customPermissions: ['okta.groups.manage', 'okta.groups.members.manage'] },
  // App assignments: App admins.
  'apps.assignments': { roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN'], customPermissions: ['okta.apps.manage', 'okta.apps.assignment.manage'] },
  // "Add, remove, and view administrators": Super admins only.
  roles: { roles: ['SUPER_ADMIN'], customPermissions: [] },
};

export interface WriteDeps {
  org: SimOrgState;
  mutator: Mutator;
  requireScope(caller: Caller, scope: string, resource: string): void;
}

const noContent = (): Reply => ({ status: 204, body: undefined });
const ok = (): Reply => ({ status: 200, body: undefined });
const notFound = (what: string): HttpError => new HttpError({ status: 404, body: OKTA_ERRORS.notFound(what) });
const invalid = (why: string): HttpError => new HttpError({ status: 400, body: OKTA_ERRORS.validation(why) });

/** Admin role assignments that apply to a user: their own and their groups'. */
function userRoles(org: SimOrgState, userId: string): SimRoleAssignment[] {
  const out = roleAssignmentsOf(org, 'user', userId);
  for (const groupId of org.userGroups.get(userId) ?? []) out.push(...roleAssignmentsOf(org, 'group', groupId));
  return out;
}

function callerRoles(org: SimOrgState, caller: Caller): SimRoleAssignment[] | null {
  if (caller.kind === 'oauth') return caller.clientId ? roleAssignmentsOf(org, 'app', caller.clientId) : [];
  return caller.ownerId === null ? null : userRoles(org, caller.ownerId);
}

function permits(org: SimOrgState, roles: SimRoleAssignment[], permission: WritePermission): boolean {
  const rule = WRITE_PERMISSIONS[permission];
  return roles.some((r) => {
    if (r.type !== 'CUSTOM') return rule.roles.includes(r.type);
    const custom = r.customRoleId ? org.customRoles.get(r.customRoleId) : undefined;
    return !!custom && custom.permissions.some((p) => rule.customPermissions.includes(p));
  });
}

function actorOf(org: SimOrgState, caller: Caller): LogActor | undefined {
  if (caller.kind === 'ssws') {
    const owner = caller.ownerId ? org.users.get(caller.ownerId) : undefined;
    return owner ? userActor(owner) : undefined;
  }
  const app = [...org.apps.values()].find((a) => a.clientId === caller.clientId);
  return { id: caller.clientId ?? 'unknown', type: 'PublicClientApp', alternateId: caller.clientId ?? 'unknown', displayName: app?.label ?? 'Service app', detailEntry: null };
}

interface Route {
  method: 'POST' | 'DELETE';
  pattern: RegExp;
  scope: string;
  permission: WritePermission;
  run(deps: WriteDeps, m: string[], apply: (change: SimChange) => void): Reply;
}

const ID = '([^/]+)';

function user(org: SimOrgState, id: string) {
  const u = org.users.get(id);
  if (!u) throw notFound(`${id} (User)`);
  return u;
}

/**
 * A write on one user: 404 for an unknown user; the change itself refuses (400, with Okta's reason)
 * a transition Okta does not allow from the user's status (see Mutator: deactivate only a user
 * not DEPROVISIONED, suspend only ACTIVE, unsuspend only SUSPENDED).
 */
function userWrite(method: Route['method'], path: string, permission: WritePermission, change: (userId: string) => SimChange, reply: () => Reply): Route {
  return {
    method, pattern: new RegExp(`^/api/v1/users/${ID}/${path}$`), scope: 'okta.users.manage', permission,
    run: ({ org }, [id], apply) => {
      apply(change(user(org, id!).id));
      return reply();
    },
  };
}

/** DELETE of an app's assignment (a user's or a group's): 404 unless the app has it. */
function appAssignmentWrite(kind: 'users' | 'groups'): Route {
  return {
    method: 'DELETE', pattern: new RegExp(`^/api/v1/apps/${ID}/${kind}/${ID}$`), scope: 'okta.apps.manage', permission: 'apps.assignments',
    run: ({ org }, [appId, id], apply) => {
      if (!org.apps.has(appId!)) throw notFound(`${appId} (AppInstance)`);
      const assigned = kind === 'users' ? org.appUserAssignments.get(appId!)?.has(id!) : org.appGroupAssignments.get(appId!)?.has(id!);
      if (!assigned) throw notFound(`${id} (${kind === 'users' ? 'AppUser' : 'ApplicationGroupAssignment'})`);
      apply(kind === 'users' ? { type: 'app.user.unassign', appId: appId!, userId: id! } : { type: 'app.group.unassign', appId: appId!, groupId: id! });
      return noContent();
    },
  };
}

const ROUTES: Route[] = [
  userWrite('POST', 'lifecycle/deactivate', 'users.lifecycle', (userId) => ({ type: 'user.deactivate', userId }), ok),
  userWrite('POST', 'lifecycle/suspend', 'users.lifecycle', (userId) => ({ type: 'user.suspend', userId }), ok),
  userWrite('POST', 'lifecycle/unsuspend', 'users.lifecycle', (userId) => ({ type: 'user.unsuspend', userId }), ok),
  userWrite('POST', 'lifecycle/reset_factors', 'users.factors', (userId) => ({ type: 'factor.reset_all', userId }), ok),
  userWrite('DELETE', 'sessions', 'users.sessions', (userId) => ({ type: 'user.sessions.clear', userId }), noContent),
  {
    method: 'DELETE', pattern: new RegExp(`^/api/v1/users/${ID}$`), scope: 'okta.users.manage', permission: 'users.lifecycle',
    run: ({ org }, [id], apply) => {
      const u = user(org, id!);
      // "This operation on a user that hasn't been deactivated causes that user to be deactivated."
      apply(u.status === 'DEPROVISIONED' ? { type: 'user.delete', userId: u.id } : { type: 'user.deactivate', userId: u.id });
      return noContent();
    },
  },
  {
    method: 'DELETE', pattern: new RegExp(`^/api/v1/groups/${ID}/users/${ID}$`), scope: 'okta.groups.manage', permission: 'groups.members',
    run: ({ org }, [groupId, userId], apply) => {
      const g = org.groups.get(groupId!);
      if (!g) throw notFound(`${groupId} (UserGroup)`);
      const u = user(org, userId!);
      if (g.type !== 'OKTA_GROUP') {
        throw invalid(`group ${g.id} is ${g.type}: only OKTA_GROUP memberships can be changed; APP_GROUP memberships come from the app's imports`);
      }
      // Removing a non-member changes nothing; DELETE stays idempotent and no event is logged.
      if (org.groupMembers.get(g.id)?.has(u.id)) apply({ type: 'group.member.remove', groupId: g.id, userId: u.id });
      return noContent();
    },
  },
  appAssignmentWrite('users'),
  appAssignmentWrite('groups'),
  {
    method: 'DELETE', pattern: new RegExp(`^/api/v1/(users|groups)/${ID}/roles/${ID}$`), scope: 'okta.roles.manage', permission: 'roles',
    run: ({ org }, [kind, principalId, assignmentId], apply) => {
      const a = org.roleAssignments.get(assignmentId!);
      const principalKind = kind === 'users' ? 'user' : 'group';
      if (!a || a.principalKind !== principalKind || a.principalId !== principalId) throw notFound(`${assignmentId} (RoleAssignment)`);
      apply({ type: 'role.revoke', assignmentId: a.id });
      return noContent();
    },
  },
  {
    method: 'DELETE', pattern: new RegExp(`^/oauth2/v1/clients/${ID}/roles/${ID}$`), scope: 'okta.roles.manage', permission: 'roles',
    run: ({ org }, [clientId, assignmentId]) => {
      const a = org.roleAssignments.get(assignmentId!);
      if (!a || a.principalKind !== 'app' || a.principalId !== clientId) throw notFound(`${assignmentId} (RoleAssignment)`);
      org.roleAssignments.delete(a.id);
      org.version++;
      return noContent();
    },
  },
];

/** The write route for a request, or null when none matches (the caller answers 404/405). */
export function findWriteRoute(method: string, pathname: string): { route: Route; params: string[] } | null {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(pathname);
    if (m) return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return null;
}

/** Methods a path accepts besides GET, for the Allow header of a 405. */
export function writeMethodsFor(pathname: string): string[] {
  return [...new Set(ROUTES.filter((r) => r.pattern.test(pathname)).map((r) => r.method))];
}

/** Runs a matched write: scope, then admin role, then the change and its System Log event. */
export function routeWrite(deps: WriteDeps, found: { route: Route; params: string[] }, pathname: string, caller: Caller): Reply {
  const { route, params } = found;
  deps.requireScope(caller, route.scope, pathname);
  const roles = callerRoles(deps.org, caller);
  if (roles !== null && !permits(deps.org, roles, route.permission)) throw new HttpError({ status: 403, body: OKTA_ERRORS.forbidden() });
  const actor = actorOf(deps.org, caller);
  return route.run(deps, params, (change) => {
    try {
      deps.mutator.apply(change, actor);
    } catch (err) {
      if (err instanceof SimChangeError) throw invalid(err.message);
      throw err;
    }
  });
}
