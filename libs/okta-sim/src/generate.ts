/**
 * Deterministic synthetic org: a pure function of (seed, sizes, now). Sizes and distributions
 * resemble a real workforce org: mostly ACTIVE users with every other status present, power-law
 * group sizes, the BUILT_IN Everyone group, OKTA_GROUP and APP_GROUP, apps of several sign-on modes,
 * factors of every common type, standard + custom roles (some granted to groups), and ~2 System Log
 * events per user (cap 20k).
 */
import { IdFactory, Rng } from './rng.js';
import { LogEventFactory, SYSTEM_ACTOR, target, userActor } from './events.js';
import type {
  FactorStatus, FactorType, OktaLogEvent, SignOnMode, SimApp, SimAppGroupAssignment, SimAppUserAssignment, SimFactor, SimGroup,
  SimOrgState, SimResourceSetResource, SimRoleAssignment, SimUser, StandardRoleType, UserStatus,
} from './model.js';
import { generatePrivilege, type PlantedPrivilege } from './generate-privilege.js';
import { STANDARD_ROLE_LABELS } from './model.js';
import { sortedIds } from './queries.js';

export interface GenerateOptions {
  seed: number;
  users: number;
  groups: number;
  apps: number;
  membershipsPerUser: number;
  now: Date;
  logDays: number;
  plantPosture: boolean;
  subdomain: string;
}

/** The fixed posture cases planted into the org (ids of their subjects). */
export interface PlantedPosture {
  /** ACTIVE user holding SUPER_ADMIN whose only factor is sms. */
  smsOnlySuperAdmin: string;
  /** Every user holding SUPER_ADMIN directly (6: over a threshold of 4). Includes smsOnlySuperAdmin. */
  superAdmins: string[];
  /** An OKTA_GROUP with more than 25 members that holds ORG_ADMIN. */
  largeAdminGroup: { groupId: string; role: StandardRoleType; members: number };
  /** Service app (its client id = app id) holding SUPER_ADMIN. */
  superAdminServiceApp: string;
  /** DEPROVISIONED user still directly (scope USER) assigned to an ACTIVE app. */
  deprovisionedWithApp: { userId: string; appId: string };
  /** ACTIVE ORG_ADMIN whose last sign-in was 60 days ago. */
  dormantAdmin: { userId: string; lastLogin: string };
  /** LOCKED_OUT users (at least 2). */
  lockedOutUsers: string[];
  /** ACTIVE app assigned to the Everyone group. */
  everyoneApp: string;
  /** ACTIVE users whose password was last changed more than 365 days ago (at least 3). */
  stalePasswordUsers: string[];
  /** One of each kind of path to Tier Zero, and the barrier cases (set by generatePrivilege). */
  privilege?: PlantedPrivilege;
}

export interface GeneratedOrg {
  org: SimOrgState;
  planted: PlantedPosture | null;
  ids: IdFactory;
  rng: Rng;
  events: LogEventFactory;
}

const DAY = 86_400_000;
const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'John', 'Sophie', 'Tim', 'Katherine', 'Dennis', 'Hedy', 'Niklaus', 'Shafi', 'Leslie'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'McCarthy', 'Wilson', 'Berners', 'Johnson', 'Ritchie', 'Lamarr', 'Wirth', 'Goldwasser', 'Lamport'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing', 'Legal', 'People', 'IT'];
const GROUP_WORDS = ['eng', 'sales', 'finance', 'support', 'marketing', 'legal', 'people', 'it', 'contractors', 'oncall', 'emea', 'apac', 'us', 'leads', 'interns'];
const APP_CATALOG: { name: string; label: string; mode: SignOnMode }[] = [
  { name: 'salesforce', label: 'Salesforce', mode: 'SAML_2_0' },
  { name: 'oidc_client', label: 'Internal Portal', mode: 'OPENID_CONNECT' },
  { name: 'bookmark', label: 'Benefits Bookmark', mode: 'BOOKMARK' },
  { name: 'template_swa', label: 'Legacy Payroll', mode: 'BROWSER_PLUGIN' },
  { name: 'template_sps', label: 'Expense Tool', mode: 'AUTO_LOGIN' },
  { name: 'slack', label: 'Slack', mode: 'SAML_2_0' },
  { name: 'github_enterprise', label: 'GitHub Enterprise', mode: 'SAML_2_0' },
  { name: 'workday', label: 'Workday', mode: 'SAML_2_0' },
  { name: 'zoomus', label: 'Zoom', mode: 'SAML_2_0' },
  { name: 'oidc_client', label: 'Analytics', mode: 'OPENID_CONNECT' },
];

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

export function generateOrg(o: GenerateOptions): GeneratedOrg {
  const rng = new Rng(o.seed);
  const ids = new IdFactory(new Rng(o.seed * 7919 + 1));
  const events = new LogEventFactory(new Rng(o.seed * 104729 + 3));
  const nowMs = Math.floor(o.now.getTime() / 1000) * 1000;
  const orgCreated = nowMs - 3 * 365 * DAY;
  const org: SimOrgState = {
    orgUrl: '', subdomain: o.subdomain, now: new Date(nowMs),
    users: new Map(), groups: new Map(), everyoneGroupId: '', apps: new Map(),
    groupMembers: new Map(), userGroups: new Map(), factors: new Map(),
    appUserAssignments: new Map(), appGroupAssignments: new Map(), roleAssignments: new Map(),
    customRoles: new Map(), resourceSets: new Map(), apiTokens: new Map(), groupRules: new Map(), events: [], version: 0,
  };
  const typeId = ids.next('oty');

  // Users --------------------------------------------------------------------------------------
  const userList: SimUser[] = [];
  for (let i = 0; i < o.users; i++) {
    const status = rng.weighted<UserStatus>({
      ACTIVE: 80, STAGED: 3, PROVISIONED: 3, RECOVERY: 2, LOCKED_OUT: 2, PASSWORD_EXPIRED: 2, SUSPENDED: 3, DEPROVISIONED: 5,
    });
    const provider = rng.weighted<'OKTA' | 'ACTIVE_DIRECTORY' | 'FEDERATION'>({ OKTA: 85, ACTIVE_DIRECTORY: 10, FEDERATION: 5 });
    const created = orgCreated + rng.int(nowMs - orgCreated - DAY);
    const activated = status === 'STAGED' ? null : created + rng.int(2 * DAY);
    const statusChanged = activated === null ? null : Math.min(nowMs - 1000, activated + rng.int(Math.max(1, nowMs - activated)));
    const neverSignedIn = status === 'STAGED' || status === 'PROVISIONED' || rng.chance(0.1);
    const lastLogin = neverSignedIn || activated === null ? null : nowMs - Math.floor(Math.pow(rng.next(), 3) * Math.min(nowMs - activated, 365 * DAY));
    const hasPassword = provider === 'OKTA' && status !== 'STAGED' && status !== 'PROVISIONED';
    const passwordChanged = hasPassword ? nowMs - rng.int(2 * 365 * DAY) : null;
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const login = `${first.toLowerCase()}.${last.toLowerCase()}${i}@${o.subdomain}.example.com`;
    const lastUpdated = Math.max(created, statusChanged ?? 0, passwordChanged ?? 0);
    const user: SimUser = {
      id: ids.next('00u'),
      status,
      created: iso(created),
      activated: activated === null ? null : iso(activated),
      statusChanged: statusChanged === null ? null : iso(statusChanged),
      lastLogin: lastLogin === null ? null : iso(Math.max(lastLogin, activated ?? created)),
      lastUpdated: iso(lastUpdated),
      passwordChanged: passwordChanged === null ? null : iso(Math.max(passwordChanged, created)),
      profile: {
        firstName: first, lastName: last, email: login, login,
        mobilePhone: rng.chance(0.5) ? `+1555${String(1_000_000 + rng.int(9_000_000))}` : null,
        secondEmail: null,
        department: rng.pick(DEPARTMENTS),
        title: null,
      },
      credentialProvider: { type: provider, name: provider === 'OKTA' ? 'OKTA' : provider === 'ACTIVE_DIRECTORY' ? 'corp.example.com' : 'Corporate IdP' },
      typeId,
    };
    userList.push(user);
    org.users.set(user.id, user);
    org.userGroups.set(user.id, new Set());
  }

  // Apps ---------------------------------------------------------------------------------------
  const appList: SimApp[] = [];
  for (let i = 0; i < o.apps; i++) {
    const tpl = APP_CATALOG[i % APP_CATALOG.length] as (typeof APP_CATALOG)[number];
    const id = ids.next('0oa');
    const created = orgCreated + rng.int(nowMs - orgCreated - DAY);
    const app: SimApp = {
      id, name: tpl.name, label: i < APP_CATALOG.length ? tpl.label : `${tpl.label} ${Math.floor(i / APP_CATALOG.length) + 1}`,
      // The legacy SWA app is always INACTIVE, so every org has an inactive app; others sometimes.
      status: i === 3 || (i > 4 && rng.chance(0.12)) ? 'INACTIVE' : 'ACTIVE', signOnMode: tpl.mode,
      created: iso(created), lastUpdated: iso(created + rng.int(nowMs - created)),
      isServiceApp: false, clientId: tpl.mode === 'OPENID_CONNECT' ? id : null, clientSecrets: [], jwks: [],
    };
    appList.push(app);
  }
  // Two API service apps (OAuth client credentials), one of them the posture plant.
  for (let i = 0; i < 2; i++) {
    const id = ids.next('0oa');
    const created = nowMs - rng.int(365 * DAY) - DAY;
    appList.push({
      id, name: 'oidc_client', label: i === 0 ? 'SIEM Collector' : 'Provisioning Bot', status: 'ACTIVE',
      signOnMode: 'OPENID_CONNECT', created: iso(created), lastUpdated: iso(created), isServiceApp: true, clientId: id,
      clientSecrets: [], jwks: [],
    });
  }
  for (const a of appList) {
    org.apps.set(a.id, a);
    org.appUserAssignments.set(a.id, new Map());
    org.appGroupAssignments.set(a.id, new Map());
  }
  const sourceApp = appList.find((a) => a.name === 'workday') ?? (appList[0] as SimApp);

  // Groups -------------------------------------------------------------------------------------
  const everyone: SimGroup = {
    id: ids.next('00g'), type: 'BUILT_IN', created: iso(orgCreated), lastUpdated: iso(orgCreated),
    lastMembershipUpdated: iso(orgCreated), name: 'Everyone', description: 'All users in your organization', sourceAppId: null,
  };
  org.everyoneGroupId = everyone.id;
  const groupList: SimGroup[] = [];
  for (let i = 0; i < o.groups; i++) {
    const isAppGroup = i === 2 || rng.chance(0.15);
    const created = orgCreated + rng.int(nowMs - orgCreated - DAY);
    const word = GROUP_WORDS[i % GROUP_WORDS.length] as string;
    groupList.push({
      id: ids.next('00g'), type: isAppGroup ? 'APP_GROUP' : 'OKTA_GROUP', created: iso(created),
      lastUpdated: iso(created + rng.int(nowMs - created)), lastMembershipUpdated: iso(created),
      name: isAppGroup ? `${word}-${i} (Workday)` : `${word}-${i}`,
      description: isAppGroup ? `Imported from ${sourceApp.label}` : `Synthetic group ${i}`,
      sourceAppId: isAppGroup ? sourceApp.id : null,
    });
  }
  for (const g of [everyone, ...groupList]) {
    org.groups.set(g.id, g);
    org.groupMembers.set(g.id, new Set());
  }
  const addMember = (userId: string, groupId: string): void => {
    org.groupMembers.get(groupId)?.add(userId);
    org.userGroups.get(userId)?.add(groupId);
  };
  for (const u of userList) addMember(u.id, everyone.id);
  // Power-law group sizes: group k is picked with weight 1/(k+1).
  const cumulative = new Float64Array(groupList.length);
  let acc = 0;
  for (let k = 0; k < groupList.length; k++) cumulative[k] = acc += 1 / (k + 1);
  const pickGroup = (): SimGroup => {
    const r = rng.next() * acc;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < r) lo = mid + 1;
      else hi = mid;
    }
    return groupList[lo] as SimGroup;
  };
  if (groupList.length > 0) {
    for (const u of userList) {
      const count = rng.int(2 * o.membershipsPerUser + 1);
      for (let j = 0; j < count; j++) addMember(u.id, pickGroup().id);
    }
  }
  for (const g of groupList) {
    const size = org.groupMembers.get(g.id)?.size ?? 0;
    if (size > 0) g.lastMembershipUpdated = iso(Math.max(Date.parse(g.created), nowMs - rng.int(90 * DAY)));
  }

  // App assignments ----------------------------------------------------------------------------
  const activeUsers = userList.filter((u) => u.status !== 'DEPROVISIONED');
  for (const app of appList) {
    if (app.isServiceApp) continue;
    const direct = Math.min(activeUsers.length, 1 + rng.int(Math.max(1, Math.ceil(o.users / 40))));
    const map = org.appUserAssignments.get(app.id) as Map<string, SimAppUserAssignment>;
    for (let j = 0; j < direct; j++) {
      const u = rng.pick(activeUsers);
      const at = iso(Math.max(Date.parse(u.created), Date.parse(app.created)) + rng.int(DAY));
      map.set(u.id, { appId: app.id, userId: u.id, status: 'ACTIVE', created: at, lastUpdated: at });
    }
    const groupsToAssign = groupList.length === 0 ? 0 : rng.int(3);
    const gmap = org.appGroupAssignments.get(app.id) as Map<string, SimAppGroupAssignment>;
    for (let j = 0; j < groupsToAssign; j++) {
      // Skip the 3 biggest groups so group-derived app users stay modest.
      const g = groupList[Math.min(groupList.length - 1, 3 + rng.int(Math.max(1, groupList.length - 3)))] as SimGroup;
      if (gmap.has(g.id)) continue;
      gmap.set(g.id, { appId: app.id, groupId: g.id, priority: gmap.size, lastUpdated: iso(Math.max(Date.parse(g.created), Date.parse(app.created)) + rng.int(DAY)) });
    }
  }

  // Factors ------------------------------------------------------------------------------------
  const addFactor = (u: SimUser, type: FactorType, status: FactorStatus, createdMs: number): SimFactor => {
    const f = makeFactor(ids, u, type, status, iso(createdMs));
    const list = org.factors.get(u.id);
    if (list) list.push(f);
    else org.factors.set(u.id, [f]);
    return f;
  };
  for (const u of userList) {
    if (u.status === 'STAGED' || u.status === 'PROVISIONED') continue;
    const base = Date.parse(u.activated ?? u.created);
    const at = (): number => base + rng.int(Math.max(1, nowMs - base));
    const profile = rng.weighted({ none: 15, smsOnly: 8, pushFamily: 45, webauthn: 17, mixed: 15 });
    if (profile === 'none') continue;
    if (profile === 'smsOnly') { addFactor(u, 'sms', 'ACTIVE', at()); continue; }
    if (profile === 'pushFamily') {
      addFactor(u, 'push', 'ACTIVE', at());
      if (rng.chance(0.6)) addFactor(u, 'signed_nonce', 'ACTIVE', at());
      if (rng.chance(0.3)) addFactor(u, 'token:software:totp', 'ACTIVE', at());
    } else if (profile === 'webauthn') {
      addFactor(u, 'webauthn', rng.chance(0.95) ? 'ACTIVE' : 'PENDING_ACTIVATION', at());
      if (rng.chance(0.4)) addFactor(u, 'push', 'ACTIVE', at());
    } else {
      for (const t of ['sms', 'call', 'email', 'question', 'token:software:totp'] as const) {
        if (rng.chance(0.5)) addFactor(u, t, rng.chance(0.9) ? 'ACTIVE' : 'PENDING_ACTIVATION', at());
      }
      if (!org.factors.has(u.id)) addFactor(u, 'email', 'ACTIVE', at());
    }
  }

  // Roles --------------------------------------------------------------------------------------
  const activeOnly = userList.filter((u) => u.status === 'ACTIVE');
  const grant = (kind: SimRoleAssignment['principalKind'], principalId: string, type: StandardRoleType, atMs: number): SimRoleAssignment => {
    const prefix = kind === 'group' ? 'gra' : kind === 'app' ? 'rac' : 'ra1';
    const a: SimRoleAssignment = {
      id: ids.next(prefix), principalKind: kind, principalId, type, customRoleId: null, resourceSetId: null,
      label: STANDARD_ROLE_LABELS[type], status: 'ACTIVE', created: iso(atMs), lastUpdated: iso(atMs), groupTargets: [], appTargets: [],
    };
    org.roleAssignments.set(a.id, a);
    return a;
  };
  const hasRole = (kind: string, id: string, type: string): boolean =>
    [...org.roleAssignments.values()].some((r) => r.principalKind === kind && r.principalId === id && r.type === type);
  const adminCount = Math.max(4, Math.floor(o.users / 150));
  const otherRoles: StandardRoleType[] = ['ORG_ADMIN', 'APP_ADMIN', 'USER_ADMIN', 'HELP_DESK_ADMIN', 'READ_ONLY_ADMIN', 'GROUP_MEMBERSHIP_ADMIN', 'REPORT_ADMIN'];
  if (activeOnly.length > 0) {
    for (let j = 0; j < adminCount; j++) {
      const u = rng.pick(activeOnly);
      const t = rng.pick(otherRoles);
      if (!hasRole('user', u.id, t)) grant('user', u.id, t, nowMs - rng.int(365 * DAY));
    }
  }
  // Roles go to team-sized groups (5–25 members), as in real orgs; granting one to a department of
  // thousands would make most of the org admins and drown every admin finding.
  const sizeOf = (g: SimGroup): number => org.groupMembers.get(g.id)?.size ?? 0;
  const teamGroups = groupList.filter((g) => g.type === 'OKTA_GROUP' && sizeOf(g) >= 5 && sizeOf(g) <= 25);
  const mediumGroups = teamGroups.length >= 3 ? teamGroups.slice(0, 3) : groupList.filter((g) => g.type === 'OKTA_GROUP').slice(5, 8);
  for (const g of mediumGroups.slice(0, 2)) grant('group', g.id, rng.pick(['HELP_DESK_ADMIN', 'READ_ONLY_ADMIN'] as const), nowMs - rng.int(365 * DAY));
  // A help-desk team group holding HELP_DESK_ADMIN and APP_ADMIN, one of whose members also holds a
  // role of their own: that member's role list mixes USER and GROUP entries, the other members'
  // lists hold only GROUP entries (roles they hold through the group, not their own).
  const helpDeskGroup = mediumGroups[0] ?? groupList.filter((g) => g.type === 'OKTA_GROUP' && sizeOf(g) >= 2).sort((a, b) => sizeOf(a) - sizeOf(b))[0];
  if (helpDeskGroup) {
    for (const t of ['HELP_DESK_ADMIN', 'APP_ADMIN'] as const) if (!hasRole('group', helpDeskGroup.id, t)) grant('group', helpDeskGroup.id, t, nowMs - 120 * DAY);
    const member = sortedIds(org.groupMembers.get(helpDeskGroup.id) ?? []).map((id) => org.users.get(id)).find((u) => u?.status === 'ACTIVE');
    if (member && !hasRole('user', member.id, 'REPORT_ADMIN')) grant('user', member.id, 'REPORT_ADMIN', nowMs - 110 * DAY);
  }
  const serviceApps = appList.filter((a) => a.isServiceApp);
  const readerApp = serviceApps[0];
  if (readerApp) grant('app', readerApp.id, 'READ_ONLY_ADMIN', Date.parse(readerApp.created));

  // Custom roles with resource sets.
  const supportRole = { id: ids.next('cr0'), label: 'Support Tier 2', description: 'Reset factors and unlock users', permissions: ['okta.users.read', 'okta.users.lifecycle.manage', 'okta.users.credentials.resetFactors'] };
  const appsRole = { id: ids.next('cr0'), label: 'App Owner', description: 'Manage assignments of a few apps', permissions: ['okta.apps.read', 'okta.apps.assignment.manage'] };
  for (const r of [supportRole, appsRole]) {
    const at = iso(nowMs - 200 * DAY);
    org.customRoles.set(r.id, { ...r, created: at, lastUpdated: at });
  }
  const setAt = iso(nowMs - 200 * DAY);
  const resource = (ref: SimResourceSetResource['ref']): SimResourceSetResource => ({ id: ids.next('ire'), ref, created: setAt, lastUpdated: setAt });
  // The support role resets factors: its set names the users of three groups (`…:contained_resources`).
  const supportSet = { id: ids.next('iam'), label: 'Support scope', description: 'Non-admin user groups', resources: groupList.slice(0, 3).map((g) => resource({ kind: 'groupMembers', groupId: g.id })) };
  const appsSet = { id: ids.next('iam'), label: 'Business apps', description: 'Apps owned by business units', resources: appList.slice(0, 3).map((a) => resource({ kind: 'app', appName: a.name, appId: a.id })) };
  for (const s of [supportSet, appsSet]) org.resourceSets.set(s.id, { ...s, created: setAt, lastUpdated: setAt });
  const customAssignee = activeOnly[1];
  if (customAssignee) grantCustom(org, ids, 'user', customAssignee.id, supportRole.id, supportRole.label, supportSet.id, iso(nowMs - 100 * DAY));
  const customGroup = teamGroups.find((g) => !mediumGroups.includes(g)) ?? groupList.find((g) => g.type === 'OKTA_GROUP' && !mediumGroups.includes(g));
  if (customGroup) grantCustom(org, ids, 'group', customGroup.id, appsRole.id, appsRole.label, appsSet.id, iso(nowMs - 90 * DAY));

  // Posture plants -----------------------------------------------------------------------------
  const planted = o.plantPosture ? plant(org, rng, nowMs, userList, groupList, appList, grant, addFactor, addMember) : null;

  // Privilege: credentials, role targets, API tokens, group rules (and, with the posture cases, one
  // of each path to Tier Zero and each barrier case). Its own random stream, so the org above stays
  // what it was for a seed.
  generatePrivilege(org, ids, new Rng(o.seed * 65_537 + 5), nowMs, grant, addMember, planted);

  // System Log ---------------------------------------------------------------------------------
  org.events = generateHistory(org, events, rng, o, nowMs, userList, appList);
  return { org, planted, ids, rng, events };
}

export function grantCustom(
  org: SimOrgState, ids: IdFactory, kind: 'user' | 'group' | 'app', principalId: string,
  roleId: string, label: string, resourceSetId: string, at: string,
): SimRoleAssignment {
  const a: SimRoleAssignment = {
    id: ids.next('irb'), principalKind: kind, principalId, type: 'CUSTOM', customRoleId: roleId, resourceSetId,
    label, status: 'ACTIVE', created: at, lastUpdated: at, groupTargets: [], appTargets: [],
  };
  org.roleAssignments.set(a.id, a);
  return a;
}

const FACTOR_SHAPE: Record<FactorType, { prefix: string; provider: SimFactor['provider']; vendor: string }> = {
  push: { prefix: 'opf', provider: 'OKTA', vendor: 'OKTA' },
  signed_nonce: { prefix: 'crp', provider: 'OKTA', vendor: 'OKTA' },
  'token:software:totp': { prefix: 'ost', provider: 'OKTA', vendor: 'OKTA' },
  webauthn: { prefix: 'fwf', provider: 'FIDO', vendor: 'FIDO' },
  sms: { prefix: 'mbl', provider: 'OKTA', vendor: 'OKTA' },
  call: { prefix: 'clf', provider: 'OKTA', vendor: 'OKTA' },
  email: { prefix: 'emf', provider: 'OKTA', vendor: 'OKTA' },
  question: { prefix: 'ufs', provider: 'OKTA', vendor: 'OKTA' },
};

export function makeFactor(ids: IdFactory, u: SimUser, type: FactorType, status: FactorStatus, at: string): SimFactor {
  const shape = FACTOR_SHAPE[type];
  const phone = u.profile.mobilePhone ?? '+15550100';
  const profile: Record<string, string> =
    type === 'sms' || type === 'call' ? { phoneNumber: phone }
      : type === 'email' ? { email: u.profile.email }
        : type === 'question' ? { question: 'favorite_art_piece', questionText: 'What is your favorite piece of art?' }
          : type === 'webauthn' ? { credentialId: `cred-${u.id}`, authenticatorName: 'MacBook Touch ID' }
            : type === 'push' ? { credentialId: u.profile.login, deviceType: 'SmartPhone_IPhone', name: 'iPhone', platform: 'IOS', version: '17.4' }
              : { credentialId: u.profile.login };
  return {
    id: ids.next(shape.prefix), userId: u.id, factorType: type, provider: shape.provider, vendorName: shape.vendor,
    status, created: at, lastUpdated: at, profile,
  };
}

export type Grant = (kind: SimRoleAssignment['principalKind'], principalId: string, type: StandardRoleType, atMs: number) => SimRoleAssignment;
type AddFactor = (u: SimUser, type: FactorType, status: FactorStatus, createdMs: number) => SimFactor;

function plant(
  org: SimOrgState, rng: Rng, nowMs: number,
  users: SimUser[], groups: SimGroup[], apps: SimApp[], grant: Grant, addFactor: AddFactor,
  addMember: (userId: string, groupId: string) => void,
): PlantedPosture {
  if (users.length < 40 || groups.length < 5 || apps.length < 5) {
    throw new Error(`plantPosture needs at least 40 users, 5 groups and 5 apps (got ${users.length}/${groups.length}/${apps.length}); pass plantPosture: false for smaller orgs`);
  }
  // Plants take users from the front of the list, in a fixed order, and overwrite their state.
  const take = (() => { let i = 10; return (): SimUser => users[i++] as SimUser; })();
  const makeActive = (u: SimUser): void => {
    u.status = 'ACTIVE';
    u.activated ??= u.created;
    u.lastLogin = iso(nowMs - rng.int(5 * DAY));
  };
  const superAdmins: string[] = [];
  const smsOnly = take();
  makeActive(smsOnly);
  org.factors.set(smsOnly.id, []);
  addFactor(smsOnly, 'sms', 'ACTIVE', Date.parse(smsOnly.created) + DAY);
  grant('user', smsOnly.id, 'SUPER_ADMIN', nowMs - 300 * DAY);
  superAdmins.push(smsOnly.id);
  for (let i = 0; i < 5; i++) {
    const u = take();
    makeActive(u);
    org.factors.set(u.id, []);
    addFactor(u, 'webauthn', 'ACTIVE', Date.parse(u.created) + DAY);
    addFactor(u, 'push', 'ACTIVE', Date.parse(u.created) + DAY);
    grant('user', u.id, 'SUPER_ADMIN', nowMs - (200 + i) * DAY);
    superAdmins.push(u.id);
  }
  // The smallest Okta group over the threshold (a team-sized admin group, as real orgs have), not the
  // org's biggest: granting a role to a group of thousands would make most users admins.
  const memberCount = (g: SimGroup): number => org.groupMembers.get(g.id)?.size ?? 0;
  const oktaGroups = groups.filter((g) => g.type === 'OKTA_GROUP' && g.id !== org.everyoneGroupId);
  const bigGroup = ([...oktaGroups].sort((a, b) => memberCount(a) - memberCount(b)).find((g) => memberCount(g) > 25) ?? oktaGroups[0]) as SimGroup;
  for (let i = 0; (org.groupMembers.get(bigGroup.id)?.size ?? 0) <= 30 && i < users.length; i++) addMember((users[i] as SimUser).id, bigGroup.id);
  grant('group', bigGroup.id, 'ORG_ADMIN', nowMs - 150 * DAY);
  const serviceApp = apps.filter((a) => a.isServiceApp)[1] as SimApp;
  grant('app', serviceApp.id, 'SUPER_ADMIN', Date.parse(serviceApp.created));
  const deprovisioned = take();
  deprovisioned.status = 'DEPROVISIONED';
  deprovisioned.statusChanged = iso(nowMs - 20 * DAY);
  deprovisioned.lastUpdated = deprovisioned.statusChanged;
  const activeApp = apps.find((a) => a.status === 'ACTIVE' && !a.isServiceApp && a.signOnMode === 'SAML_2_0') as SimApp;
  const at = iso(nowMs - 400 * DAY);
  org.appUserAssignments.get(activeApp.id)?.set(deprovisioned.id, { appId: activeApp.id, userId: deprovisioned.id, status: 'ACTIVE', created: at, lastUpdated: at });
  const dormant = take();
  makeActive(dormant);
  dormant.lastLogin = iso(nowMs - 60 * DAY);
  grant('user', dormant.id, 'ORG_ADMIN', nowMs - 500 * DAY);
  const locked = [take(), take()];
  for (const u of locked) {
    u.status = 'LOCKED_OUT';
    u.activated ??= u.created;
    u.statusChanged = iso(nowMs - 2 * DAY);
    u.lastUpdated = u.statusChanged;
  }
  const everyoneApp = apps.find((a) => a.status === 'ACTIVE' && !a.isServiceApp && a.id !== activeApp.id) as SimApp;
  org.appGroupAssignments.get(everyoneApp.id)?.set(org.everyoneGroupId, {
    appId: everyoneApp.id, groupId: org.everyoneGroupId, priority: 99, lastUpdated: iso(nowMs - 30 * DAY),
  });
  const stale = [take(), take(), take()];
  for (const u of stale) {
    makeActive(u);
    u.credentialProvider = { type: 'OKTA', name: 'OKTA' };
    u.passwordChanged = iso(Math.max(Date.parse(u.created), nowMs - 900 * DAY));
    if (Date.parse(u.passwordChanged) > nowMs - 400 * DAY) u.passwordChanged = iso(nowMs - 400 * DAY);
  }
  // The random role grants above never use SUPER_ADMIN, so the count here is exact.
  return {
    smsOnlySuperAdmin: smsOnly.id,
    superAdmins,
    largeAdminGroup: { groupId: bigGroup.id, role: 'ORG_ADMIN', members: org.groupMembers.get(bigGroup.id)?.size ?? 0 },
    superAdminServiceApp: serviceApp.id,
    deprovisionedWithApp: { userId: deprovisioned.id, appId: activeApp.id },
    dormantAdmin: { userId: dormant.id, lastLogin: dormant.lastLogin },
    lockedOutUsers: [...users.filter((u) => u.status === 'LOCKED_OUT').map((u) => u.id)],
    everyoneApp: everyoneApp.id,
    stalePasswordUsers: stale.map((u) => u.id),
  };
}

/** ~2 events per user (cap 20k) over `logDays`, consistent with the final state (only adds). */
function generateHistory(
  org: SimOrgState, factory: LogEventFactory, rng: Rng, o: GenerateOptions, nowMs: number, users: SimUser[], apps: SimApp[],
): OktaLogEvent[] {
  const total = Math.min(20_000, users.length * 2);
  const start = nowMs - o.logDays * DAY;
  const admins = [...org.roleAssignments.values()].filter((r) => r.principalKind === 'user').map((r) => org.users.get(r.principalId)).filter((u): u is SimUser => !!u);
  const signedIn = users.filter((u) => u.lastLogin !== null);
  const activeApps = apps.filter((a) => a.status === 'ACTIVE' && !a.isServiceApp);
  const recent = users.filter((u) => Date.parse(u.created) >= start);
  const out: OktaLogEvent[] = [];
  for (let i = 0; i < total; i++) {
    const published = new Date(start + rng.int(nowMs - start));
    const kind = rng.weighted({ session: 55, sso: 30, membership: 10, create: 5 });
    const actorAdmin = admins.length ? rng.pick(admins) : undefined;
    if (kind === 'session' && signedIn.length) {
      const u = rng.pick(signedIn);
      out.push(factory.build({ eventType: 'user.session.start', legacyEventType: 'core.user_auth.login_success', displayMessage: 'User login to Okta', published, actor: userActor(u), target: null, requestUri: '/idp/idx/identify', url: '/idp/idx/identify?', viaApi: false }));
    } else if (kind === 'sso' && signedIn.length && activeApps.length) {
      const u = rng.pick(signedIn);
      const a = rng.pick(activeApps);
      out.push(factory.build({ eventType: 'user.authentication.sso', legacyEventType: 'app.auth.sso', displayMessage: 'User single sign on to app', published, actor: userActor(u), target: [target.app(a), target.appUser(u)], requestUri: `/app/${a.name}/${a.id}/sso/saml`, url: `/app/${a.name}/${a.id}/sso/saml?`, viaApi: false, debugData: { signOnMode: a.signOnMode, initiationType: 'IDP_INITIATED' } }));
    } else if (kind === 'membership' && actorAdmin) {
      const u = rng.pick(users);
      const groupIds = [...(org.userGroups.get(u.id) ?? [])].filter((g) => g !== org.everyoneGroupId);
      const g = groupIds.length ? org.groups.get(rng.pick(groupIds)) : undefined;
      if (!g || g.type !== 'OKTA_GROUP' || Date.parse(u.created) > published.getTime()) continue;
      out.push(factory.build({ eventType: 'group.user_membership.add', legacyEventType: 'core.user_group_member.user_add', displayMessage: 'Add user to group membership', published, actor: userActor(actorAdmin), target: [target.user(u), target.group(g)], requestUri: `/api/v1/groups/${g.id}/users/${u.id}`, url: `/api/v1/groups/${g.id}/users/${u.id}?` }));
    } else if (kind === 'create' && actorAdmin) {
      if (!recent.length) continue;
      const u = rng.pick(recent);
      out.push(factory.build({ eventType: 'user.lifecycle.create', legacyEventType: 'core.user.config.user_creation.success', displayMessage: 'Create okta user', published: new Date(Date.parse(u.created)), actor: actorAdmin ? userActor(actorAdmin) : SYSTEM_ACTOR, target: [target.user(u)], requestUri: '/api/v1/users', url: '/api/v1/users?activate=true' }));
    }
  }
  out.sort((a, b) => (a.published < b.published ? -1 : a.published > b.published ? 1 : 0));
  return out;
}
