/** The org as graph-export lines (the contract of `idgraph graph export`). */
import type { ExportLine } from '@idgraph/graph';
import { exportLine } from '@idgraph/graph';
import type { SimOrgState } from './model.js';
import { appUsersOf, sortedIds } from './queries.js';

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
  const out = sortLikeExportFormat(nodes);
  for (const id of userIds) {
    const u = org.users.get(id);
    if (u) out.push(exportLine.user({ id: u.id, status: u.status, login: u.profile.login }));
  }

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
  out.push(...sortLikeExportFormat(roleEdges));
  for (const userId of userIds) {
    for (const groupId of sortedIds(org.userGroups.get(userId) ?? [])) out.push(exportLine.memberOf({ userId, groupId }));
  }
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
  const keyed = lines.map((line) => {
    const key = line.type === 'node'
      ? `0\u0000${line.kind}\u0000${line.id}`
      : `1\u0000${line.kind}\u0000${line.from}\u0000${line.to}\u0000${typeof line.resourceSet === 'string' ? line.resourceSet : ''}`;
    return { key, line };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => k.line);
}
