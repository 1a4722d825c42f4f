/** The org as graph-export lines (the contract of `idgraph graph export`). */
import type { ExportLine } from '@idgraph/graph';
import { exportLine, exportSortKey } from '@idgraph/graph';
import type { SimOrgState } from './model.js';
import { appUsersOf, resourceOrn, sortedIds } from './queries.js';

/**
 * Every user (DEPROVISIONED included), group, app (service apps included), factor, role and
 * resource set, and every membership (Everyone included), app assignment (users with their scope
 * USER/GROUP as /apps/{id}/users lists them, and groups), role assignment and factor edge.
 * Role nodes: one per standard role type that is assigned at least once (id = type, label null)
 * and one per custom role (id = cr0…).
 *
 * Lines come out in `sortExportLines` order (nodes, then edges; by kind, then ids). The big edge
 * kinds are emitted already in order (users sorted, each user's targets sorted) instead of
 * sorting ~3M lines of a 100k-user org at the end; a test asserts the order is identical.
 */
export function orgTruth(org: SimOrgState): ExportLine[] {
  const userIds = sortedIds(org.users.keys());
  const nodes: ExportLine[] = [];
  for (const a of org.apps.values()) nodes.push(exportLine.app({ id: a.id, status: a.status, name: a.name, label: a.label, signOnMode: a.signOnMode }));
  for (const list of org.factors.values()) {
    for (const f of list) nodes.push(exportLine.factor({ id: f.id, status: f.status, factorType: f.factorType, provider: f.provider, userId: f.userId }));
  }
  for (const g of org.groups.values()) nodes.push(exportLine.group({ id: g.id, name: g.name, groupType: g.type }));
  for (const s of org.resourceSets.values()) nodes.push(exportLine.resourceSet({ id: s.id, label: s.label }));
  const standardTypes = new Set<string>();
  for (const r of org.roleAssignments.values()) if (r.type !== 'CUSTOM') standardTypes.add(r.type);
  for (const t of standardTypes) nodes.push(exportLine.role({ id: t, custom: false, label: null }));
  for (const r of org.customRoles.values()) nodes.push(exportLine.role({ id: r.id, custom: true, label: r.label }));
  for (const t of org.apiTokens.values()) nodes.push(exportLine.apiToken({ id: t.id, name: t.name, userId: t.userId }));
  for (const a of org.apps.values()) {
    if (!a.clientId) continue;
    for (const c of a.clientSecrets) nodes.push(exportLine.credential({ id: c.id, appId: a.id, credentialType: 'client_secret', status: c.status }));
    for (const k of a.jwks) nodes.push(exportLine.credential({ id: k.id, appId: a.id, credentialType: 'jwk', status: k.status }));
  }
  for (const r of org.groupRules.values()) nodes.push(exportLine.groupRule({ id: r.id, name: r.name, status: r.status, expression: r.expression }));
  const out = sortLikeExportFormat(nodes);
  for (const id of userIds) {
    const u = org.users.get(id);
    if (u) out.push(exportLine.user({ id: u.id, status: u.status, login: u.profile.login }));
  }

  // The privilege edges (a few hundred lines): built, then sorted once.
  const privilege: ExportLine[] = [];
  for (const t of org.apiTokens.values()) privilege.push(exportLine.actsAs({ tokenId: t.id, userId: t.userId }));
  for (const a of org.apps.values()) {
    if (!a.clientId) continue;
    for (const c of [...a.clientSecrets, ...a.jwks]) privilege.push(exportLine.hasCredential({ appId: a.id, credentialId: c.id }));
  }
  for (const r of org.groupRules.values()) for (const g of r.targetGroupIds) privilege.push(exportLine.addsTo({ ruleId: r.id, groupId: g }));
  for (const r of org.customRoles.values()) for (const p of r.permissions) privilege.push(exportLine.hasPermission({ roleId: r.id, permission: p }));
  for (const set of org.resourceSets.values()) {
    for (const res of set.resources) {
      const ref = res.ref;
      const target =
        ref.kind === 'allUsers' ? { targetKind: 'all_users', targetId: null }
          : ref.kind === 'allGroups' ? { targetKind: 'all_groups', targetId: null }
            : ref.kind === 'allApps' ? { targetKind: 'all_apps', targetId: null }
              : ref.kind === 'user' ? { targetKind: 'user', targetId: ref.userId }
                : ref.kind === 'group' ? { targetKind: 'group', targetId: ref.groupId }
                  : ref.kind === 'groupMembers' ? { targetKind: 'group_members', targetId: ref.groupId }
                    : ref.kind === 'appType' ? { targetKind: 'app_type', targetId: ref.appName }
                      : { targetKind: 'app', targetId: ref.appId };
      privilege.push(exportLine.contains({ resourceSetId: set.id, ...target, orn: resourceOrn(org, ref).orn }));
    }
  }
  for (const r of org.roleAssignments.values()) {
    for (const g of r.groupTargets.filter((id) => org.groups.has(id))) privilege.push(exportLine.scopedTo({ principalKind: r.principalKind, principalId: r.principalId, roleId: r.type, targetKind: 'group', targetId: g }));
    for (const t of r.appTargets) {
      privilege.push(exportLine.scopedTo({ principalKind: r.principalKind, principalId: r.principalId, roleId: r.type, targetKind: t.appId ? 'app' : 'catalog_app', targetId: t.appId ?? t.name }));
    }
  }
  const sortedPrivilege = sortLikeExportFormat(privilege);
  // Each kind goes where its name sorts among the other edge kinds.
  const privilegeEdges = (kinds: readonly string[]): ExportLine[] => sortedPrivilege.filter((l) => kinds.includes(l.kind));
  out.push(...privilegeEdges(['acts_as', 'adds_to']));

  // assigned_to: group sources ("group:…") sort before user sources ("user:…").
  const groupApps = new Map<string, { appId: string; priority: number }[]>();
  const userApps = new Map<string, { appId: string; scope: string }[]>();
  for (const appId of org.apps.keys()) {
    for (const ga of org.appGroupAssignments.get(appId)?.values() ?? []) push(groupApps, ga.groupId, { appId, priority: ga.priority });
    for (const au of appUsersOf(org, appId)) push(userApps, au.userId, { appId, scope: au.scope });
  }
  for (const groupId of sortedIds(groupApps.keys())) {
    for (const e of sortBy(groupApps.get(groupId) ?? [], (x) => x.appId)) out.push(exportLine.groupAssignedTo({ groupId, appId: e.appId, priority: e.priority }));
  }
  for (const userId of sortedIds(userApps.keys())) {
    for (const e of sortBy(userApps.get(userId) ?? [], (x) => x.appId)) out.push(exportLine.userAssignedTo({ userId, appId: e.appId, scope: e.scope }));
  }
  out.push(...privilegeEdges(['contains', 'has_credential']));
  for (const userId of sortedIds(org.factors.keys())) {
    for (const f of sortBy(org.factors.get(userId) ?? [], (x) => x.id)) out.push(exportLine.hasFactor({ userId, factorId: f.id }));
  }
  const roleEdges: ExportLine[] = [];
  for (const r of org.roleAssignments.values()) {
    roleEdges.push(exportLine.hasRole({
      principalKind: r.principalKind, principalId: r.principalId,
      roleId: r.type === 'CUSTOM' ? (r.customRoleId as string) : r.type, resourceSetId: r.resourceSetId ?? '',
    }));
  }
  out.push(...privilegeEdges(['has_permission']));
  out.push(...sortLikeExportFormat(roleEdges));

  for (const userId of userIds) {
    for (const groupId of sortedIds(org.userGroups.get(userId) ?? [])) out.push(exportLine.memberOf({ userId, groupId }));
  }
  out.push(...privilegeEdges(['scoped_to']));
  return out;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sortBy<T>(items: T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The order of `sortExportLines`, computing each line's key once (for small line sets here). */
export function sortLikeExportFormat(lines: ExportLine[]): ExportLine[] {
  const keyed = lines.map((line) => ({ key: exportSortKey(line), line }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.line);
}
