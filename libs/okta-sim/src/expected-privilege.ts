/**
 * The privilege oracle: who holds each admin role, which control edges exist and how far every
 * principal is from Tier Zero in this simulated org, computed directly and naively from the
 * in-memory model (every edge listed, breadth-first search over the list). It shares no code with
 * @idgraph/privilege, which computes the same from the collected graph with compact arrays, so a
 * test comparing the two catches mistakes on either side.
 *
 * The model (README, "Effective privilege", is the reference for both):
 * - holders: a role assignment to a user (via []), to a group (every member, via [group]), to a
 *   service app (the app, via []).
 * - edges: MemberOf user→group; HasRole principal→role; ApiTokenFor token→owner; ResetPassword,
 *   ResetFactors principal→user; AddMember principal→group (OKTA_GROUP); ManageApp,
 *   ReadClientSecret principal→app; AddedByRule group→group (members of a group the rule's
 *   expression names) or rule→group (rules naming no group). Control edges come from a role
 *   assignment's principal and stay within the assignment's scope (targets, resource set).
 * - Okta's barrier: only SUPER_ADMIN acts on a user, group or app that holds an admin role (a user
 *   also through a group), except ReadClientSecret. SUPER_ADMIN's own control edges are implied and
 *   not listed (its holders are Tier Zero).
 */
import type { SimApp, SimOrgState, SimRoleAssignment } from './model.js';

export interface ExpectedHolder {
  principal: string;
  role: string;
  resourceSet: string | null;
  via: string[];
}

export interface ExpectedEdge {
  from: string;
  kind: string;
  to: string;
}

export interface ExpectedPrivilege {
  /** Sorted by role, resource set, principal, via. */
  holders: ExpectedHolder[];
  /** Every edge, keyed `from|kind|to`. */
  edges: Set<string>;
  /** Shortest number of steps from every node that reaches one of the target roles (`role:ID`). */
  distances(targets: readonly string[]): Map<string, number>;
}

export const TIER_ZERO_ROLES = ['SUPER_ADMIN', 'ORG_ADMIN'] as const;

const USER_CAPS = ['ResetPassword', 'ResetFactors'] as const;

/** Standard roles: what each may do, and over what (users / groups / apps). */
const STANDARD: Record<string, { users?: boolean; groups?: boolean; manageApps?: 'all' | 'oauth'; readSecrets?: 'all' | 'oauth' }> = {
  ORG_ADMIN: { users: true, groups: true },
  USER_ADMIN: { users: true, groups: true },
  HELP_DESK_ADMIN: { users: true },
  GROUP_MEMBERSHIP_ADMIN: { groups: true },
  APP_ADMIN: { manageApps: 'all', readSecrets: 'all' },
  API_ACCESS_MANAGEMENT_ADMIN: { manageApps: 'oauth', readSecrets: 'oauth' },
  READ_ONLY_ADMIN: { readSecrets: 'all' },
};

const CUSTOM: Record<string, readonly string[]> = {
  ResetPassword: ['okta.users.credentials.resetPassword', 'okta.users.credentials.manage', 'okta.users.manage'],
  ResetFactors: ['okta.users.credentials.resetFactors', 'okta.users.credentials.manage', 'okta.users.manage'],
  AddMember: ['okta.groups.members.manage', 'okta.groups.manage'],
  ManageApp: ['okta.apps.manage'],
  ReadClientSecret: ['okta.apps.clientCredentials.read'],
};

function principalOf(org: SimOrgState, a: SimRoleAssignment): string {
  if (a.principalKind !== 'app') return `${a.principalKind}:${a.principalId}`;
  const app = [...org.apps.values()].find((x) => x.clientId === a.principalId || x.id === a.principalId);
  return `app:${app?.id ?? a.principalId}`;
}

const roleOf = (a: SimRoleAssignment): string => (a.type === 'CUSTOM' ? (a.customRoleId as string) : a.type);

export function expectedPrivilege(org: SimOrgState): ExpectedPrivilege {
  const assignments = [...org.roleAssignments.values()].filter((a) =>
    a.principalKind === 'user' ? org.users.has(a.principalId) : a.principalKind === 'group' ? org.groups.has(a.principalId) : true);

  // Holders.
  const holders: ExpectedHolder[] = [];
  for (const a of assignments) {
    const role = roleOf(a);
    const resourceSet = a.type === 'CUSTOM' ? a.resourceSetId : null;
    if (a.principalKind === 'group') {
      for (const userId of org.groupMembers.get(a.principalId) ?? []) holders.push({ principal: `user:${userId}`, role, resourceSet, via: [`group:${a.principalId}`] });
    } else {
      holders.push({ principal: principalOf(org, a), role, resourceSet, via: [] });
    }
  }
  const key = (h: ExpectedHolder): string => `${h.role}\u0000${h.resourceSet ?? ''}\u0000${h.principal}\u0000${h.via.join(',')}`;
  holders.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));

  // Who is protected by the barrier.
  const adminPrincipals = new Set(assignments.map((a) => principalOf(org, a)));
  const protectedUser = (userId: string): boolean =>
    adminPrincipals.has(`user:${userId}`) || [...(org.userGroups.get(userId) ?? [])].some((g) => adminPrincipals.has(`group:${g}`));

  const edges = new Set<string>();
  const add = (from: string, kind: string, to: string): void => void edges.add(`${from}|${kind}|${to}`);
  for (const [userId, groups] of org.userGroups) for (const g of groups) add(`user:${userId}`, 'MemberOf', `group:${g}`);
  for (const a of assignments) add(principalOf(org, a), 'HasRole', `role:${roleOf(a)}`);
  for (const t of org.apiTokens.values()) add(`api_token:${t.id}`, 'ApiTokenFor', `user:${t.userId}`);

  const allUsers = [...org.users.keys()];
  const allGroups = [...org.groups.values()];
  const allApps = [...org.apps.values()];
  const hasSecret = (app: SimApp): boolean => app.clientSecrets.some((c) => c.status === 'ACTIVE');
  const appAdmin = (app: SimApp): boolean => adminPrincipals.has(`app:${app.id}`);

  for (const a of assignments) {
    if (a.type === 'SUPER_ADMIN') continue;
    const from = principalOf(org, a);
    // Scope: users, groups and apps the assignment covers.
    let users: string[] = [];
    let groups: string[] = [];
    let apps: SimApp[] = [];
    const caps = new Set<string>();
    if (a.type === 'CUSTOM') {
      const role = org.customRoles.get(a.customRoleId as string);
      const set = org.resourceSets.get(a.resourceSetId as string);
      if (!role || !set) continue;
      for (const [cap, perms] of Object.entries(CUSTOM)) if (role.permissions.some((p) => perms.includes(p))) caps.add(cap);
      const u = new Set<string>();
      const g = new Set<string>();
      const ap = new Set<SimApp>();
      for (const r of set.resources) {
        const ref = r.ref;
        if (ref.kind === 'allUsers') allUsers.forEach((x) => u.add(x));
        else if (ref.kind === 'user') u.add(ref.userId);
        else if (ref.kind === 'groupMembers') (org.groupMembers.get(ref.groupId) ?? new Set()).forEach((x) => u.add(x));
        else if (ref.kind === 'allGroups') allGroups.forEach((x) => g.add(x.id));
        else if (ref.kind === 'group') g.add(ref.groupId);
        else if (ref.kind === 'allApps') allApps.forEach((x) => ap.add(x));
        else if (ref.kind === 'appType') allApps.filter((x) => x.name === ref.appName).forEach((x) => ap.add(x));
        else if (ref.kind === 'app') allApps.filter((x) => x.id === ref.appId).forEach((x) => ap.add(x));
      }
      users = [...u];
      groups = [...g];
      apps = [...ap];
    } else {
      const std = STANDARD[a.type];
      if (!std) continue;
      const targetGroups = a.groupTargets.length > 0 ? a.groupTargets : null;
      if (std.users) {
        USER_CAPS.forEach((c) => caps.add(c));
        users = targetGroups ? [...new Set(targetGroups.flatMap((g) => [...(org.groupMembers.get(g) ?? [])]))] : allUsers;
      }
      if (std.groups) {
        caps.add('AddMember');
        groups = targetGroups ?? allGroups.map((g) => g.id);
      }
      if (std.manageApps || std.readSecrets) {
        const inTargets = (app: SimApp): boolean => a.appTargets.length === 0 || a.appTargets.some((t) => (t.appId ? t.appId === app.id : t.name === app.name));
        apps = allApps.filter(inTargets);
        if (std.manageApps) caps.add(std.manageApps === 'oauth' ? 'ManageApp:oauth' : 'ManageApp');
        if (std.readSecrets) caps.add(std.readSecrets === 'oauth' ? 'ReadClientSecret:oauth' : 'ReadClientSecret');
      }
    }
    for (const cap of caps) {
      const [kind, only] = cap.split(':') as [string, string | undefined];
      if (kind === 'ResetPassword' || kind === 'ResetFactors') {
        for (const u of users) if (org.users.has(u) && !protectedUser(u)) add(from, kind, `user:${u}`);
      } else if (kind === 'AddMember') {
        for (const gid of groups) {
          const g = org.groups.get(gid);
          if (g && g.type === 'OKTA_GROUP' && !adminPrincipals.has(`group:${gid}`)) add(from, kind, `group:${gid}`);
        }
      } else {
        for (const app of apps) {
          if (only === 'oauth' && !app.clientId) continue;
          if (kind === 'ManageApp' && !appAdmin(app)) add(from, kind, `app:${app.id}`);
          if (kind === 'ReadClientSecret' && hasSecret(app)) add(from, kind, `app:${app.id}`);
        }
      }
    }
  }

  for (const rule of org.groupRules.values()) {
    if (rule.status !== 'ACTIVE') continue;
    const named = new Set<string>();
    for (const m of rule.expression.matchAll(/isMemberOf(?:Any)?Group\(([^)]*)\)/g)) {
      for (const id of (m[1] ?? '').matchAll(/"([^"]+)"/g)) if (org.groups.has(id[1] as string)) named.add(id[1] as string);
    }
    for (const m of rule.expression.matchAll(/isMemberOfGroupName\("([^"]+)"\)/g)) {
      for (const g of allGroups) if (g.name === m[1]) named.add(g.id);
    }
    for (const target of rule.targetGroupIds) {
      if (!org.groups.has(target)) continue;
      if (named.size === 0) add(`group_rule:${rule.id}`, 'AddedByRule', `group:${target}`);
      for (const g of named) add(`group:${g}`, 'AddedByRule', `group:${target}`);
    }
  }

  const distances = (targets: readonly string[]): Map<string, number> => {
    const reverse = new Map<string, string[]>();
    for (const e of edges) {
      const [from, , to] = e.split('|') as [string, string, string];
      const list = reverse.get(to);
      if (list) list.push(from);
      else reverse.set(to, [from]);
    }
    const dist = new Map<string, number>();
    let frontier = targets.map((t) => `role:${t}`);
    for (const t of frontier) dist.set(t, 0);
    for (let d = 1; frontier.length > 0; d++) {
      const next: string[] = [];
      for (const node of frontier) {
        for (const from of reverse.get(node) ?? []) {
          if (dist.has(from)) continue;
          dist.set(from, d);
          next.push(from);
        }
      }
      frontier = next;
    }
    for (const t of targets) dist.delete(`role:${t}`);
    return dist;
  };

  return { holders, edges, distances };
}
