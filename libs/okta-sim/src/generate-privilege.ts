/**
 * The parts of the org that decide effective privilege beyond role assignments: OAuth client
 * credentials of OIDC apps, role targets, API tokens and group rules — and, when the posture cases
 * are planted, one of each kind of path to Tier Zero and each case of Okta's barrier (README,
 * "Effective privilege"). Runs after the rest of the org is generated, with its own random stream.
 */
import type { Grant, PlantedPosture } from './generate.js';
import { GROUP_TARGET_ROLES, type SimApp, type SimGroup, type SimOrgState, type SimResourceSetResource, type SimRoleAssignment, type SimUser } from './model.js';
import type { IdFactory, Rng } from './rng.js';
import { grantCustom } from './generate.js';
import { sortedIds } from './queries.js';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/** Ids of the planted privilege cases (see PlantedPosture.privilege). */
export interface PlantedPrivilege {
  /** Path through a group: every member of the posture plant's large admin group holds ORG_ADMIN. */
  viaGroup: { groupId: string; role: 'ORG_ADMIN' };
  /** An APP_ADMIN (targeted at the app) who can read the client secret of the SUPER_ADMIN service app. */
  appAdminReadsSecret: { userId: string; appId: string };
  /** A custom role with okta.apps.clientCredentials.read on a resource set holding a service app that holds ORG_ADMIN. */
  customRoleReadsSecret: { userId: string; roleId: string; resourceSetId: string; appId: string };
  /** An API token of a SUPER_ADMIN. */
  adminToken: { tokenId: string; ownerId: string };
  /**
   * An ACTIVE group rule adding the members of `conditionGroupId` to `targetGroupId`, which holds
   * ORG_ADMIN; `memberAdminId` holds GROUP_MEMBERSHIP_ADMIN targeted at the condition group.
   */
  ruleIntoAdminGroup: { ruleId: string; conditionGroupId: string; targetGroupId: string; memberAdminId: string };
  /** A role held only through a group of more than 25 members. */
  roleOnlyViaLargeGroup: { role: 'API_ACCESS_MANAGEMENT_ADMIN'; groupId: string };
  /** Okta's barrier: only SUPER_ADMIN acts on principals that hold an admin role. */
  barrier: {
    /** A HELP_DESK_ADMIN targeted at a group that also holds a SUPER_ADMIN user: no reset of that user. */
    helpDesk: { userId: string; groupId: string; protectedUserId: string };
    /** The membership admin above is also targeted at the admin group: no AddMember on it. */
    memberAdminOnAdminGroup: { userId: string; groupId: string };
    /** The app admin above may read the privileged app's secret but not manage the app. */
    appAdminOnPrivilegedApp: { userId: string; appId: string };
  };
}

export function generatePrivilege(
  org: SimOrgState, ids: IdFactory, rng: Rng, nowMs: number, grant: Grant,
  addMember: (userId: string, groupId: string) => void, planted: PlantedPosture | null,
): void {
  const users = sortedIds(org.users.keys()).map((id) => org.users.get(id) as SimUser);
  const roleHolders = new Set([...org.roleAssignments.values()].map((r) => `${r.principalKind}:${r.principalId}`));
  const holdsNoRole = (g: SimGroup): boolean => !roleHolders.has(`group:${g.id}`);
  const plainGroups = (): SimGroup[] => sortedIds(org.groups.keys()).map((id) => org.groups.get(id) as SimGroup).filter((g) => g.type === 'OKTA_GROUP' && holdsNoRole(g));

  // OAuth client credentials: web OIDC apps authenticate with a client secret (sometimes an old
  // INACTIVE one is still there); the first service app with a key (private_key_jwt), the second
  // (the posture plant's SUPER_ADMIN app) with a client secret.
  const serviceApps = [...org.apps.values()].filter((a) => a.isServiceApp);
  for (const app of org.apps.values()) {
    if (app.signOnMode !== 'OPENID_CONNECT') continue;
    const at = iso(Math.max(Date.parse(app.created), nowMs - rng.int(300) * DAY));
    if (app.isServiceApp && app === serviceApps[0]) addJwk(ids, rng, app, at);
    else {
      if (!app.isServiceApp && rng.chance(0.3)) app.clientSecrets.push({ id: ids.next('ocs'), status: 'INACTIVE', created: app.created, lastUpdated: at });
      app.clientSecrets.push({ id: ids.next('ocs'), status: 'ACTIVE', created: at, lastUpdated: at });
    }
  }

  // Role targets: about half of the users' scopable role assignments are limited to a few groups or apps.
  const targetGroups = plainGroups();
  const catalog = [...org.apps.values()].filter((a) => !a.isServiceApp);
  for (const r of [...org.roleAssignments.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (r.principalKind !== 'user' || !rng.chance(0.5)) continue;
    if (GROUP_TARGET_ROLES.includes(r.type as never) && targetGroups.length > 0) {
      const n = 1 + rng.int(2);
      for (let i = 0; i < n; i++) {
        const g = rng.pick(targetGroups);
        if (!r.groupTargets.includes(g.id)) r.groupTargets.push(g.id);
      }
    } else if (r.type === 'APP_ADMIN' && catalog.length > 0) {
      const a = rng.pick(catalog);
      r.appTargets.push(rng.chance(0.5) ? { name: a.name, appId: a.id } : { name: a.name, appId: null });
    }
  }

  // API tokens of a few admins (not of super admins: those are the planted case).
  const tokenOwners = [...new Set(
    [...org.roleAssignments.values()]
      .filter((r) => r.principalKind === 'user' && r.type !== 'SUPER_ADMIN' && org.users.get(r.principalId)?.status === 'ACTIVE')
      .map((r) => r.principalId),
  )].sort().slice(0, 3);
  for (const ownerId of tokenOwners) addApiToken(org, ids, ownerId, 'Automation', nowMs - (30 + rng.int(300)) * DAY, nowMs - rng.int(20) * DAY);

  // Group rules: one ACTIVE rule on a profile attribute, one INACTIVE rule on a group membership.
  const ruleGroups = plainGroups();
  if (ruleGroups.length >= 2) {
    const [a, b] = [ruleGroups[ruleGroups.length - 1] as SimGroup, ruleGroups[ruleGroups.length - 2] as SimGroup];
    addRule(org, ids, { name: 'Engineering by department', status: 'ACTIVE', expression: 'user.department=="Engineering"', targetGroupIds: [a.id] }, nowMs - 250 * DAY);
    addRule(org, ids, { name: 'Legacy nesting', status: 'INACTIVE', expression: `isMemberOfAnyGroup("${a.id}")`, targetGroupIds: [b.id] }, nowMs - 240 * DAY);
  }

  if (planted) planted.privilege = plantPrivilege(org, ids, rng, nowMs, grant, addMember, planted, users, roleHolders);
}

function plantPrivilege(
  org: SimOrgState, ids: IdFactory, rng: Rng, nowMs: number, grant: Grant,
  addMember: (userId: string, groupId: string) => void, planted: PlantedPosture, users: SimUser[], roleHolders: Set<string>,
): PlantedPrivilege {
  // Users that hold no admin role, directly or through a group, taken from the back of the list
  // (the posture plants take theirs from the front).
  const used = new Set<string>();
  const isPlain = (u: SimUser): boolean =>
    u.status === 'ACTIVE' && !used.has(u.id) && !roleHolders.has(`user:${u.id}`)
    && ![...(org.userGroups.get(u.id) ?? [])].some((g) => roleHolders.has(`group:${g}`));
  const take = (): SimUser => {
    for (let i = users.length - 1; i >= 0; i--) {
      const u = users[i] as SimUser;
      if (isPlain(u)) {
        used.add(u.id);
        return u;
      }
    }
    // Small orgs (most users admins through the large admin group): a new plain user.
    const u = newUser(org, ids, nowMs, used.size);
    used.add(u.id);
    return u;
  };
  const newGroup = (name: string, description: string): SimGroup => {
    const at = iso(nowMs - 100 * DAY);
    const g: SimGroup = { id: ids.next('00g'), type: 'OKTA_GROUP', created: at, lastUpdated: at, lastMembershipUpdated: at, name, description, sourceAppId: null };
    org.groups.set(g.id, g);
    org.groupMembers.set(g.id, new Set());
    return g;
  };
  const newServiceApp = (label: string): SimApp => {
    const id = ids.next('0oa');
    const at = iso(nowMs - 180 * DAY);
    const app: SimApp = {
      id, name: 'oidc_client', label, status: 'ACTIVE', signOnMode: 'OPENID_CONNECT', created: at, lastUpdated: at,
      isServiceApp: true, clientId: id, clientSecrets: [{ id: ids.next('ocs'), status: 'ACTIVE', created: at, lastUpdated: at }], jwks: [],
    };
    org.apps.set(id, app);
    org.appUserAssignments.set(id, new Map());
    org.appGroupAssignments.set(id, new Map());
    return app;
  };

  // An app admin scoped to the SUPER_ADMIN service app (whose secret exists) and to every Slack app.
  const superApp = org.apps.get(planted.superAdminServiceApp) as SimApp;
  const appAdmin = take();
  const appAdminRole = grant('user', appAdmin.id, 'APP_ADMIN', nowMs - 60 * DAY);
  appAdminRole.appTargets.push({ name: superApp.name, appId: superApp.id }, { name: 'slack', appId: null });

  // A custom role reading OAuth client secrets, bound to a resource set holding a service app with ORG_ADMIN.
  const syncApp = newServiceApp('Directory Sync');
  grant('app', syncApp.id, 'ORG_ADMIN', Date.parse(syncApp.created));
  const setAt = iso(nowMs - 80 * DAY);
  const auditorRole = { id: ids.next('cr0'), label: 'OAuth Auditor', description: 'Reviews OAuth clients', permissions: ['okta.apps.read', 'okta.apps.clientCredentials.read'], created: setAt, lastUpdated: setAt };
  org.customRoles.set(auditorRole.id, auditorRole);
  const resource = (ref: SimResourceSetResource['ref']): SimResourceSetResource => ({ id: ids.next('ire'), ref, created: setAt, lastUpdated: setAt });
  const integrations = {
    id: ids.next('iam'), label: 'Integrations', description: 'OAuth integrations', created: setAt, lastUpdated: setAt,
    resources: [resource({ kind: 'app', appName: syncApp.name, appId: syncApp.id }), resource({ kind: 'appType', appName: 'salesforce' })],
  };
  org.resourceSets.set(integrations.id, integrations);
  const auditor = take();
  grantCustom(org, ids, 'user', auditor.id, auditorRole.id, auditorRole.label, integrations.id, setAt);

  // An API token of a super admin.
  const tokenOwner = planted.superAdmins[1] as string;
  const token = addApiToken(org, ids, tokenOwner, 'Terraform', nowMs - 45 * DAY, nowMs - 2 * DAY);

  // A group rule into an admin group, fed by a group a membership admin may add people to. The
  // rule already did its work: the condition group's members are members of the admin group.
  const source = newGroup('Contractors EU', 'People the platform rule picks up');
  const adminGroup = newGroup('Platform admins', 'Filled by the "Platform admins" rule');
  for (let i = 0; i < 3; i++) {
    const u = take();
    addMember(u.id, source.id);
    addMember(u.id, adminGroup.id);
  }
  grant('group', adminGroup.id, 'ORG_ADMIN', nowMs - 90 * DAY);
  const rule = addRule(org, ids, { name: 'Platform admins', status: 'ACTIVE', expression: `isMemberOfAnyGroup("${source.id}")`, targetGroupIds: [adminGroup.id] }, nowMs - 95 * DAY);
  const memberAdmin = take();
  const memberAdminRole = grant('user', memberAdmin.id, 'GROUP_MEMBERSHIP_ADMIN', nowMs - 70 * DAY);
  memberAdminRole.groupTargets.push(source.id, adminGroup.id);

  // A role held only through a group of more than 25 members.
  const largeGroup = planted.largeAdminGroup.groupId;
  grant('group', largeGroup, 'API_ACCESS_MANAGEMENT_ADMIN', nowMs - 140 * DAY);

  // A help desk admin scoped to a group that also holds a super admin.
  const scope = newGroup('Help desk scope', 'Users the EU help desk supports');
  for (let i = 0; i < 3; i++) addMember(take().id, scope.id);
  const protectedUser = planted.superAdmins[2] as string;
  addMember(protectedUser, scope.id);
  const helpDesk = take();
  const helpDeskRole: SimRoleAssignment = grant('user', helpDesk.id, 'HELP_DESK_ADMIN', nowMs - 50 * DAY);
  helpDeskRole.groupTargets.push(scope.id);

  return {
    viaGroup: { groupId: largeGroup, role: 'ORG_ADMIN' },
    appAdminReadsSecret: { userId: appAdmin.id, appId: superApp.id },
    customRoleReadsSecret: { userId: auditor.id, roleId: auditorRole.id, resourceSetId: integrations.id, appId: syncApp.id },
    adminToken: { tokenId: token, ownerId: tokenOwner },
    ruleIntoAdminGroup: { ruleId: rule, conditionGroupId: source.id, targetGroupId: adminGroup.id, memberAdminId: memberAdmin.id },
    roleOnlyViaLargeGroup: { role: 'API_ACCESS_MANAGEMENT_ADMIN', groupId: largeGroup },
    barrier: {
      helpDesk: { userId: helpDesk.id, groupId: scope.id, protectedUserId: protectedUser },
      memberAdminOnAdminGroup: { userId: memberAdmin.id, groupId: adminGroup.id },
      appAdminOnPrivilegedApp: { userId: appAdmin.id, appId: superApp.id },
    },
  };
}

function newUser(org: SimOrgState, ids: IdFactory, nowMs: number, n: number): SimUser {
  const at = iso(nowMs - 120 * DAY);
  const login = `plant.user${n}@${org.subdomain}.example.com`;
  const u: SimUser = {
    id: ids.next('00u'), status: 'ACTIVE', created: at, activated: at, statusChanged: at, lastLogin: iso(nowMs - 2 * DAY), lastUpdated: at,
    passwordChanged: at,
    profile: { firstName: 'Plant', lastName: `User${n}`, email: login, login, mobilePhone: null, secondEmail: null, department: 'IT', title: null },
    credentialProvider: { type: 'OKTA', name: 'OKTA' }, typeId: (org.users.values().next().value as SimUser).typeId,
  };
  org.users.set(u.id, u);
  org.userGroups.set(u.id, new Set([org.everyoneGroupId]));
  org.groupMembers.get(org.everyoneGroupId)?.add(u.id);
  return u;
}

function addJwk(ids: IdFactory, rng: Rng, app: SimApp, at: string): void {
  app.jwks.push({ id: ids.next('pks'), kid: rng.token(40), status: 'ACTIVE', created: at, lastUpdated: at });
}

/** Adds API token metadata; returns the token id. */
export function addApiToken(org: SimOrgState, ids: IdFactory, userId: string, name: string, createdMs: number, lastUsedMs: number): string {
  const id = ids.next('00T');
  const created = iso(createdMs);
  const used = iso(Math.max(createdMs, lastUsedMs));
  org.apiTokens.set(id, {
    id, name, userId, clientName: 'Okta API', created, lastUpdated: used,
    // Tokens expire after 30 days without use (the default token window).
    expiresAt: iso(Date.parse(used) + 30 * DAY), tokenWindow: 'P30D',
  });
  return id;
}

function addRule(
  org: SimOrgState, ids: IdFactory,
  r: { name: string; status: 'ACTIVE' | 'INACTIVE'; expression: string; targetGroupIds: string[] }, atMs: number,
): string {
  const id = ids.next('0pr');
  org.groupRules.set(id, { id, ...r, created: iso(atMs), lastUpdated: iso(atMs), excludedUserIds: [] });
  return id;
}
