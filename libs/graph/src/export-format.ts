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
};

function sortKey(line: ExportLine): string {
  if (line.type === 'node') return `0\u0000${line.kind}\u0000${line.id}`;
  const rs = typeof line.resourceSet === 'string' ? line.resourceSet : '';
  return `1\u0000${line.kind}\u0000${line.from}\u0000${line.to}\u0000${rs}`;
}

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
