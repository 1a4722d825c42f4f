/**
 * Export lines read whole rather than keyset-paged: role nodes, resource set `contains` edges and
 * role targets' `scoped_to` edges.
 *
 * Role nodes of the graph export. Standard roles have no row of their own: they are the distinct
 * role types of standard assignments (a standard role counts as deleted once every principal
 * holding it is). Custom roles are the rows of `roles`. Both sets are small (dozens to hundreds),
 * so they are read whole and sorted here.
 */
import { sql } from 'drizzle-orm';
import { compareExportLines, exportLine } from './export-format.js';
import type { Executor } from './executor.js';
import type { ExportLine } from './model.js';
import { deletedWhen, tombstonedEndpoint } from './resource-spec.js';
import * as schema from './schema.js';

/** A role assignment's user or group principal is tombstoned (columns of role_assignments). */
const PRINCIPAL_TOMBSTONED = [
  tombstonedEndpoint({ field: 'principal_id', table: schema.users, when: { field: 'principal_kind', is: 'user' } }),
  tombstonedEndpoint({ field: 'principal_id', table: schema.groups, when: { field: 'principal_kind', is: 'group' } }),
];

export async function readRoleNodes(exec: Executor, tenantId: string, integrationId: string, includeDeleted: boolean): Promise<ExportLine[]> {
  const rows = await exec.rows<{ id: string; custom: boolean; label: string | null; deleted: boolean }>(sql`
    SELECT id, custom, label, deleted FROM (
      SELECT t."role_id" AS id, false AS custom, NULL::text AS label,
        bool_and(${deletedWhen(PRINCIPAL_TOMBSTONED)}) AS deleted
      FROM "role_assignments" t
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid AND t."resource_set_id" = ''
      GROUP BY t."role_id"
      UNION ALL
      SELECT t."okta_id", true, t."label", t."deleted_at" IS NOT NULL
      FROM "roles" t
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid
    ) r ${includeDeleted ? sql.raw('') : sql.raw('WHERE NOT deleted')}
    ORDER BY id`);
  const lines = rows.map((r) => {
    const line = exportLine.role({ id: r.id, custom: r.custom, label: r.label });
    return includeDeleted && r.deleted ? { ...line, deleted: true } : line;
  });
  return lines.sort(compareExportLines);
}

/**
 * `contains` edges of resource sets: `to` is derived from each resource's target (export-format.ts),
 * so they are read whole (hundreds at most) and sorted here. A line counts as deleted with its row
 * or its resource set.
 */
export async function readContainsEdges(exec: Executor, tenantId: string, integrationId: string, includeDeleted: boolean): Promise<ExportLine[]> {
  const setGone = tombstonedEndpoint({ field: 'resource_set_id', table: schema.resourceSets });
  const rows = await exec.rows<{ resource_set_id: string; target_kind: string; target_id: string | null; orn: string; deleted: boolean }>(sql`
    SELECT t."resource_set_id", t."target_kind", t."target_id", t."orn", ${deletedWhen([setGone])} AS deleted
    FROM "resource_set_resources" t
    WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid`);
  const lines: ExportLine[] = [];
  for (const r of rows) {
    if (r.deleted && !includeDeleted) continue;
    const line = exportLine.contains({ resourceSetId: r.resource_set_id, targetKind: r.target_kind, targetId: r.target_id, orn: r.orn });
    lines.push(includeDeleted && r.deleted ? { ...line, deleted: true } : line);
  }
  return lines.sort(compareExportLines);
}

/**
 * `scoped_to` edges of role targets (hundreds at most, read whole). A line counts as deleted with
 * its row, its principal or target, or the role assignment it scopes (a revoked role's targets go
 * with it even before a re-read tombstones them).
 */
export async function readScopedToEdges(exec: Executor, tenantId: string, integrationId: string, includeDeleted: boolean): Promise<ExportLine[]> {
  const gone = deletedWhen([
    ...PRINCIPAL_TOMBSTONED,
    tombstonedEndpoint({ field: 'target_id', table: schema.groups, when: { field: 'target_kind', is: 'group' } }),
    tombstonedEndpoint({ field: 'target_id', table: schema.apps, when: { field: 'target_kind', is: 'app' } }),
    `NOT EXISTS (SELECT 1 FROM "role_assignments" a WHERE a."tenant_id" = t."tenant_id" AND a."integration_id" = t."integration_id"
      AND a."principal_kind" = t."principal_kind" AND a."principal_id" = t."principal_id" AND a."role_id" = t."role_id"
      AND a."resource_set_id" = '' AND a."deleted_at" IS NULL)`,
  ]);
  const rows = await exec.rows<{ principal_kind: string; principal_id: string; role_id: string; target_kind: string; target_id: string; deleted: boolean }>(sql`
    SELECT t."principal_kind", t."principal_id", t."role_id", t."target_kind", t."target_id", ${gone} AS deleted
    FROM "role_targets" t
    WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid`);
  const lines: ExportLine[] = [];
  for (const r of rows) {
    if (r.deleted && !includeDeleted) continue;
    const line = exportLine.scopedTo({ principalKind: r.principal_kind, principalId: r.principal_id, roleId: r.role_id, targetKind: r.target_kind, targetId: r.target_id });
    lines.push(includeDeleted && r.deleted ? { ...line, deleted: true } : line);
  }
  return lines.sort(compareExportLines);
}
