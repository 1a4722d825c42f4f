/**
 * SQL building blocks shared by the checks: "live row of this integration", effective admins,
 * display labels. Everything is a drizzle `sql` fragment with bound parameters.
 */
import { sql, type SQL } from 'drizzle-orm';

export interface QueryScope {
  tenantId: string;
  integrationId: string;
}

/** `alias.tenant_id = … AND alias.integration_id = … AND alias.deleted_at IS NULL` */
export function live(alias: string, scope: QueryScope): SQL {
  const a = sql.raw(alias);
  return sql`${a}.tenant_id = ${scope.tenantId} AND ${a}.integration_id = ${scope.integrationId} AND ${a}.deleted_at IS NULL`;
}

/** A bound timestamptz parameter (ISO text, cast server-side: both drivers accept it the same way). */
export function ts(at: Date): SQL {
  return sql`${at.toISOString()}::timestamptz`;
}

export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

export const userLabel = (alias: string): SQL => sql.raw(`coalesce(${alias}.login, ${alias}.okta_id)`);
export const appLabel = (alias: string): SQL => sql.raw(`coalesce(${alias}.label, ${alias}.name)`);

/**
 * CTEs `live_roles(principal_kind, principal_id, role_id)` and `effective_roles(user_id, role_id)`:
 * a role is effective for a user when a live assignment names the user, or names a live group the
 * user is a live member of. Users themselves are not filtered here (see `admin_users`).
 */
export function effectiveRolesCtes(scope: QueryScope): SQL {
  return sql`live_roles AS (
      SELECT ra.principal_kind, ra.principal_id, ra.role_id
      FROM role_assignments ra
      WHERE ${live('ra', scope)} AND coalesce(ra.status, 'ACTIVE') = 'ACTIVE'
    ),
    effective_roles AS (
      SELECT lr.principal_id AS user_id, lr.role_id
      FROM live_roles lr
      WHERE lr.principal_kind = 'user'
      UNION
      SELECT m.user_id, lr.role_id
      FROM live_roles lr
      JOIN groups g ON ${live('g', scope)} AND g.okta_id = lr.principal_id
      JOIN group_memberships m ON ${live('m', scope)} AND m.group_id = g.okta_id
      WHERE lr.principal_kind = 'group'
    ),
    admin_users AS (
      -- Admin checks look at admins who can still sign in (or be re-enabled by a reset):
      -- DEPROVISIONED and SUSPENDED holders are user.deprovisioned_with_access findings instead.
      SELECT DISTINCT u.okta_id, u.login, u.status, u.created, u.last_login, u.password_changed,
        u.credential_provider, er.role_id
      FROM effective_roles er
      JOIN users u ON ${live('u', scope)} AND u.okta_id = er.user_id
      WHERE u.status NOT IN ('DEPROVISIONED', 'SUSPENDED')
    )`;
}

/** `EXISTS (an ACTIVE live factor of user alias.okta_id [whose type is in types])` */
export function hasActiveFactor(userAlias: string, scope: QueryScope, types?: readonly string[]): SQL {
  const typeFilter = types
    ? sql` AND f.factor_type IN (${sql.join(
        types.map((t) => sql`${t}`),
        sql`, `,
      )})`
    : sql``;
  return sql`EXISTS (SELECT 1 FROM factors f WHERE ${live('f', scope)} AND f.user_id = ${sql.raw(userAlias)}.okta_id AND f.status = 'ACTIVE'${typeFilter})`;
}

export function inList(values: readonly string[]): SQL {
  return sql`(${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;
}
