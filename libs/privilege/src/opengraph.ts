/**
 * The privilege graph as BloodHound OpenGraph JSON (`{"metadata":{"source_kind"},"graph":{"nodes":
 * [{id, kinds, properties}], "edges":[{start:{value, match_by}, end:{…}, kind, properties}]}}`,
 * https://bloodhound.specterops.io/opengraph/), which BloodHound Community Edition imports. Node and
 * edge kinds are listed in README.md. Written as a stream of JSON text chunks: an org admin alone
 * controls every user, so grants that cover every user, group or app go through one scope node
 * each (`Okta_Scope`, with `Okta_ScopeContains` edges to what they cover) instead of an edge per
 * target.
 */
import { edgeKindOf, forEachPredecessor, grantOf, roleHolders } from './compute.js';
import type { PrivilegeGraph } from './graph.js';
import { TIER_ZERO_ROLES } from './model.js';

export const OPENGRAPH_SOURCE_KIND = 'Okta';

type Props = Record<string, string | number | boolean | string[]>;

/** Drops null/undefined values: OpenGraph properties are primitives or arrays of them. */
function props(p: Record<string, string | number | boolean | string[] | null | undefined>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(p)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

interface Scope {
  id: string;
  name: string;
  contains: (g: PrivilegeGraph) => Iterable<number>;
}

/** The org-wide scopes (grants covering every user, group or app that Okta's barrier lets them act on). */
function scopes(orgHost: string): Record<string, Scope> {
  const apps = (g: PrivilegeGraph, pick: (local: number) => boolean) => function* () {
    for (let a = 0; a < g.apps.length; a++) if (pick(a)) yield g.appBase + a;
  }();
  return {
    users: {
      id: `${orgHost}:scope:users`, name: 'Every user without an admin role',
      contains: (g) => function* () { for (let u = 0; u < g.userIds.length; u++) if (!g.protectedUser[u]) yield u; }(),
    },
    groups: {
      id: `${orgHost}:scope:groups`, name: 'Every Okta group without an admin role',
      contains: (g) => function* () { for (let k = 0; k < g.groupIds.length; k++) if (g.groupType[k] === 0 && !g.admin[g.groupBase + k]) yield g.groupBase + k; }(),
    },
    manageApps: { id: `${orgHost}:scope:apps`, name: 'Every app without an admin role', contains: (g) => apps(g, (a) => !g.admin[g.appBase + a]) },
    manageOauthApps: { id: `${orgHost}:scope:oauth-apps`, name: 'Every OAuth client app without an admin role', contains: (g) => apps(g, (a) => !g.admin[g.appBase + a] && !!g.apps[a]!.clientId) },
    readSecrets: { id: `${orgHost}:scope:app-secrets`, name: 'Every app with a client secret', contains: (g) => apps(g, (a) => g.apps[a]!.hasClientSecret) },
    readOauthSecrets: { id: `${orgHost}:scope:oauth-app-secrets`, name: 'Every OAuth client app with a client secret', contains: (g) => apps(g, (a) => g.apps[a]!.hasClientSecret && !!g.apps[a]!.clientId) },
  };
}

/**
 * OpenGraph JSON of the graph, in chunks. `orgHost` (e.g. acme.okta.com) makes the ids of role and
 * scope nodes unique across orgs; Okta's own ids already are.
 */
export function* openGraphJson(g: PrivilegeGraph, opts: { orgHost: string }): Generator<string> {
  const host = opts.orgHost.toLowerCase();
  const id = (node: number): string => {
    const kind = g.kindOf(node);
    if (kind === 'role') return `${g.roleIds[node - g.roleBase]}@${host}`;
    return g.ref(node).slice(kind.length + 1);
  };
  const tierZero = new Set<string>();
  for (const role of TIER_ZERO_ROLES) for (const h of roleHolders(g, role)) tierZero.add(h.principal);

  yield `{"metadata":${JSON.stringify({ source_kind: OPENGRAPH_SOURCE_KIND })},"graph":{"nodes":[`;
  let first = true;
  const node = (nodeId: string, kinds: string[], properties: Props): string => {
    const text = `${first ? '' : ','}\n${JSON.stringify({ id: nodeId, kinds, properties })}`;
    first = false;
    return text;
  };
  for (let u = 0; u < g.userIds.length; u++) {
    yield node(id(u), ['Okta_User'], props({ name: g.label(u), objectid: g.userIds[u], status: g.userStatus[u], tier_zero: tierZero.has(g.ref(u)) }));
  }
  for (let k = 0; k < g.groupIds.length; k++) {
    const v = g.groupBase + k;
    yield node(id(v), ['Okta_Group'], props({ name: g.groupNames[k], objectid: g.groupIds[k], admin: g.admin[v] === 1 }));
  }
  for (let a = 0; a < g.apps.length; a++) {
    const app = g.apps[a]!;
    const v = g.appBase + a;
    yield node(id(v), app.isServiceApp ? ['Okta_Application', 'Okta_ServiceApp'] : ['Okta_Application'], props({
      name: app.label ?? app.name, objectid: app.id, catalog_name: app.name, client_id: app.clientId, client_secret: app.hasClientSecret, tier_zero: tierZero.has(g.ref(v)),
    }));
  }
  for (let t = 0; t < g.tokens.length; t++) {
    const tok = g.tokens[t]!;
    yield node(id(g.tokenBase + t), ['Okta_ApiToken'], props({ name: tok.name, objectid: tok.id, owner: tok.userId }));
  }
  for (let r = 0; r < g.rules.length; r++) {
    const rule = g.rules[r]!;
    yield node(id(g.ruleBase + r), ['Okta_GroupRule'], props({ name: rule.name, objectid: rule.id, status: rule.status, expression: rule.expression }));
  }
  for (let r = 0; r < g.roleIds.length; r++) {
    const roleId = g.roleIds[r]!;
    const custom = g.roleLabels.has(roleId);
    yield node(id(g.roleBase + r), [custom ? 'Okta_CustomRole' : 'Okta_Role'], props({
      name: g.roleLabels.get(roleId) ?? roleId, objectid: roleId, tier_zero: (TIER_ZERO_ROLES as readonly string[]).includes(roleId),
    }));
  }
  // Org-wide grants, by the scope they cover.
  const all = scopes(host);
  const used = new Map<string, { scope: Scope; caps: number[] }>();
  const useScope = (key: string, c: number): void => {
    const entry = used.get(key) ?? { scope: all[key]!, caps: [] };
    entry.caps.push(c);
    used.set(key, entry);
  };
  for (const c of g.capsAllUsers) useScope('users', c);
  for (const c of g.capsAllGroups) useScope('groups', c);
  for (const c of g.capsAllApps) {
    const cap = g.caps[c]!;
    useScope(cap.kind === 'ManageApp' ? (cap.oauthOnly ? 'manageOauthApps' : 'manageApps') : cap.oauthOnly ? 'readOauthSecrets' : 'readSecrets', c);
  }
  for (const { scope } of used.values()) yield node(scope.id, ['Okta_Scope'], props({ name: scope.name, objectid: scope.id }));

  yield '\n],"edges":[';
  first = true;
  const edge = (from: string, to: string, kind: string, properties: Props): string => {
    const text = `${first ? '' : ','}\n${JSON.stringify({ start: { value: from, match_by: 'id' }, end: { value: to, match_by: 'id' }, kind, properties })}`;
    first = false;
    return text;
  };
  const grantProps = (assignment: number): Props => {
    const gr = grantOf(g, assignment);
    return props({ grant_principal: gr.principal, grant_role: gr.role, grant_resource_set: gr.resourceSet, grant_assignment_id: gr.assignmentId });
  };
  for (let u = 0; u < g.userIds.length; u++) {
    for (let k = g.userGroupOff[u]!; k < g.userGroupOff[u + 1]!; k++) yield edge(id(u), id(g.groupBase + g.userGroupIdx[k]!), 'Okta_MemberOf', {});
  }
  for (const [ai, a] of g.assignments.entries()) yield edge(id(a.principal), id(a.role), 'Okta_HasRole', grantProps(ai));
  for (let t = 0; t < g.tokens.length; t++) if (g.tokenOwner[t]! >= 0) yield edge(id(g.tokenBase + t), id(g.tokenOwner[t]!), 'Okta_ApiTokenFor', {});
  for (const [local, edges] of g.ruleEdgesInto) {
    for (const e of edges) yield edge(id(e.from), id(g.groupBase + local), 'Okta_AddedByRule', props({ rule_id: g.rules[e.rule]!.id, rule_name: g.rules[e.rule]!.name }));
  }
  // Control edges to single targets (role targets, resource sets).
  const seen = new Set<number>();
  const pending: string[] = [];
  for (let v = 0; v < g.tokenBase; v++) {
    forEachPredecessor(g, v, (from, code, r) => {
      const kind = edgeKindOf(code);
      if (kind === 'MemberOf' || kind === 'ApiTokenFor' || kind === 'AddedByRule') return;
      const key = r * 16 + code;
      if (seen.has(key)) return;
      seen.add(key);
      pending.push(edge(id(from), id(v), `Okta_${kind}`, grantProps(r)));
    }, false);
    seen.clear();
    if (pending.length) {
      yield pending.join('');
      pending.length = 0;
    }
  }
  // Org-wide grants: the principal to the scope (both reset kinds for users), the scope to what it covers.
  for (const { scope, caps } of used.values()) {
    for (const c of caps) {
      const cap = g.caps[c]!;
      yield edge(id(g.assignments[cap.assignment]!.principal), scope.id, `Okta_${cap.kind}`, grantProps(cap.assignment));
    }
    for (const target of scope.contains(g)) yield edge(scope.id, id(target), 'Okta_ScopeContains', {});
  }
  yield '\n]}}\n';
}
