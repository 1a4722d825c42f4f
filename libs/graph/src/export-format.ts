/**
 * The graph-export line format (a public contract: `idgraph graph export`, `sim.truth()`).
 * Builders fix each line's fields and their order, so two producers of the same graph emit
 * byte-identical JSONL.
 */
import type { ExportEdge, ExportLine, ExportNode } from './model.js';

/** How a user, group or member_of edge arrived: Okta's API (collection, System Log), SCIM provisioning, or both. */
export type ArrivedVia = 'api' | 'scim' | 'both';

/**
 * From a row's via_scim and whether Okta's API ever read it (a collection run saw it: last_run_id,
 * or a read's time was stored: observed_at; see API_READ_SQL): SCIM only until the API reads it.
 */
export function arrivedVia(viaScim: boolean, apiRead: boolean): ArrivedVia {
  if (!viaScim) return 'api';
  return apiRead ? 'both' : 'scim';
}

/** SQL (over a graph row aliased t, or unqualified with alias '') true once Okta's API has read the row. */
export function apiReadSql(alias = 't'): string {
  const a = alias ? `${alias}.` : '';
  return `(${a}"last_run_id" IS NOT NULL OR ${a}"observed_at" IS NOT NULL)`;
}

export const exportLine = {
  user: (u: { id: string; status: string; login: string | null; arrivedVia?: ArrivedVia }): ExportNode => ({
    type: 'node', kind: 'user', id: u.id, status: u.status, login: u.login, arrivedVia: u.arrivedVia ?? 'api',
  }),
  group: (g: { id: string; name: string; groupType: string; arrivedVia?: ArrivedVia }): ExportNode => ({
    type: 'node', kind: 'group', id: g.id, name: g.name, groupType: g.groupType, arrivedVia: g.arrivedVia ?? 'api',
  }),
  app: (a: { id: string; status: string; name: string; label: string | null; signOnMode: string | null }): ExportNode => ({
    type: 'node', kind: 'app', id: a.id, status: a.status, name: a.name, label: a.label, signOnMode: a.signOnMode,
  }),
  factor: (f: { id: string; status: string; factorType: string; provider: string | null; userId: string }): ExportNode => ({
    type: 'node', kind: 'factor', id: f.id, status: f.status, factorType: f.factorType, provider: f.provider, userId: f.userId,
  }),
  /** Standard roles: id = role type, custom false, label null. Custom roles: id = role id. */
  role: (r: { id: string; custom: boolean; label: string | null }): ExportNode => ({
    type: 'node', kind: 'role', id: r.id, custom: r.custom, label: r.label,
  }),
  resourceSet: (s: { id: string; label: string }): ExportNode => ({
    type: 'node', kind: 'resource_set', id: s.id, label: s.label,
  }),
  memberOf: (e: { userId: string; groupId: string; arrivedVia?: ArrivedVia }): ExportEdge => ({
    type: 'edge', kind: 'member_of', from: `user:${e.userId}`, to: `group:${e.groupId}`, arrivedVia: e.arrivedVia ?? 'api',
  }),
  userAssignedTo: (e: { userId: string; appId: string; scope: string | null }): ExportEdge => ({
    type: 'edge', kind: 'assigned_to', from: `user:${e.userId}`, to: `app:${e.appId}`, scope: e.scope,
  }),
  groupAssignedTo: (e: { groupId: string; appId: string; priority: number | null }): ExportEdge => ({
    type: 'edge', kind: 'assigned_to', from: `group:${e.groupId}`, to: `app:${e.appId}`, priority: e.priority,
  }),
  hasRole: (e: { principalKind: 'user' | 'group' | 'app'; principalId: string; roleId: string; resourceSetId: string }): ExportEdge => ({
    type: 'edge', kind: 'has_role', from: `${e.principalKind}:${e.principalId}`, to: `role:${e.roleId}`,
    resourceSet: e.resourceSetId === '' ? null : e.resourceSetId,
  }),
  hasFactor: (e: { userId: string; factorId: string }): ExportEdge => ({
    type: 'edge', kind: 'has_factor', from: `user:${e.userId}`, to: `factor:${e.factorId}`,
  }),
  apiToken: (t: { id: string; name: string; userId: string }): ExportNode => ({
    type: 'node', kind: 'api_token', id: t.id, name: t.name, userId: t.userId,
  }),
  actsAs: (e: { tokenId: string; userId: string }): ExportEdge => ({
    type: 'edge', kind: 'acts_as', from: `api_token:${e.tokenId}`, to: `user:${e.userId}`,
  }),
  credential: (c: { id: string; appId: string; credentialType: string; status: string }): ExportNode => ({
    type: 'node', kind: 'credential', id: c.id, appId: c.appId, credentialType: c.credentialType, status: c.status,
  }),
  hasCredential: (e: { appId: string; credentialId: string }): ExportEdge => ({
    type: 'edge', kind: 'has_credential', from: `app:${e.appId}`, to: `credential:${e.credentialId}`,
  }),
  groupRule: (r: { id: string; name: string; status: string; expression: string | null }): ExportNode => ({
    type: 'node', kind: 'group_rule', id: r.id, name: r.name, status: r.status, expression: r.expression,
  }),
  addsTo: (e: { ruleId: string; groupId: string }): ExportEdge => ({
    type: 'edge', kind: 'adds_to', from: `group_rule:${e.ruleId}`, to: `group:${e.groupId}`,
  }),
  /** A custom role's permission; `to` names the permission (Okta's fixed vocabulary has no node lines). */
  hasPermission: (e: { roleId: string; permission: string }): ExportEdge => ({
    type: 'edge', kind: 'has_permission', from: `role:${e.roleId}`, to: `permission:${e.permission}`,
  }),
  /** A resource of a resource set: `to` is the user, group or app it names, else the ORN itself. */
  contains: (e: { resourceSetId: string; targetKind: string; targetId: string | null; orn: string }): ExportEdge => ({
    type: 'edge', kind: 'contains', from: `resource_set:${e.resourceSetId}`, to: containedRef(e), targetKind: e.targetKind, orn: e.orn,
  }),
  /** A target of a scoped standard role assignment (`role`) held by `from`. */
  scopedTo: (e: { principalKind: string; principalId: string; roleId: string; targetKind: string; targetId: string }): ExportEdge => ({
    type: 'edge', kind: 'scoped_to', from: `${e.principalKind}:${e.principalId}`,
    to: e.targetKind === 'catalog_app' ? `app_type:${e.targetId}` : `${e.targetKind}:${e.targetId}`, role: e.roleId,
  }),
};

function containedRef(e: { targetKind: string; targetId: string | null; orn: string }): string {
  if (e.targetId === null) return e.orn;
  switch (e.targetKind) {
    case 'user': return `user:${e.targetId}`;
    case 'group':
    case 'group_members': return `group:${e.targetId}`;
    case 'app': return `app:${e.targetId}`;
    default: return e.orn;
  }
}

/** Nodes by kind and id; edges by kind, from, to, then what tells parallel edges apart (resource set, role, target kind). */
export function exportSortKey(line: ExportLine): string {
  if (line.type === 'node') return `0\u0000${line.kind}\u0000${line.id}`;
  const rs = typeof line.resourceSet === 'string' ? line.resourceSet : '';
  const role = typeof line.role === 'string' ? line.role : '';
  const targetKind = typeof line.targetKind === 'string' ? line.targetKind : '';
  return `1\u0000${line.kind}\u0000${line.from}\u0000${line.to}\u0000${rs}\u0000${role}\u0000${targetKind}`;
}

const sortKey = exportSortKey;

export function compareExportLines(a: ExportLine, b: ExportLine): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Sorts in place (nodes first, then edges; by kind, then ids) and returns the array. */
export function sortExportLines<T extends ExportLine>(lines: T[]): T[] {
  return lines.sort(compareExportLines);
}

export function toJsonl(lines: ExportLine[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
}

/** Export lines as JSONL text in chunks of about `chunkChars` (one write per chunk, not per line). */
export async function* jsonlChunks(lines: AsyncIterable<ExportLine>, chunkChars = 1 << 16): AsyncGenerator<string> {
  let buffer = '';
  for await (const line of lines) {
    buffer += JSON.stringify(line) + '\n';
    if (buffer.length > chunkChars) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}
