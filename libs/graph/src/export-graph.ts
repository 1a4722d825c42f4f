/**
 * Streaming graph export in exactly `sortExportLines` order, without loading the graph.
 *
 * The sort key is (nodes before edges, kind, ids). Per integration the export walks fixed
 * segments in that order (app, factor, group, resource_set, role, user nodes; then assigned_to
 * group→app, assigned_to user→app, has_factor, has_role, member_of edges); each segment is read
 * in batches with keyset paging over an index whose "C"-collated id columns hold rows in
 * JavaScript string order. A tenant-wide export merges the per-integration streams.
 *
 * An edge counts as deleted when it is tombstoned or when one of its endpoint objects is
 * (Okta drops a deleted user's memberships; a later full sync will tombstone them too).
 */
import { sql, type SQL } from 'drizzle-orm';
import { apiReadSql, arrivedVia, compareExportLines, exportLine } from './export-format.js';
import type { ExportLine } from './model.js';
import type { Executor } from './executor.js';

const BATCH = 2000;
const API_READ = apiReadSql('t');

type Row = Record<string, unknown> & { deleted: boolean };

interface Segment {
  /** FROM clause; the main table is aliased t. */
  from: SQL;
  columns: SQL;
  /** Key columns in sort order (all "C"-collated text). */
  keys: string[];
  deleted: SQL;
  line(row: Row): ExportLine;
}

const s = (v: unknown): string => v as string;
const sn = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

/**
 * "the object an edge column points at is tombstoned", as a correlated subquery: always an
 * index lookup on the full primary key, whatever the table statistics say (a join planned on
 * stale statistics degrades to scanning the whole integration per row).
 */
function tombstoned(table: string, idColumn: string, when = ''): string {
  return (
    `EXISTS (SELECT 1 FROM "${table}" x WHERE x."tenant_id" = t."tenant_id" AND x."integration_id" = t."integration_id"` +
    ` AND x."okta_id" = t."${idColumn}" AND x."deleted_at" IS NOT NULL${when})`
  );
}

function deletedWhen(...parts: string[]): SQL {
  return sql.raw(`(t."deleted_at" IS NOT NULL${parts.map((p) => ` OR ${p}`).join('')})`);
}

/** A role assignment's user or group principal is tombstoned. */
const PRINCIPAL_TOMBSTONED = [
  tombstoned('users', 'principal_id', ` AND t."principal_kind" = 'user'`),
  tombstoned('groups', 'principal_id', ` AND t."principal_kind" = 'group'`),
];

const SEGMENTS_BEFORE_ROLES: Segment[] = [
  {
    from: sql.raw('"apps" t'),
    columns: sql.raw('t."okta_id", t."status", t."name", t."label", t."sign_on_mode"'),
    keys: ['t."okta_id"'],
    deleted: sql.raw('t."deleted_at" IS NOT NULL'),
    line: (r) => exportLine.app({ id: s(r.okta_id), status: s(r.status), name: s(r.name), label: sn(r.label), signOnMode: sn(r.sign_on_mode) }),
  },
  {
    from: sql.raw('"factors" t'),
    columns: sql.raw('t."okta_id", t."status", t."factor_type", t."provider", t."user_id"'),
    keys: ['t."okta_id"'],
    deleted: deletedWhen(tombstoned('users', 'user_id')),
    line: (r) =>
      exportLine.factor({ id: s(r.okta_id), status: s(r.status), factorType: s(r.factor_type), provider: sn(r.provider), userId: s(r.user_id) }),
  },
  {
    from: sql.raw('"groups" t'),
    columns: sql.raw(`t."okta_id", t."name", t."group_type", t."via_scim", ${API_READ} AS "api_read"`),
    keys: ['t."okta_id"'],
    deleted: sql.raw('t."deleted_at" IS NOT NULL'),
    line: (r) => exportLine.group({ id: s(r.okta_id), name: s(r.name), groupType: s(r.group_type), arrivedVia: arrivedVia(r.via_scim === true, r.api_read === true) }),
  },
  {
    from: sql.raw('"resource_sets" t'),
    columns: sql.raw('t."okta_id", t."label"'),
    keys: ['t."okta_id"'],
    deleted: sql.raw('t."deleted_at" IS NOT NULL'),
    line: (r) => exportLine.resourceSet({ id: s(r.okta_id), label: s(r.label) }),
  },
];

const SEGMENTS_AFTER_ROLES: Segment[] = [
  {
    from: sql.raw('"users" t'),
    columns: sql.raw(`t."okta_id", t."status", t."login", t."via_scim", ${API_READ} AS "api_read"`),
    keys: ['t."okta_id"'],
    deleted: sql.raw('t."deleted_at" IS NOT NULL'),
    line: (r) => exportLine.user({ id: s(r.okta_id), status: s(r.status), login: sn(r.login), arrivedVia: arrivedVia(r.via_scim === true, r.api_read === true) }),
  },
  {
    from: sql.raw('"app_group_assignments" t'),
    columns: sql.raw('t."group_id", t."app_id", t."priority"'),
    keys: ['t."group_id"', 't."app_id"'],
    deleted: deletedWhen(tombstoned('groups', 'group_id'), tombstoned('apps', 'app_id')),
    line: (r) =>
      exportLine.groupAssignedTo({ groupId: s(r.group_id), appId: s(r.app_id), priority: r.priority === null ? null : Number(r.priority) }),
  },
  {
    from: sql.raw('"app_user_assignments" t'),
    columns: sql.raw('t."user_id", t."app_id", t."scope"'),
    keys: ['t."user_id"', 't."app_id"'],
    deleted: deletedWhen(tombstoned('users', 'user_id'), tombstoned('apps', 'app_id')),
    line: (r) => exportLine.userAssignedTo({ userId: s(r.user_id), appId: s(r.app_id), scope: sn(r.scope) }),
  },
  {
    from: sql.raw('"factors" t'),
    columns: sql.raw('t."user_id", t."okta_id"'),
    keys: ['t."user_id"', 't."okta_id"'],
    deleted: deletedWhen(tombstoned('users', 'user_id')),
    line: (r) => exportLine.hasFactor({ userId: s(r.user_id), factorId: s(r.okta_id) }),
  },
  {
    from: sql.raw('"role_assignments" t'),
    columns: sql.raw('t."principal_kind", t."principal_id", t."role_id", t."resource_set_id"'),
    keys: ['t."principal_kind"', 't."principal_id"', 't."role_id"', 't."resource_set_id"'],
    deleted: deletedWhen(...PRINCIPAL_TOMBSTONED, tombstoned('roles', 'role_id', ` AND t."resource_set_id" <> ''`)),
    line: (r) =>
      exportLine.hasRole({
        principalKind: r.principal_kind as 'user' | 'group' | 'app',
        principalId: s(r.principal_id),
        roleId: s(r.role_id),
        resourceSetId: s(r.resource_set_id),
      }),
  },
  {
    from: sql.raw('"group_memberships" t'),
    columns: sql.raw(`t."user_id", t."group_id", t."via_scim", ${API_READ} AS "api_read"`),
    keys: ['t."user_id"', 't."group_id"'],
    deleted: deletedWhen(tombstoned('users', 'user_id'), tombstoned('groups', 'group_id')),
    line: (r) => exportLine.memberOf({ userId: s(r.user_id), groupId: s(r.group_id), arrivedVia: arrivedVia(r.via_scim === true, r.api_read === true) }),
  },
];

function markDeleted(line: ExportLine, deleted: boolean, includeDeleted: boolean): ExportLine {
  return includeDeleted && deleted ? { ...line, deleted: true } : line;
}

async function* readSegment(
  exec: Executor,
  tenantId: string,
  integrationId: string,
  seg: Segment,
  includeDeleted: boolean,
  batchSize: number,
): AsyncGenerator<ExportLine> {
  let cursor: string[] | null = null;
  const keyList = sql.raw(seg.keys.join(', '));
  const keyAliases = sql.raw(seg.keys.map((k, i) => `${k} AS "k${i}"`).join(', '));
  for (;;) {
    const after: SQL = cursor
      ? sql` AND (${keyList}) > (${sql.join(cursor.map((v) => sql`${v}`), sql.raw(', '))})`
      : sql.raw('');
    const live = includeDeleted ? sql.raw('') : sql` AND NOT ${seg.deleted}`;
    const rows: Row[] = await exec.rows<Row>(sql`
      SELECT ${seg.columns}, ${keyAliases}, ${seg.deleted} AS "deleted"
      FROM ${seg.from}
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid${live}${after}
      ORDER BY ${keyList}
      LIMIT ${batchSize}`);
    for (const row of rows) yield markDeleted(seg.line(row), row.deleted === true, includeDeleted);
    const last = rows[rows.length - 1];
    if (!last || rows.length < batchSize) return;
    cursor = seg.keys.map((_, i) => s(last[`k${i}`]));
  }
}

/**
 * Role nodes: standard roles are the distinct role types of standard assignments (no row of
 * their own), custom roles come from `roles`. Both sets are small (dozens to hundreds).
 */
async function readRoleNodes(exec: Executor, tenantId: string, integrationId: string, includeDeleted: boolean): Promise<ExportLine[]> {
  const rows = await exec.rows<{ id: string; custom: boolean; label: string | null; deleted: boolean }>(sql`
    SELECT id, custom, label, deleted FROM (
      SELECT t."role_id" AS id, false AS custom, NULL::text AS label,
        bool_and(${deletedWhen(...PRINCIPAL_TOMBSTONED)}) AS deleted
      FROM "role_assignments" t
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid AND t."resource_set_id" = ''
      GROUP BY t."role_id"
      UNION ALL
      SELECT t."okta_id", true, t."label", t."deleted_at" IS NOT NULL
      FROM "roles" t
      WHERE t."tenant_id" = ${tenantId} AND t."integration_id" = ${integrationId}::uuid
    ) r ${includeDeleted ? sql.raw('') : sql.raw('WHERE NOT deleted')}
    ORDER BY id`);
  const lines = rows.map((r) => markDeleted(exportLine.role({ id: r.id, custom: r.custom, label: r.label }), r.deleted, includeDeleted));
  return lines.sort(compareExportLines);
}

/** All lines of one integration, sorted. */
export async function* exportIntegration(
  exec: Executor,
  tenantId: string,
  integrationId: string,
  includeDeleted: boolean,
  batchSize = BATCH,
): AsyncGenerator<ExportLine> {
  for (const seg of SEGMENTS_BEFORE_ROLES) yield* readSegment(exec, tenantId, integrationId, seg, includeDeleted, batchSize);
  yield* await readRoleNodes(exec, tenantId, integrationId, includeDeleted);
  for (const seg of SEGMENTS_AFTER_ROLES) yield* readSegment(exec, tenantId, integrationId, seg, includeDeleted, batchSize);
}

/** Merges already-sorted streams into one sorted stream. */
export async function* mergeSorted(streams: AsyncIterator<ExportLine>[]): AsyncGenerator<ExportLine> {
  const heads: { it: AsyncIterator<ExportLine>; line: ExportLine }[] = [];
  for (const it of streams) {
    const r = await it.next();
    if (!r.done) heads.push({ it, line: r.value });
  }
  while (heads.length) {
    let min = 0;
    for (let i = 1; i < heads.length; i++) if (compareExportLines(heads[i]!.line, heads[min]!.line) < 0) min = i;
    const head = heads[min]!;
    yield head.line;
    const r = await head.it.next();
    if (r.done) heads.splice(min, 1);
    else head.line = r.value;
  }
}
