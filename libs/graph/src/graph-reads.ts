/**
 * Reads of what the graph already holds (live rows only), for collectors that fan out per object
 * and for following Okta's side effects of events. Streams are keyset-paged in id order (ids are
 * `COLLATE "C"`, so SQL order = JavaScript order), a batch at a time so 100k users never sit in
 * memory at once.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './executor.js';

const BATCH = 1000;

/** A PostgreSQL array literal of text values (passed as one parameter; both drivers accept it). */
function textArray(values: readonly string[]): SQL {
  return sql`${`{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`}::text[]`;
}

export class GraphReads {
  constructor(
    private readonly exec: Executor,
    private readonly tenant: string,
    private readonly batchSize = BATCH,
  ) {}

  private live(table: string, integrationId: string): SQL {
    return sql`${sql.raw(`"${table}"`)}."tenant_id" = ${this.tenant} AND ${sql.raw(`"${table}"`)}."integration_id" = ${integrationId}::uuid
      AND ${sql.raw(`"${table}"`)}."deleted_at" IS NULL`;
  }

  /** Live rows of a node table in id order, after `afterId` when given. */
  private async *keyset<Row extends { id: string }>(table: string, columns: SQL, integrationId: string, afterId: string | undefined): AsyncGenerator<Row> {
    let after = afterId;
    for (;;) {
      const rows = await this.exec.rows<Row>(sql`
        SELECT ${columns} FROM ${sql.raw(`"${table}"`)}
        WHERE ${this.live(table, integrationId)}${after === undefined ? sql.raw('') : sql` AND ${sql.raw(`"${table}"`)}."okta_id" > ${after}`}
        ORDER BY "okta_id" LIMIT ${this.batchSize}`);
      for (const row of rows) yield row;
      if (rows.length < this.batchSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  liveUsers(integrationId: string, afterId?: string): AsyncIterable<{ id: string; status: string }> {
    return this.keyset(`users`, sql.raw('"okta_id" AS "id", "status"'), integrationId, afterId);
  }

  async *liveGroupIds(integrationId: string, afterId?: string): AsyncIterable<string> {
    for await (const row of this.keyset<{ id: string }>('groups', sql.raw('"okta_id" AS "id"'), integrationId, afterId)) yield row.id;
  }

  async *liveApps(integrationId: string, afterId?: string): AsyncIterable<{ id: string; clientId: string | null; isServiceApp: boolean }> {
    const rows = this.keyset<{ id: string; clientId: string | null; isServiceApp: boolean | string }>(
      'apps',
      sql.raw('"okta_id" AS "id", "client_id" AS "clientId", "is_service_app" AS "isServiceApp"'),
      integrationId,
      afterId,
    );
    for await (const row of rows) yield { id: row.id, clientId: row.clientId, isServiceApp: row.isServiceApp === true || row.isServiceApp === 't' };
  }

  /** Ids of live rows of a small node table (custom roles, resource sets), in id order, after `afterId`. */
  async *liveIdsOf(table: 'roles' | 'resource_sets', integrationId: string, afterId?: string): AsyncIterable<string> {
    for await (const row of this.keyset<{ id: string }>(table, sql.raw('"okta_id" AS "id"'), integrationId, afterId)) yield row.id;
  }

  /**
   * Live role assignments of the given standard roles with their Okta assignment id, in key order
   * (`key` = JSON [principalKind, principalId, roleId]), strictly after `afterKey` when given.
   */
  async *liveRoleAssignmentsOf(integrationId: string, roleIds: readonly string[], afterKey?: string): AsyncIterable<{
    key: string; principalKind: 'user' | 'group' | 'app'; principalId: string; roleId: string; assignmentId: string;
  }> {
    let after = afterKey === undefined ? undefined : (JSON.parse(afterKey) as [string, string, string]);
    for (;;) {
      const rows = await this.exec.rows<{ principalKind: 'user' | 'group' | 'app'; principalId: string; roleId: string; assignmentId: string }>(sql`
        SELECT "principal_kind" AS "principalKind", "principal_id" AS "principalId", "role_id" AS "roleId", "assignment_id" AS "assignmentId"
        FROM "role_assignments"
        WHERE ${this.live('role_assignments', integrationId)} AND "resource_set_id" = '' AND "assignment_id" IS NOT NULL
          AND "role_id" = ANY(${textArray(roleIds)})
          ${after === undefined ? sql.raw('') : sql`AND ("principal_kind", "principal_id", "role_id") > (${after[0]}, ${after[1]}, ${after[2]})`}
        ORDER BY "principal_kind", "principal_id", "role_id" LIMIT ${this.batchSize}`);
      for (const r of rows) yield { ...r, key: JSON.stringify([r.principalKind, r.principalId, r.roleId]) };
      if (rows.length < this.batchSize) return;
      const last = rows[rows.length - 1]!;
      after = [last.principalKind, last.principalId, last.roleId];
    }
  }

  /** The integration's built-in Everyone group, or null while the graph has none. */
  async everyoneGroupId(integrationId: string): Promise<string | null> {
    const rows = await this.exec.rows<{ id: string }>(sql`
      SELECT "okta_id" AS id FROM "groups"
      WHERE ${this.live('groups', integrationId)} AND "group_type" = 'BUILT_IN'
      ORDER BY "okta_id" LIMIT 1`);
    return rows[0]?.id ?? null;
  }

  /** Apps (live) assigned to any of the groups: their members are those apps' GROUP-scope users. Sorted. */
  async appsAssignedToGroups(integrationId: string, groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const rows = await this.exec.rows<{ id: string }>(sql`
      SELECT DISTINCT "app_id" AS id FROM "app_group_assignments"
      WHERE ${this.live('app_group_assignments', integrationId)} AND "group_id" = ANY(${textArray(groupIds)})
      ORDER BY 1`);
    return rows.map((r) => r.id);
  }

  /**
   * Apps the users reach: those they are (live) assigned to, directly or through a group, and
   * those assigned to the groups they are members of. Sorted.
   */
  async appsReachableByUsers(integrationId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const users = textArray(userIds);
    const rows = await this.exec.rows<{ id: string }>(sql`
      SELECT "app_id" AS id FROM "app_user_assignments"
      WHERE ${this.live('app_user_assignments', integrationId)} AND "user_id" = ANY(${users})
      UNION
      SELECT a."app_id" FROM "app_group_assignments" a
      JOIN "group_memberships" m ON m."tenant_id" = a."tenant_id" AND m."integration_id" = a."integration_id" AND m."group_id" = a."group_id"
      WHERE a."tenant_id" = ${this.tenant} AND a."integration_id" = ${integrationId}::uuid AND a."deleted_at" IS NULL
        AND m."deleted_at" IS NULL AND m."user_id" = ANY(${users})
      ORDER BY 1`);
    return rows.map((r) => r.id);
  }

  /**
   * Live ACTIVE role assignments of live principals of one kind: what posture's effective roles call
   * live roles, so "admin" means the same to the collector's admin-first step as to the admin checks.
   */
  private liveRolePrincipals(integrationId: string, kind: 'user' | 'group'): SQL {
    return sql`
      SELECT ra.principal_id FROM role_assignments ra
      WHERE ra.tenant_id = ${this.tenant} AND ra.integration_id = ${integrationId}::uuid AND ra.deleted_at IS NULL
        AND ra.principal_kind = ${kind} AND coalesce(ra.status, 'ACTIVE') = 'ACTIVE'`;
  }

  private adminGroupsSql(integrationId: string): SQL {
    return sql`
      SELECT g.okta_id FROM groups g
      WHERE g.tenant_id = ${this.tenant} AND g.integration_id = ${integrationId}::uuid AND g.deleted_at IS NULL
        AND g.okta_id IN (${this.liveRolePrincipals(integrationId, 'group')})`;
  }

  /** Live groups holding a live ACTIVE role assignment, in id order. */
  async adminGroupIds(integrationId: string): Promise<string[]> {
    const rows = await this.exec.rows<{ okta_id: string }>(sql`${this.adminGroupsSql(integrationId)} ORDER BY g.okta_id`);
    return rows.map((r) => r.okta_id);
  }

  /** Live users holding a live ACTIVE role directly or through a live membership of such a group, in id order. */
  adminUsers(integrationId: string): Promise<{ id: string; status: string }[]> {
    return this.exec.rows<{ id: string; status: string }>(sql`
      SELECT u.okta_id AS id, u.status FROM users u
      WHERE u.tenant_id = ${this.tenant} AND u.integration_id = ${integrationId}::uuid AND u.deleted_at IS NULL
        AND (u.okta_id IN (${this.liveRolePrincipals(integrationId, 'user')})
          OR u.okta_id IN (
            SELECT m.user_id FROM group_memberships m
            WHERE m.tenant_id = ${this.tenant} AND m.integration_id = ${integrationId}::uuid AND m.deleted_at IS NULL
              AND m.group_id IN (${this.adminGroupsSql(integrationId)})))
      ORDER BY u.okta_id`);
  }

  /** Scope keys (starting with `prefix`) of a run's `done` checkpoints of one resource. */
  async doneScopes(integrationId: string, resource: string, runId: string, prefix: string): Promise<Set<string>> {
    const pattern = `${prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    const rows = await this.exec.rows<{ scope_key: string }>(sql`
      SELECT scope_key FROM checkpoints
      WHERE tenant_id = ${this.tenant} AND integration_id = ${integrationId}::uuid AND resource = ${resource}
        AND run_id = ${runId}::uuid AND done AND scope_key LIKE ${pattern}`);
    return new Set(rows.map((r) => r.scope_key));
  }
}
