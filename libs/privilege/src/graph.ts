/**
 * The privilege graph in compact form: every principal an integer, memberships in CSR arrays
 * (both directions), grants indexed by what they cover, so that a breadth-first search backwards
 * from a role touches each node and membership once. Built from graph rows by
 * `PrivilegeGraphBuilder` (the loader streams rows into it) or `buildPrivilegeGraph` (arrays).
 */
import { CUSTOM_PERMISSION_EDGES, STANDARD_ROLE_CAPABILITIES, groupsNamedBy, type GrantEdgeKind } from './model.js';

export interface UserInput { id: string; status: string; label?: string | null }
export interface GroupInput { id: string; type: string; name: string }
export interface AppInput {
  id: string;
  /** Catalog name (`salesforce`, `oidc_client`). */
  name: string;
  label?: string | null;
  /** OAuth client id; null for apps that are not OAuth clients. */
  clientId: string | null;
  isServiceApp: boolean;
  /** An ACTIVE OAuth client secret exists. */
  hasClientSecret: boolean;
}
export interface RoleAssignmentInput {
  principalKind: 'user' | 'group' | 'app';
  /** User id, group id, or a service app's client id (or app id). */
  principalId: string;
  /** Standard role type or custom role id. */
  roleId: string;
  /** '' or null for standard roles. */
  resourceSetId: string | null;
  assignmentId: string | null;
}
export interface RoleTargetInput {
  principalKind: 'user' | 'group' | 'app';
  principalId: string;
  roleId: string;
  /** `group`: a group id; `app`: an app instance id; `catalog_app`: every app of that catalog name. */
  targetKind: 'group' | 'app' | 'catalog_app';
  targetId: string;
}
export interface CustomRoleInput { id: string; label: string; permissions: string[] }
/**
 * A resource of a resource set, as normalize's `ornTarget` reads its ORN: all_users, user,
 * all_groups, group, group_members (the group's users), all_apps, app_type (a catalog name), app,
 * or other (decides no edge).
 */
export interface ResourceTarget { targetKind: string; targetId: string | null }
export interface ResourceSetInput { id: string; label: string; resources: ResourceTarget[] }
export interface ApiTokenInput { id: string; name: string; userId: string }
export interface GroupRuleInput { id: string; name: string; status: string; expression: string; targetGroupIds: string[] }

/** Everything the computation needs, as arrays (tests, small orgs). */
export interface PrivilegeInput {
  users: UserInput[];
  groups: GroupInput[];
  apps: AppInput[];
  memberships: { userId: string; groupId: string }[];
  roleAssignments: RoleAssignmentInput[];
  roleTargets?: RoleTargetInput[];
  customRoles?: CustomRoleInput[];
  resourceSets?: ResourceSetInput[];
  apiTokens?: ApiTokenInput[];
  groupRules?: GroupRuleInput[];
}

/** A role assignment as the graph keeps it. */
export interface Assignment {
  /** Node index of the principal. */
  principal: number;
  /** Node index of the role. */
  role: number;
  roleId: string;
  resourceSetId: string | null;
  assignmentId: string | null;
  /** Group targets (group-local indexes); null = not scoped. */
  groupTargets: number[] | null;
  /** App targets; null = not scoped. */
  appTargets: { appIds: Set<number>; names: Set<string> } | null;
}

/** One control capability of one assignment. */
export interface GrantCap {
  assignment: number;
  kind: GrantEdgeKind;
  /** ManageApp / ReadClientSecret limited to OAuth client apps. */
  oauthOnly: boolean;
}

const GROUP_TYPE = { OKTA_GROUP: 0, APP_GROUP: 1, BUILT_IN: 2 } as const;

class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** CSR of pairs (a → b) grouped by a: offsets (length na + 1) and targets. */
function csr(na: number, from: Int32Array, to: Int32Array, n: number): { off: Int32Array; idx: Int32Array } {
  const off = new Int32Array(na + 1);
  for (let i = 0; i < n; i++) off[(from[i] as number) + 1]!++;
  for (let i = 0; i < na; i++) off[i + 1]! += off[i] as number;
  const pos = off.slice(0, na);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[pos[from[i] as number]!++] = to[i] as number;
  return { off, idx };
}

export class PrivilegeGraph {
  // Node index ranges: users [0, nUsers), groups, apps, tokens, rules, roles.
  readonly userBase = 0;
  readonly groupBase: number;
  readonly appBase: number;
  readonly tokenBase: number;
  readonly ruleBase: number;
  readonly roleBase: number;
  readonly nodeCount: number;

  constructor(
    readonly userIds: string[],
    readonly userStatus: string[],
    readonly userLabels: (string | null)[],
    readonly groupIds: string[],
    readonly groupNames: string[],
    /** 0 OKTA_GROUP, 1 APP_GROUP, 2 BUILT_IN, 3 other. */
    readonly groupType: Uint8Array,
    readonly apps: AppInput[],
    readonly tokens: ApiTokenInput[],
    /** Token-local index → user-local index of its owner (-1: owner unknown). */
    readonly tokenOwner: Int32Array,
    readonly rules: GroupRuleInput[],
    readonly roleIds: string[],
    readonly roleLabels: Map<string, string>,
    /** user → groups (group-local). */
    readonly userGroupOff: Int32Array,
    readonly userGroupIdx: Int32Array,
    /** group → members (user-local). */
    readonly groupMemberOff: Int32Array,
    readonly groupMemberIdx: Int32Array,
    readonly assignments: Assignment[],
    /** Node holds an admin role itself (a user also: through a group, see protectedUser). */
    readonly admin: Uint8Array,
    /** User-local: holds an admin role directly or through a group (Okta's barrier protects them). */
    readonly protectedUser: Uint8Array,
    /** Control capabilities; their scopes index them below. */
    readonly caps: GrantCap[],
    readonly capsAllUsers: number[],
    readonly capsByGroupMembers: Map<number, number[]>,
    readonly capsByUser: Map<number, number[]>,
    readonly capsAllGroups: number[],
    readonly capsByGroup: Map<number, number[]>,
    readonly capsAllApps: number[],
    readonly capsByApp: Map<number, number[]>,
    readonly capsByAppName: Map<string, number[]>,
    /** user-local → token-local indexes. */
    readonly tokensOfUser: Map<number, number[]>,
    /** group-local target → rule edges into it (from a group node or the rule's own node). */
    readonly ruleEdgesInto: Map<number, { from: number; rule: number }[]>,
    /** role node → assignments granting it. */
    readonly holdersOfRole: Map<number, number[]>,
    readonly userIndex: Map<string, number>,
    readonly groupIndex: Map<string, number>,
    readonly appIndex: Map<string, number>,
  ) {
    this.groupBase = userIds.length;
    this.appBase = this.groupBase + groupIds.length;
    this.tokenBase = this.appBase + apps.length;
    this.ruleBase = this.tokenBase + tokens.length;
    this.roleBase = this.ruleBase + rules.length;
    this.nodeCount = this.roleBase + roleIds.length;
  }

  get memberships(): number {
    return this.userGroupIdx.length;
  }

  kindOf(node: number): 'user' | 'group' | 'app' | 'api_token' | 'group_rule' | 'role' {
    if (node < this.groupBase) return 'user';
    if (node < this.appBase) return 'group';
    if (node < this.tokenBase) return 'app';
    if (node < this.ruleBase) return 'api_token';
    if (node < this.roleBase) return 'group_rule';
    return 'role';
  }

  /** `KIND:ID` of a node. */
  ref(node: number): string {
    if (node < this.groupBase) return `user:${this.userIds[node]}`;
    if (node < this.appBase) return `group:${this.groupIds[node - this.groupBase]}`;
    if (node < this.tokenBase) return `app:${this.apps[node - this.appBase]!.id}`;
    if (node < this.ruleBase) return `api_token:${this.tokens[node - this.tokenBase]!.id}`;
    if (node < this.roleBase) return `group_rule:${this.rules[node - this.ruleBase]!.id}`;
    return `role:${this.roleIds[node - this.roleBase]}`;
  }

  /** Node index of `KIND:ID`, or -1. */
  nodeOf(ref: string): number {
    const i = ref.indexOf(':');
    const kind = ref.slice(0, i);
    const id = ref.slice(i + 1);
    const local = (m: Map<string, number>, base: number): number => {
      const v = m.get(id);
      return v === undefined ? -1 : base + v;
    };
    switch (kind) {
      case 'user': return local(this.userIndex, 0);
      case 'group': return local(this.groupIndex, this.groupBase);
      case 'app': return local(this.appIndex, this.appBase);
      case 'api_token': { const t = this.tokens.findIndex((x) => x.id === id); return t < 0 ? -1 : this.tokenBase + t; }
      case 'group_rule': { const r = this.rules.findIndex((x) => x.id === id); return r < 0 ? -1 : this.ruleBase + r; }
      case 'role': { const r = this.roleIds.indexOf(id); return r < 0 ? -1 : this.roleBase + r; }
      default: return -1;
    }
  }

  /** A human label: a login, a group or app name, a token or rule name, a custom role's label. */
  label(node: number): string {
    if (node < this.groupBase) return this.userLabels[node] ?? this.userIds[node]!;
    if (node < this.appBase) return this.groupNames[node - this.groupBase]!;
    if (node < this.tokenBase) return this.apps[node - this.appBase]!.label ?? this.apps[node - this.appBase]!.name;
    if (node < this.ruleBase) return this.tokens[node - this.tokenBase]!.name;
    if (node < this.roleBase) return this.rules[node - this.ruleBase]!.name;
    const id = this.roleIds[node - this.roleBase]!;
    return this.roleLabels.get(id) ?? id;
  }
}

/**
 * Accumulates graph rows (any order; memberships may stream in chunks) and builds the compact
 * graph. Rows naming principals that are not there (tombstoned, not collected) are dropped.
 */
export class PrivilegeGraphBuilder {
  private readonly users: UserInput[] = [];
  private readonly groups: GroupInput[] = [];
  private readonly apps: AppInput[] = [];
  private readonly userIndex = new Map<string, number>();
  private readonly groupIndex = new Map<string, number>();
  private readonly appIndex = new Map<string, number>();
  private readonly mUser = new IntList();
  private readonly mGroup = new IntList();
  private readonly roleAssignments: RoleAssignmentInput[] = [];
  private readonly targets: RoleTargetInput[] = [];
  private readonly customRoles = new Map<string, CustomRoleInput>();
  private readonly resourceSets = new Map<string, { label: string; resources: ResourceTarget[] }>();
  private readonly tokens: ApiTokenInput[] = [];
  private readonly rules: GroupRuleInput[] = [];

  addUser(u: UserInput): void {
    if (this.userIndex.has(u.id)) return;
    this.userIndex.set(u.id, this.users.length);
    this.users.push(u);
  }
  addGroup(g: GroupInput): void {
    if (this.groupIndex.has(g.id)) return;
    this.groupIndex.set(g.id, this.groups.length);
    this.groups.push(g);
  }
  addApp(a: AppInput): void {
    if (this.appIndex.has(a.id)) return;
    this.appIndex.set(a.id, this.apps.length);
    this.apps.push(a);
  }
  /** Users and groups must be added first; memberships of unknown ones are dropped. */
  addMembership(userId: string, groupId: string): void {
    const u = this.userIndex.get(userId);
    const g = this.groupIndex.get(groupId);
    if (u === undefined || g === undefined) return;
    this.mUser.push(u);
    this.mGroup.push(g);
  }
  /** A group's members at once (the loader reads them aggregated per group). */
  addMembers(groupId: string, userIds: readonly string[]): void {
    const g = this.groupIndex.get(groupId);
    if (g === undefined) return;
    for (const id of userIds) {
      const u = this.userIndex.get(id);
      if (u === undefined) continue;
      this.mUser.push(u);
      this.mGroup.push(g);
    }
  }
  addRoleAssignment(a: RoleAssignmentInput): void { this.roleAssignments.push(a); }
  addRoleTarget(t: RoleTargetInput): void { this.targets.push(t); }
  addCustomRole(r: CustomRoleInput): void { this.customRoles.set(r.id, r); }
  addResourceSet(id: string, label: string): void {
    if (!this.resourceSets.has(id)) this.resourceSets.set(id, { label, resources: [] });
  }
  addResourceSetResource(resourceSetId: string, target: ResourceTarget): void {
    let s = this.resourceSets.get(resourceSetId);
    if (!s) this.resourceSets.set(resourceSetId, (s = { label: resourceSetId, resources: [] }));
    s.resources.push(target);
  }
  addApiToken(t: ApiTokenInput): void { this.tokens.push(t); }
  addGroupRule(r: GroupRuleInput): void { this.rules.push(r); }

  build(): PrivilegeGraph {
    const nu = this.users.length;
    const ng = this.groups.length;
    const na = this.apps.length;
    const m = this.mUser.length;
    const ug = csr(nu, this.mUser.data, this.mGroup.data, m);
    const gu = csr(ng, this.mGroup.data, this.mUser.data, m);
    const groupBase = nu;
    const appBase = nu + ng;
    const tokenBase = appBase + na;
    const ruleBase = tokenBase + this.tokens.length;

    // Roles get nodes in first-seen order of the sorted assignments (deterministic).
    const roleIds: string[] = [];
    const roleIndex = new Map<string, number>();
    const roleLabels = new Map<string, string>();
    for (const r of this.customRoles.values()) roleLabels.set(r.id, r.label);
    const appByClient = new Map<string, number>();
    for (const [i, a] of this.apps.entries()) {
      if (a.clientId) appByClient.set(a.clientId, i);
      appByClient.set(a.id, i);
    }
    const principalNode = (kind: string, id: string): number => {
      if (kind === 'user') { const u = this.userIndex.get(id); return u === undefined ? -1 : u; }
      if (kind === 'group') { const g = this.groupIndex.get(id); return g === undefined ? -1 : groupBase + g; }
      const a = appByClient.get(id);
      return a === undefined ? -1 : appBase + a;
    };
    const sorted = [...this.roleAssignments].sort((x, y) => cmp(`${x.roleId}\u0000${x.resourceSetId ?? ''}\u0000${x.principalKind}\u0000${x.principalId}`, `${y.roleId}\u0000${y.resourceSetId ?? ''}\u0000${y.principalKind}\u0000${y.principalId}`));
    const targetsOf = new Map<string, RoleTargetInput[]>();
    for (const t of this.targets) pushTo(targetsOf, `${t.principalKind}\u0000${t.principalId}\u0000${t.roleId}`, t);

    const assignments: Assignment[] = [];
    const pendingRoles: string[] = [];
    for (const a of sorted) {
      const principal = principalNode(a.principalKind, a.principalId);
      if (principal < 0) continue;
      let r = roleIndex.get(a.roleId);
      if (r === undefined) {
        r = pendingRoles.length;
        roleIndex.set(a.roleId, r);
        pendingRoles.push(a.roleId);
      }
      const ts = targetsOf.get(`${a.principalKind}\u0000${a.principalId}\u0000${a.roleId}`) ?? [];
      const groupTargets = ts.filter((t) => t.targetKind === 'group').map((t) => this.groupIndex.get(t.targetId)).filter((g): g is number => g !== undefined);
      const appTs = ts.filter((t) => t.targetKind !== 'group');
      assignments.push({
        principal, role: r, roleId: a.roleId, resourceSetId: a.resourceSetId ? a.resourceSetId : null, assignmentId: a.assignmentId,
        // A scoped role whose targets are all gone covers nothing (not everything).
        groupTargets: ts.some((t) => t.targetKind === 'group') ? groupTargets : null,
        appTargets: appTs.length > 0
          ? {
            appIds: new Set(appTs.filter((t) => t.targetKind === 'app').map((t) => this.appIndex.get(t.targetId)).filter((x): x is number => x !== undefined)),
            names: new Set(appTs.filter((t) => t.targetKind === 'catalog_app').map((t) => t.targetId)),
          }
          : null,
      });
    }
    roleIds.push(...pendingRoles);
    const roleBase = ruleBase + this.rules.length;
    for (const a of assignments) a.role += roleBase;
    const nodeCount = roleBase + roleIds.length;

    const admin = new Uint8Array(nodeCount);
    const holdersOfRole = new Map<number, number[]>();
    for (const [i, a] of assignments.entries()) {
      admin[a.principal] = 1;
      pushTo(holdersOfRole, a.role, i);
    }
    const protectedUser = new Uint8Array(nu);
    for (let u = 0; u < nu; u++) {
      if (admin[u]) { protectedUser[u] = 1; continue; }
      for (let k = ug.off[u] as number; k < (ug.off[u + 1] as number); k++) {
        if (admin[groupBase + (ug.idx[k] as number)]) { protectedUser[u] = 1; break; }
      }
    }

    // Capabilities, indexed by scope.
    const caps: GrantCap[] = [];
    const capsAllUsers: number[] = [];
    const capsByGroupMembers = new Map<number, number[]>();
    const capsByUser = new Map<number, number[]>();
    const capsAllGroups: number[] = [];
    const capsByGroup = new Map<number, number[]>();
    const capsAllApps: number[] = [];
    const capsByApp = new Map<number, number[]>();
    const capsByAppName = new Map<string, number[]>();

    for (const [ai, a] of assignments.entries()) {
      if (a.roleId === 'SUPER_ADMIN') continue;
      const custom = this.customRoles.get(a.roleId);
      if (custom) {
        const refs = a.resourceSetId ? (this.resourceSets.get(a.resourceSetId)?.resources ?? []) : [];
        for (const [kind, perms] of Object.entries(CUSTOM_PERMISSION_EDGES) as [GrantEdgeKind, readonly string[]][]) {
          if (!custom.permissions.some((p) => perms.includes(p))) continue;
          const c = caps.push({ assignment: ai, kind, oauthOnly: false }) - 1;
          for (const { targetKind, targetId } of refs) {
            if (kind === 'ResetPassword' || kind === 'ResetFactors') {
              if (targetKind === 'all_users') capsAllUsers.push(c);
              else if (targetKind === 'user' && targetId) { const u = this.userIndex.get(targetId); if (u !== undefined) pushTo(capsByUser, u, c); }
              else if (targetKind === 'group_members' && targetId) { const g = this.groupIndex.get(targetId); if (g !== undefined) pushTo(capsByGroupMembers, g, c); }
            } else if (kind === 'AddMember') {
              if (targetKind === 'all_groups') capsAllGroups.push(c);
              else if (targetKind === 'group' && targetId) { const g = this.groupIndex.get(targetId); if (g !== undefined) pushTo(capsByGroup, g, c); }
            } else if (targetKind === 'all_apps') capsAllApps.push(c);
            else if (targetKind === 'app_type' && targetId) pushTo(capsByAppName, targetId, c);
            else if (targetKind === 'app' && targetId) { const x = this.appIndex.get(targetId); if (x !== undefined) pushTo(capsByApp, x, c); }
          }
        }
        continue;
      }
      const std = STANDARD_ROLE_CAPABILITIES[a.roleId];
      if (!std) continue;
      if (std.users) {
        for (const kind of ['ResetPassword', 'ResetFactors'] as const) {
          const c = caps.push({ assignment: ai, kind, oauthOnly: false }) - 1;
          if (a.groupTargets === null) capsAllUsers.push(c);
          else for (const g of a.groupTargets) pushTo(capsByGroupMembers, g, c);
        }
      }
      if (std.groups) {
        const c = caps.push({ assignment: ai, kind: 'AddMember', oauthOnly: false }) - 1;
        if (a.groupTargets === null) capsAllGroups.push(c);
        else for (const g of a.groupTargets) pushTo(capsByGroup, g, c);
      }
      for (const [kind, scope] of [['ManageApp', std.manageApps], ['ReadClientSecret', std.readSecrets]] as const) {
        if (!scope) continue;
        const c = caps.push({ assignment: ai, kind, oauthOnly: scope === 'oauth' }) - 1;
        if (a.appTargets === null) capsAllApps.push(c);
        else {
          for (const x of a.appTargets.appIds) pushTo(capsByApp, x, c);
          for (const name of a.appTargets.names) pushTo(capsByAppName, name, c);
        }
      }
    }

    const tokenOwner = new Int32Array(this.tokens.length).fill(-1);
    const tokensOfUser = new Map<number, number[]>();
    for (const [t, tok] of this.tokens.entries()) {
      const u = this.userIndex.get(tok.userId);
      if (u === undefined) continue;
      tokenOwner[t] = u;
      pushTo(tokensOfUser, u, t);
    }

    const ruleEdgesInto = new Map<number, { from: number; rule: number }[]>();
    const groupsByName = new Map<string, number[]>();
    for (const [i, g] of this.groups.entries()) pushTo(groupsByName, g.name, i);
    for (const [ri, rule] of this.rules.entries()) {
      if (rule.status !== 'ACTIVE') continue;
      const named = groupsNamedBy(rule.expression);
      const sources = new Set<number>();
      for (const id of named.ids) { const g = this.groupIndex.get(id); if (g !== undefined) sources.add(groupBase + g); }
      for (const name of named.names) for (const g of groupsByName.get(name) ?? []) sources.add(groupBase + g);
      if (named.ids.length === 0 && named.names.length === 0) sources.add(ruleBase + ri);
      for (const target of rule.targetGroupIds) {
        const g = this.groupIndex.get(target);
        if (g === undefined) continue;
        for (const from of sources) pushTo(ruleEdgesInto, g, { from, rule: ri });
      }
    }

    const groupType = new Uint8Array(ng);
    for (const [i, g] of this.groups.entries()) groupType[i] = (GROUP_TYPE as Record<string, number>)[g.type] ?? 3;

    return new PrivilegeGraph(
      this.users.map((u) => u.id), this.users.map((u) => u.status), this.users.map((u) => u.label ?? null),
      this.groups.map((g) => g.id), this.groups.map((g) => g.name), groupType,
      this.apps, this.tokens, tokenOwner, this.rules, roleIds, roleLabels,
      ug.off, ug.idx, gu.off, gu.idx, assignments, admin, protectedUser,
      caps, capsAllUsers, capsByGroupMembers, capsByUser, capsAllGroups, capsByGroup, capsAllApps, capsByApp, capsByAppName,
      tokensOfUser, ruleEdgesInto, holdersOfRole, this.userIndex, this.groupIndex, this.appIndex,
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The graph from arrays (tests and small orgs; the loader streams into a builder instead). */
export function buildPrivilegeGraph(input: PrivilegeInput): PrivilegeGraph {
  const b = new PrivilegeGraphBuilder();
  for (const u of input.users) b.addUser(u);
  for (const g of input.groups) b.addGroup(g);
  for (const a of input.apps) b.addApp(a);
  for (const m of input.memberships) b.addMembership(m.userId, m.groupId);
  for (const a of input.roleAssignments) b.addRoleAssignment(a);
  for (const t of input.roleTargets ?? []) b.addRoleTarget(t);
  for (const r of input.customRoles ?? []) b.addCustomRole(r);
  for (const s of input.resourceSets ?? []) {
    b.addResourceSet(s.id, s.label);
    for (const r of s.resources) b.addResourceSetResource(s.id, r);
  }
  for (const t of input.apiTokens ?? []) b.addApiToken(t);
  for (const r of input.groupRules ?? []) b.addGroupRule(r);
  return b.build();
}
