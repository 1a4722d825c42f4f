/**
 * The one loader: reads an integration's live graph rows into a PrivilegeGraph. Memberships come
 * aggregated per group (one row per group, its member ids joined by spaces), so a million of them
 * cross the wire as a few thousand rows; every list is read in id order, so the computation (and
 * which of several shortest paths it reports) is the same for the same graph.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { GraphDb } from '@idgraph/graph';
import { PrivilegeGraphBuilder, type PrivilegeGraph } from './graph.js';

export interface LoadScope {
  tenantId: string;
  integrationId: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function live(alias: string, s: LoadScope): SQL {
  const a = sql.raw(`"${alias}"`);
  return sql`${a}."tenant_id" = ${s.tenantId} AND ${a}."integration_id" = ${s.integrationId}::uuid AND ${a}."deleted_at" IS NULL`;
}

/** Memberships indexed between two yields to the event loop (~5 ms of work). */
const YIELD_EVERY = 10_000;

const bool = (v: unknown): boolean => v === true || v === 't' || v === 'true';
const words = (v: unknown): string[] => (typeof v === 'string' && v !== '' ? v.split(' ') : []);

/** Timings of one load, for logs and the benchmark. */
export interface LoadStats {
  users: number;
  groups: number;
  memberships: number;
  ms: number;
}

export async function loadPrivilegeGraph(db: GraphDb, scope: LoadScope, stats?: (s: LoadStats) => void): Promise<PrivilegeGraph> {
  if (!UUID_RE.test(scope.integrationId)) throw new Error(`privilege: integrationId "${scope.integrationId}" is not a UUID; pass the integration's id (see \`idgraph integration list\`)`);
  const started = Date.now();
  const b = new PrivilegeGraphBuilder();
  const [users, groups, apps] = await Promise.all([
    db.execute<{ id: string; status: string; login: string | null }>(sql`
      SELECT u."okta_id" AS id, u."status", u."login" FROM "users" u WHERE ${live('u', scope)} ORDER BY u."okta_id"`),
    db.execute<{ id: string; type: string; name: string }>(sql`
      SELECT g."okta_id" AS id, g."group_type" AS type, g."name" FROM "groups" g WHERE ${live('g', scope)} ORDER BY g."okta_id"`),
    db.execute<{ id: string; name: string; label: string | null; client_id: string | null; is_service_app: unknown; has_secret: unknown }>(sql`
      SELECT a."okta_id" AS id, a."name", a."label", a."client_id", a."is_service_app",
        EXISTS (SELECT 1 FROM "app_credentials" c WHERE ${live('c', scope)} AND c."app_id" = a."okta_id"
          AND c."credential_type" = 'client_secret' AND c."status" = 'ACTIVE') AS has_secret
      FROM "apps" a WHERE ${live('a', scope)} ORDER BY a."okta_id"`),
  ]);
  for (const u of users) b.addUser({ id: u.id, status: u.status, label: u.login });
  for (const g of groups) b.addGroup({ id: g.id, type: g.type, name: g.name });
  for (const a of apps) b.addApp({ id: a.id, name: a.name, label: a.label, clientId: a.client_id, isServiceApp: bool(a.is_service_app), hasClientSecret: bool(a.has_secret) });

  const [members, assignments, targets, roles, sets, tokens, rules] = await Promise.all([
    db.execute<{ group_id: string; members: string }>(sql`
      SELECT m."group_id", string_agg(m."user_id", ' ' ORDER BY m."user_id") AS members
      FROM "group_memberships" m WHERE ${live('m', scope)} GROUP BY m."group_id" ORDER BY m."group_id"`),
    db.execute<{ principal_kind: 'user' | 'group' | 'app'; principal_id: string; role_id: string; resource_set_id: string; assignment_id: string | null }>(sql`
      SELECT r."principal_kind", r."principal_id", r."role_id", r."resource_set_id", r."assignment_id"
      FROM "role_assignments" r WHERE ${live('r', scope)}`),
    db.execute<{ principal_kind: 'user' | 'group' | 'app'; principal_id: string; role_id: string; target_kind: 'group' | 'app' | 'catalog_app'; target_id: string }>(sql`
      SELECT t."principal_kind", t."principal_id", t."role_id", t."target_kind", t."target_id" FROM "role_targets" t WHERE ${live('t', scope)}`),
    db.execute<{ id: string; label: string; permissions: string | null }>(sql`
      SELECT r."okta_id" AS id, r."label",
        (SELECT string_agg(p."permission", ' ' ORDER BY p."permission") FROM "role_permissions" p WHERE ${live('p', scope)} AND p."role_id" = r."okta_id") AS permissions
      FROM "roles" r WHERE ${live('r', scope)} ORDER BY r."okta_id"`),
    db.execute<{ id: string; label: string; target_kind: string | null; target_id: string | null }>(sql`
      SELECT s."okta_id" AS id, s."label", x."target_kind", x."target_id"
      FROM "resource_sets" s LEFT JOIN "resource_set_resources" x
        ON ${live('x', scope)} AND x."resource_set_id" = s."okta_id"
      WHERE ${live('s', scope)} ORDER BY s."okta_id", x."resource_id"`),
    db.execute<{ id: string; name: string; user_id: string }>(sql`
      SELECT t."okta_id" AS id, t."name", t."user_id" FROM "api_tokens" t WHERE ${live('t', scope)} ORDER BY t."okta_id"`),
    db.execute<{ id: string; name: string; status: string; expression: string | null; targets: string | null }>(sql`
      SELECT r."okta_id" AS id, r."name", r."status", r."expression",
        (SELECT string_agg(t."group_id", ' ' ORDER BY t."group_id") FROM "group_rule_targets" t WHERE ${live('t', scope)} AND t."rule_id" = r."okta_id") AS targets
      FROM "group_rules" r WHERE ${live('r', scope)} ORDER BY r."okta_id"`),
  ]);
  // A million memberships take ~0.5 s to index: the loop gives way to other work (a server's
  // requests) every YIELD_EVERY members instead of holding the event loop that long.
  let sinceYield = 0;
  for (const m of members) {
    const ids = words(m.members);
    b.addMembers(m.group_id, ids);
    sinceYield += ids.length;
    if (sinceYield >= YIELD_EVERY) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  for (const a of assignments) {
    b.addRoleAssignment({ principalKind: a.principal_kind, principalId: a.principal_id, roleId: a.role_id, resourceSetId: a.resource_set_id || null, assignmentId: a.assignment_id });
  }
  for (const t of targets) b.addRoleTarget({ principalKind: t.principal_kind, principalId: t.principal_id, roleId: t.role_id, targetKind: t.target_kind, targetId: t.target_id });
  for (const r of roles) b.addCustomRole({ id: r.id, label: r.label, permissions: words(r.permissions) });
  for (const s of sets) {
    b.addResourceSet(s.id, s.label);
    if (s.target_kind !== null) b.addResourceSetResource(s.id, { targetKind: s.target_kind, targetId: s.target_id });
  }
  for (const t of tokens) b.addApiToken({ id: t.id, name: t.name, userId: t.user_id });
  for (const r of rules) b.addGroupRule({ id: r.id, name: r.name, status: r.status, expression: r.expression ?? '', targetGroupIds: words(r.targets) });
  const graph = b.build();
  stats?.({ users: users.length, groups: groups.length, memberships: graph.memberships, ms: Date.now() - started });
  return graph;
}
