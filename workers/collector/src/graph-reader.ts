/**
 * Reads what the graph already holds, for collectors that fan out per object. The graph store
 * has no such streams (yet), so this reads its published drizzle schema directly — read-only,
 * keyset-paged in id order (ids are `COLLATE "C"`, so SQL order = JavaScript order), a batch at
 * a time so 100k users never sit in memory at once.
 */
import { and, asc, eq, gt, isNull, like, sql, type SQL } from 'drizzle-orm';
import { executorOf, type GraphStore, schema } from '@idgraph/graph';
import type { GraphReader } from './ports.js';

const BATCH = 1000;

export function createGraphReader(store: Pick<GraphStore, 'gdb' | 'tenant'>, batchSize = BATCH): GraphReader {
  const db = store.gdb.db;
  const tenant = store.tenant;

  async function* keyset<Row extends { id: string }>(
    fetch: (after: string | undefined) => Promise<Row[]>,
    afterId: string | undefined,
  ): AsyncGenerator<Row> {
    let after = afterId;
    for (;;) {
      const rows = await fetch(after);
      for (const row of rows) yield row;
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  const live = (
    table: typeof schema.users | typeof schema.groups | typeof schema.apps,
    integrationId: string,
    after: string | undefined,
  ): SQL =>
    and(
      eq(table.tenantId, tenant),
      eq(table.integrationId, integrationId),
      isNull(table.deletedAt),
      ...(after === undefined ? [] : [gt(table.oktaId, after)]),
    )!;

  const exec = executorOf(db);
  /**
   * Live ACTIVE role assignments of live principals: what posture's `effectiveRolesCtes` calls
   * live_roles, so "admin" means the same to the collector's admin step as to the admin checks.
   */
  const liveRoles = (integrationId: string, kind: 'user' | 'group'): SQL => sql`
    SELECT ra.principal_id FROM role_assignments ra
    WHERE ra.tenant_id = ${tenant} AND ra.integration_id = ${integrationId} AND ra.deleted_at IS NULL
      AND ra.principal_kind = ${kind} AND coalesce(ra.status, 'ACTIVE') = 'ACTIVE'`;
  const adminGroups = (integrationId: string): SQL => sql`
    SELECT g.okta_id FROM groups g
    WHERE g.tenant_id = ${tenant} AND g.integration_id = ${integrationId} AND g.deleted_at IS NULL
      AND g.okta_id IN (${liveRoles(integrationId, 'group')})`;

  return {
    adminGroupIds: async (integrationId) => {
      const rows = await exec.rows<{ okta_id: string }>(sql`${adminGroups(integrationId)} ORDER BY g.okta_id`);
      return rows.map((r) => r.okta_id);
    },
    adminUsers: async (integrationId) =>
      exec.rows<{ id: string; status: string }>(sql`
        SELECT u.okta_id AS id, u.status FROM users u
        WHERE u.tenant_id = ${tenant} AND u.integration_id = ${integrationId} AND u.deleted_at IS NULL
          AND (u.okta_id IN (${liveRoles(integrationId, 'user')})
            OR u.okta_id IN (
              SELECT m.user_id FROM group_memberships m
              WHERE m.tenant_id = ${tenant} AND m.integration_id = ${integrationId} AND m.deleted_at IS NULL
                AND m.group_id IN (${adminGroups(integrationId)})))
        ORDER BY u.okta_id`),
    doneScopes: async (integrationId, resource, runId, prefix) => {
      const c = schema.checkpoints;
      const rows = await db
        .select({ scopeKey: c.scopeKey })
        .from(c)
        .where(
          and(
            eq(c.tenantId, tenant),
            eq(c.integrationId, integrationId),
            eq(c.resource, resource),
            eq(c.runId, runId),
            eq(c.done, true),
            like(c.scopeKey, `${prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`),
          ),
        );
      return new Set(rows.map((r) => r.scopeKey));
    },
    appsAssignedToGroup: async (integrationId, groupId) => {
      const t = schema.appGroupAssignments;
      const rows = await db
        .select({ appId: t.appId })
        .from(t)
        .where(and(eq(t.tenantId, tenant), eq(t.integrationId, integrationId), eq(t.groupId, groupId), isNull(t.deletedAt)))
        .orderBy(asc(t.appId));
      return rows.map((r) => r.appId);
    },
    appsAssignedToUser: async (integrationId, userId) => {
      const t = schema.appUserAssignments;
      const rows = await db
        .select({ appId: t.appId })
        .from(t)
        .where(and(eq(t.tenantId, tenant), eq(t.integrationId, integrationId), eq(t.userId, userId), isNull(t.deletedAt)))
        .orderBy(asc(t.appId));
      return rows.map((r) => r.appId);
    },
    liveUsers: (integrationId, afterId) =>
      keyset(
        (after) =>
          db
            .select({ id: schema.users.oktaId, status: schema.users.status })
            .from(schema.users)
            .where(live(schema.users, integrationId, after))
            .orderBy(asc(schema.users.oktaId))
            .limit(batchSize),
        afterId,
      ),
    liveGroupIds: async function* (integrationId, afterId) {
      const rows = keyset(
        (after) =>
          db
            .select({ id: schema.groups.oktaId })
            .from(schema.groups)
            .where(live(schema.groups, integrationId, after))
            .orderBy(asc(schema.groups.oktaId))
            .limit(batchSize),
        afterId,
      );
      for await (const row of rows) yield row.id;
    },
    liveApps: (integrationId, afterId) =>
      keyset(
        (after) =>
          db
            .select({ id: schema.apps.oktaId, clientId: schema.apps.clientId, isServiceApp: schema.apps.isServiceApp })
            .from(schema.apps)
            .where(live(schema.apps, integrationId, after))
            .orderBy(asc(schema.apps.oktaId))
            .limit(batchSize),
        afterId,
      ),
  };
}

/** A store that also reads: the real GraphStore plus the reader above. */
export function withGraphReader<S extends Pick<GraphStore, 'gdb' | 'tenant'>>(store: S): S & GraphReader {
  const reader = createGraphReader(store);
  return Object.assign(Object.create(store) as S, reader) as S & GraphReader;
}
