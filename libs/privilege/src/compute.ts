/**
 * Effective privilege over a PrivilegeGraph: role holders (directly, through a group, as a service
 * app), control edges with the grant that creates each, and shortest paths to a set of roles by
 * one breadth-first search backwards from the roles (each node and membership touched once).
 */
import type { PrivilegeGraph } from './graph.js';
import { EDGE_KINDS, TIER_ZERO_ROLES, type EdgeKind, type Grant } from './model.js';

export interface Holder {
  /** `user:00u…` or `app:0oa…` */
  principal: string;
  role: string;
  resourceSet: string | null;
  /** [] for a direct grant, ["group:00g…"] through a group. */
  via: string[];
}

export interface PathStep {
  from: string;
  edge: EdgeKind;
  to: string;
  /** The role assignment that creates a control edge (and HasRole's own assignment). */
  grant?: Grant;
  /** The group rule of an AddedByRule edge. */
  rule?: { id: string; name: string };
}

export interface PrivilegePath {
  from: string;
  /** The role reached: `role:SUPER_ADMIN`, … */
  to: string;
  length: number;
  steps: PathStep[];
}

export interface ControlEdge {
  from: string;
  kind: EdgeKind;
  to: string;
  grant?: Grant;
  rule?: { id: string; name: string };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function grantOf(g: PrivilegeGraph, assignment: number): Grant {
  const a = g.assignments[assignment]!;
  return { principal: g.ref(a.principal), role: a.roleId, resourceSet: a.resourceSetId, assignmentId: a.assignmentId };
}

/** Every holder of every role (or of `role` only), sorted by role, resource set, principal, via. */
export function roleHolders(g: PrivilegeGraph, role?: string): Holder[] {
  const out: Holder[] = [];
  for (const a of g.assignments) {
    if (role !== undefined && a.roleId !== role) continue;
    const kind = g.kindOf(a.principal);
    if (kind === 'group') {
      const local = a.principal - g.groupBase;
      const via = [g.ref(a.principal)];
      for (let k = g.groupMemberOff[local]!; k < g.groupMemberOff[local + 1]!; k++) {
        out.push({ principal: `user:${g.userIds[g.groupMemberIdx[k]!]}`, role: a.roleId, resourceSet: a.resourceSetId, via });
      }
    } else {
      out.push({ principal: g.ref(a.principal), role: a.roleId, resourceSet: a.resourceSetId, via: [] });
    }
  }
  const key = (h: Holder): string => `${h.role}\u0000${h.resourceSet ?? ''}\u0000${h.principal}\u0000${h.via.join(',')}`;
  const keyed = out.map((h) => ({ k: key(h), h }));
  keyed.sort((x, y) => cmp(x.k, y.k));
  return keyed.map((x) => x.h);
}

const EDGE_CODE = new Map(EDGE_KINDS.map((k, i) => [k, i] as const));
const CODE_EDGE = EDGE_KINDS;
const MEMBER_OF = EDGE_CODE.get('MemberOf')!;
const HAS_ROLE = EDGE_CODE.get('HasRole')!;
const TOKEN_FOR = EDGE_CODE.get('ApiTokenFor')!;
const BY_RULE = EDGE_CODE.get('AddedByRule')!;

/**
 * The result of one backward search: for every node that reaches a target, its distance and the
 * first step of one shortest path (the next node, the edge, the grant or rule behind it). Held per
 * node of the graph, or, for a search that reached few nodes, per node reached (`slotOf`).
 */
export class ShortestPaths {
  constructor(
    readonly graph: PrivilegeGraph,
    readonly targets: number[],
    /** Steps to a target; -1 = no path. Targets are 0. Indexed by slot. */
    private readonly dist: Int32Array,
    private readonly next: Int32Array,
    private readonly edge: Uint8Array,
    /** Assignment index (control edges, HasRole) or rule index (AddedByRule), else -1. */
    private readonly ref: Int32Array,
    /** Every node reached (targets included), in the order the search reached them. */
    readonly reached: Int32Array,
    /** Node → slot of the arrays above; null when they are indexed by node. */
    private readonly slotOf: Map<number, number> | null = null,
  ) {}

  private slot(node: number): number {
    return this.slotOf ? (this.slotOf.get(node) ?? -1) : node;
  }

  /** Steps from `node` to a target; -1 when it has no path. */
  distance(node: number): number {
    const s = this.slot(node);
    return s < 0 ? -1 : (this.dist[s] as number);
  }

  reaches(node: number): boolean {
    return this.distance(node) > 0;
  }

  path(node: number): PrivilegePath | null {
    const g = this.graph;
    if (!this.reaches(node)) return null;
    const steps: PathStep[] = [];
    let v = node;
    for (let s = this.slot(v); (this.dist[s] as number) > 0; s = this.slot(v)) {
      const w = this.next[s] as number;
      const kind = CODE_EDGE[this.edge[s] as number] as EdgeKind;
      const step: PathStep = { from: g.ref(v), edge: kind, to: g.ref(w) };
      const r = this.ref[s] as number;
      if (kind === 'AddedByRule') step.rule = { id: g.rules[r]!.id, name: g.rules[r]!.name };
      else if (r >= 0) step.grant = grantOf(g, r);
      steps.push(step);
      v = w;
    }
    return { from: g.ref(node), to: g.ref(v), length: steps.length, steps };
  }

  /** Every principal (user, group, app, API token) with a path, shortest first, then by principal. */
  *paths(): Generator<PrivilegePath> {
    const g = this.graph;
    const nodes: number[] = [];
    for (const v of this.reached) if (v < g.ruleBase && this.reaches(v)) nodes.push(v);
    const refs = new Map(nodes.map((v) => [v, g.ref(v)] as const));
    nodes.sort((a, b) => this.distance(a) - this.distance(b) || cmp(refs.get(a)!, refs.get(b)!));
    for (const v of nodes) yield this.path(v)!;
  }
}

/** Role ids → their role nodes (roles nobody holds have none). */
export function roleNodes(g: PrivilegeGraph, roles: readonly string[]): number[] {
  return roles.map((r) => g.roleIds.indexOf(r)).filter((i) => i >= 0).map((i) => g.roleBase + i);
}

/**
 * Shortest paths from every node to any of `roles` (default: Tier Zero), following edges
 * backwards from the role nodes. Okta's barrier is applied while enumerating predecessors.
 */
export function shortestPaths(g: PrivilegeGraph, roles: readonly string[] = TIER_ZERO_ROLES): ShortestPaths {
  return shortestPathsTo(g, roleNodes(g, roles));
}

/** Per-node arrays of one search, kept per graph between searches (reset after each). */
interface SearchArrays {
  dist: Int32Array;
  next: Int32Array;
  edge: Uint8Array;
  ref: Int32Array;
  queue: Int32Array;
}

const searchArrays = new WeakMap<PrivilegeGraph, SearchArrays>();

function freshSearchArrays(n: number): SearchArrays {
  return { dist: new Int32Array(n).fill(-1), next: new Int32Array(n).fill(-1), edge: new Uint8Array(n), ref: new Int32Array(n).fill(-1), queue: new Int32Array(n) };
}

/**
 * Shortest paths from every node to any of the `targets` nodes (a role's node, or a principal: who can reach it).
 *
 * The search runs over arrays with a slot per node of the graph. A search that reaches few nodes
 * (who can reach one person: typically the admins, a few hundred of 100,000 nodes) copies out
 * those and resets the arrays for the next search: allocating and filling five arrays per node on
 * every person view cost more than the search itself (measured on the person route: most of the
 * server's CPU time at 100,000 users). A search that reaches much of the graph keeps the arrays.
 */
export function shortestPathsTo(g: PrivilegeGraph, targets: readonly number[]): ShortestPaths {
  const n = g.nodeCount;
  const arrays = searchArrays.get(g) ?? freshSearchArrays(n);
  searchArrays.delete(g);
  const { dist, next, edge, ref, queue } = arrays;
  let head = 0;
  let tail = 0;
  for (const t of targets) {
    if (dist[t] !== -1) continue;
    dist[t] = 0;
    queue[tail++] = t;
  }
  let current = 0;
  let d = 0;
  const visit = (p: number, kind: number, r: number): void => {
    if (dist[p] !== -1) return;
    dist[p] = d;
    next[p] = current;
    edge[p] = kind;
    ref[p] = r;
    queue[tail++] = p;
  };
  // Grants over every user (or every group) are the same predecessors for each of them: the first
  // user dequeued visits them all, at the smallest distance any user has (breadth first), so for
  // later users they can only find nodes visited already. Skipping them keeps a search that reaches
  // many users linear: with 500 org admins, each user reached would otherwise walk all 500 grants.
  const orgWide = { users: true, groups: true };
  while (head < tail) {
    current = queue[head++]!;
    d = dist[current]! + 1;
    forEachPredecessor(g, current, visit, orgWide);
  }
  if (tail * 8 >= n) return new ShortestPaths(g, [...targets], dist, next, edge, ref, queue.subarray(0, tail));
  const slotOf = new Map<number, number>();
  const sDist = new Int32Array(tail);
  const sNext = new Int32Array(tail);
  const sEdge = new Uint8Array(tail);
  const sRef = new Int32Array(tail);
  const reached = queue.slice(0, tail);
  for (let i = 0; i < tail; i++) {
    const v = reached[i]!;
    slotOf.set(v, i);
    sDist[i] = dist[v]!;
    sNext[i] = next[v]!;
    sEdge[i] = edge[v]!;
    sRef[i] = ref[v]!;
    dist[v] = -1;
    next[v] = -1;
    edge[v] = 0;
    ref[v] = -1;
  }
  searchArrays.set(g, arrays);
  return new ShortestPaths(g, [...targets], sDist, sNext, sEdge, sRef, reached, slotOf);
}

export type Visit = (from: number, edgeCode: number, ref: number) => void;

/** Edge kind of an edge code handed to a Visit. */
export function edgeKindOf(code: number): EdgeKind {
  return CODE_EDGE[code] as EdgeKind;
}

/**
 * Which grants over every user, group or app forEachPredecessor enumerates: all (true), none
 * (false: the OpenGraph export routes those through one scope node each instead of an edge per
 * target), or, given an object, those over every user and every group the first time only (it
 * clears its flag), those over every app always (each app filters them on its own properties).
 */
export type OrgWideGrants = boolean | { users: boolean; groups: boolean };

/** Calls `visit` for every edge into `v` (structural and control), with Okta's barrier applied. */
export function forEachPredecessor(g: PrivilegeGraph, v: number, visit: Visit, orgWide: OrgWideGrants = true): void {
  const kind = g.kindOf(v);
  if (kind === 'role') {
    for (const ai of g.holdersOfRole.get(v) ?? []) visit(g.assignments[ai]!.principal, HAS_ROLE, ai);
    return;
  }
  if (kind === 'user') {
    for (const t of g.tokensOfUser.get(v) ?? []) visit(g.tokenBase + t, TOKEN_FOR, -1);
    if (g.protectedUser[v]) return;
    const capVisit = (c: number): void => {
      const cap = g.caps[c]!;
      visit(g.assignments[cap.assignment]!.principal, EDGE_CODE.get(cap.kind)!, cap.assignment);
    };
    if (orgWide === true) g.capsAllUsers.forEach(capVisit);
    else if (orgWide && orgWide.users) {
      orgWide.users = false;
      g.capsAllUsers.forEach(capVisit);
    }
    g.capsByUser.get(v)?.forEach(capVisit);
    if (g.capsByGroupMembers.size > 0) {
      for (let k = g.userGroupOff[v]!; k < g.userGroupOff[v + 1]!; k++) g.capsByGroupMembers.get(g.userGroupIdx[k]!)?.forEach(capVisit);
    }
    return;
  }
  if (kind === 'group') {
    const local = v - g.groupBase;
    for (let k = g.groupMemberOff[local]!; k < g.groupMemberOff[local + 1]!; k++) visit(g.groupMemberIdx[k]!, MEMBER_OF, -1);
    for (const e of g.ruleEdgesInto.get(local) ?? []) visit(e.from, BY_RULE, e.rule);
    // Members of OKTA_GROUPs only can be changed; only SUPER_ADMIN changes an admin group's.
    if (g.groupType[local] !== 0 || g.admin[v]) return;
    const capVisit = (c: number): void => {
      const cap = g.caps[c]!;
      visit(g.assignments[cap.assignment]!.principal, EDGE_CODE.get(cap.kind)!, cap.assignment);
    };
    if (orgWide === true) g.capsAllGroups.forEach(capVisit);
    else if (orgWide && orgWide.groups) {
      orgWide.groups = false;
      g.capsAllGroups.forEach(capVisit);
    }
    g.capsByGroup.get(local)?.forEach(capVisit);
    return;
  }
  if (kind === 'app') {
    const local = v - g.appBase;
    const app = g.apps[local]!;
    const privileged = g.admin[v] === 1;
    const capVisit = (c: number): void => {
      const cap = g.caps[c]!;
      if (cap.oauthOnly && !app.clientId) return;
      // Okta's barrier covers managing a privileged app; reading its client secret is the exception.
      if (cap.kind === 'ManageApp' && privileged) return;
      if (cap.kind === 'ReadClientSecret' && !app.hasClientSecret) return;
      visit(g.assignments[cap.assignment]!.principal, EDGE_CODE.get(cap.kind)!, cap.assignment);
    };
    if (orgWide !== false) g.capsAllApps.forEach(capVisit);
    g.capsByApp.get(local)?.forEach(capVisit);
    g.capsByAppName.get(app.name)?.forEach(capVisit);
  }
}

/**
 * Every edge of the graph with what creates it: memberships, role assignments, API tokens, group
 * rules and control edges (barrier applied; SUPER_ADMIN's edges are implied and not listed).
 * A generator: an org admin alone has an edge to every user that holds no admin role.
 */
export function* privilegeEdges(g: PrivilegeGraph, opts: { structural?: boolean } = {}): Generator<ControlEdge> {
  if (opts.structural ?? true) {
    for (let u = 0; u < g.userIds.length; u++) {
      for (let k = g.userGroupOff[u]!; k < g.userGroupOff[u + 1]!; k++) yield { from: g.ref(u), kind: 'MemberOf', to: g.ref(g.groupBase + g.userGroupIdx[k]!) };
    }
    for (const [ai, a] of g.assignments.entries()) yield { from: g.ref(a.principal), kind: 'HasRole', to: g.ref(a.role), grant: grantOf(g, ai) };
    for (let t = 0; t < g.tokens.length; t++) if (g.tokenOwner[t]! >= 0) yield { from: g.ref(g.tokenBase + t), kind: 'ApiTokenFor', to: g.ref(g.tokenOwner[t]!) };
  }
  for (const [local, edges] of g.ruleEdgesInto) {
    for (const e of edges) yield { from: g.ref(e.from), kind: 'AddedByRule', to: g.ref(g.groupBase + local), rule: { id: g.rules[e.rule]!.id, name: g.rules[e.rule]!.name } };
  }
  // Control edges: every predecessor enumeration of users, groups and apps, minus the structural ones.
  const out: ControlEdge[] = [];
  // A user in two target groups of one grant is reached twice: list the edge once.
  const seen = new Set<number>();
  const collect = (to: number) => (from: number, code: number, r: number): void => {
    if (code === MEMBER_OF || code === TOKEN_FOR || code === BY_RULE) return;
    const key = r * 16 + code;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ from: g.ref(from), kind: CODE_EDGE[code] as EdgeKind, to: g.ref(to), grant: grantOf(g, r) });
  };
  for (let v = 0; v < g.tokenBase; v++) {
    forEachPredecessor(g, v, collect(v));
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
    seen.clear();
  }
}
