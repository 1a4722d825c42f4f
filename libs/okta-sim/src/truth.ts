/** The org as graph-export lines (the contract of `idgraph graph export`). */
import type { ExportLine } from '@idgraph/graph';
import { exportLine } from '@idgraph/graph';
import type { SimOrgState } from './model.js';
import { appUsersOf } from './queries.js';

/**
 * Every user (DEPROVISIONED included), group, app (service apps included), factor, role and
 * resource set, and every membership (Everyone included), app assignment (users with their scope
 * USER/GROUP as /apps/{id}/users lists them, and groups), role assignment and factor edge.
 * Role nodes: one per standard role type that is assigned at least once (id = type, label null)
 * and one per custom role (id = cr0…).
 */
export function orgTruth(org: SimOrgState): ExportLine[] {
  const lines: ExportLine[] = [];
  for (const u of org.users.values()) lines.push(exportLine.user({ id: u.id, status: u.status, login: u.profile.login }));
  for (const g of org.groups.values()) lines.push(exportLine.group({ id: g.id, name: g.name, groupType: g.type }));
  for (const a of org.apps.values()) lines.push(exportLine.app({ id: a.id, status: a.status, name: a.name, label: a.label, signOnMode: a.signOnMode }));
  for (const list of org.factors.values()) {
    for (const f of list) {
      lines.push(exportLine.factor({ id: f.id, status: f.status, factorType: f.factorType, provider: f.provider, userId: f.userId }));
      lines.push(exportLine.hasFactor({ userId: f.userId, factorId: f.id }));
    }
  }
  const standardTypes = new Set<string>();
  for (const r of org.roleAssignments.values()) {
    if (r.type !== 'CUSTOM') standardTypes.add(r.type);
    lines.push(exportLine.hasRole({
      principalKind: r.principalKind, principalId: r.principalId,
      roleId: r.type === 'CUSTOM' ? (r.customRoleId as string) : r.type, resourceSetId: r.resourceSetId ?? '',
    }));
  }
  for (const t of standardTypes) lines.push(exportLine.role({ id: t, custom: false, label: null }));
  for (const r of org.customRoles.values()) lines.push(exportLine.role({ id: r.id, custom: true, label: r.label }));
  for (const s of org.resourceSets.values()) lines.push(exportLine.resourceSet({ id: s.id, label: s.label }));
  for (const [groupId, members] of org.groupMembers) for (const userId of members) lines.push(exportLine.memberOf({ userId, groupId }));
  for (const appId of org.apps.keys()) {
    for (const au of appUsersOf(org, appId)) lines.push(exportLine.userAssignedTo({ userId: au.userId, appId, scope: au.scope }));
    for (const ga of org.appGroupAssignments.get(appId)?.values() ?? []) lines.push(exportLine.groupAssignedTo({ groupId: ga.groupId, appId, priority: ga.priority }));
  }
  return sortLikeExportFormat(lines);
}

/**
 * The order of `sortExportLines` (nodes, then edges; by kind, then ids), computing each line's
 * key once: the comparator-based sort recomputes keys per comparison, which takes ~40 s for the
 * ~3M lines of a 100k-user org. A test asserts both orders agree.
 */
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
