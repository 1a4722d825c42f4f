/**
 * Batch upserts of collected rows, one statement per table and chunk.
 *
 * Freshness rule: a row's data replaces the stored data only if its Okta-side time
 * (source_updated_at) is not older than the stored one, so an old page never undoes a newer
 * event. The row still counts as *seen* by the run either way (last_seen_at, last_run_id), so
 * finishFullSync never tombstones an object the run did list. Seeing a row with fresh data
 * clears its tombstone (a returning object comes back to life).
 *
 * One exception fills gaps: a row that never held a full Okta object (raw IS NULL: created from
 * an event that carried only some fields) takes the fields it lacks from a listed object even
 * when an event has already stamped it newer. Okta stamps the event's `published` a little
 * after the object's `lastUpdated` for the same change, so otherwise a user created and
 * activated by events would keep its unknown fields until it next changed in Okta.
 */
import { sql, type SQL } from 'drizzle-orm';
import type {
  AppGroupAssignmentRow,
  AppRow,
  AppUserAssignmentRow,
  FactorRow,
  GroupMembershipRow,
  GroupRow,
  ResourceSetRow,
  RoleAssignmentRow,
  RoleRow,
  UserRow,
} from './model.js';
import type { Executor } from './executor.js';
import { bulkRows, bulkValue, type BulkColumn } from './executor.js';

type ColType = 'text' | 'timestamptz' | 'boolean' | 'integer' | 'jsonb';

interface Col<R> {
  name: string;
  type: ColType;
  get: (row: R) => unknown;
  /** A stand-in value that rows created from events hold until a full object arrives. */
  placeholder?: string;
  /** NOT NULL in the schema: checked up front so the error names the row and field. */
  required?: boolean;
}

export interface TableSpec<R extends { sourceUpdatedAt: Date }> {
  table: string;
  /** Natural key after (tenant_id, integration_id). */
  keys: Col<R>[];
  data: Col<R>[];
}

const c = <R>(name: string, type: ColType, get: (row: R) => unknown, placeholder?: string): Col<R> =>
  placeholder === undefined ? { name, type, get } : { name, type, get, placeholder };
/** A NOT NULL column. */
const req = <R>(name: string, type: ColType, get: (row: R) => unknown, placeholder?: string): Col<R> => ({
  ...c(name, type, get, placeholder),
  required: true,
});

/** Status of a user known only from an event (e.g. user.lifecycle.create) until Okta's object is read. */
export const UNKNOWN_STATUS = 'UNKNOWN';

export const userSpec: TableSpec<UserRow> = {
  table: 'users',
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [
    req('status', 'text', (r) => r.status, UNKNOWN_STATUS),
    c('login', 'text', (r) => r.login),
    c('email', 'text', (r) => r.email),
    c('first_name', 'text', (r) => r.firstName),
    c('last_name', 'text', (r) => r.lastName),
    c('created', 'timestamptz', (r) => r.created),
    c('activated', 'timestamptz', (r) => r.activated),
    c('status_changed', 'timestamptz', (r) => r.statusChanged),
    c('last_login', 'timestamptz', (r) => r.lastLogin),
    c('password_changed', 'timestamptz', (r) => r.passwordChanged),
    c('credential_provider', 'text', (r) => r.credentialProvider),
    c('raw', 'jsonb', (r) => r.raw),
  ],
};

export const groupSpec: TableSpec<GroupRow> = {
  table: 'groups',
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [
    req('group_type', 'text', (r) => r.groupType),
    req('name', 'text', (r) => r.name),
    c('description', 'text', (r) => r.description),
    c('raw', 'jsonb', (r) => r.raw),
  ],
};

export const appSpec: TableSpec<AppRow> = {
  table: 'apps',
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [
    req('name', 'text', (r) => r.name),
    c('label', 'text', (r) => r.label),
    req('status', 'text', (r) => r.status),
    c('sign_on_mode', 'text', (r) => r.signOnMode),
    c('client_id', 'text', (r) => r.clientId),
    req('is_service_app', 'boolean', (r) => r.isServiceApp),
    c('created', 'timestamptz', (r) => r.created),
    c('raw', 'jsonb', (r) => r.raw),
  ],
};

export const factorSpec: TableSpec<FactorRow> = {
  table: 'factors',
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [
    req('user_id', 'text', (r) => r.userId),
    req('factor_type', 'text', (r) => r.factorType),
    c('provider', 'text', (r) => r.provider),
    req('status', 'text', (r) => r.status),
    c('created', 'timestamptz', (r) => r.created),
    c('raw', 'jsonb', (r) => r.raw),
  ],
};

export const roleSpec: TableSpec<RoleRow> = {
  table: 'roles',
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [req('label', 'text', (r) => r.label), c('description', 'text', (r) => r.description), c('raw', 'jsonb', (r) => r.raw)],
};

export const resourceSetSpec: TableSpec<ResourceSetRow> = {
  table: 'resource_sets',
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [req('label', 'text', (r) => r.label), c('description', 'text', (r) => r.description), c('raw', 'jsonb', (r) => r.raw)],
};

export const membershipSpec: TableSpec<GroupMembershipRow> = {
  table: 'group_memberships',
  keys: [c('user_id', 'text', (r) => r.userId), c('group_id', 'text', (r) => r.groupId)],
  data: [],
};

export const appUserSpec: TableSpec<AppUserAssignmentRow> = {
  table: 'app_user_assignments',
  keys: [c('app_id', 'text', (r) => r.appId), c('user_id', 'text', (r) => r.userId)],
  data: [c('scope', 'text', (r) => r.scope), c('status', 'text', (r) => r.status), c('raw', 'jsonb', (r) => r.raw)],
};

export const appGroupSpec: TableSpec<AppGroupAssignmentRow> = {
  table: 'app_group_assignments',
  keys: [c('app_id', 'text', (r) => r.appId), c('group_id', 'text', (r) => r.groupId)],
  data: [c('priority', 'integer', (r) => r.priority), c('raw', 'jsonb', (r) => r.raw)],
};

export const roleAssignmentSpec: TableSpec<RoleAssignmentRow> = {
  table: 'role_assignments',
  keys: [
    c('principal_kind', 'text', (r) => r.principalKind),
    c('principal_id', 'text', (r) => r.principalId),
    c('role_id', 'text', (r) => r.roleId),
    c('resource_set_id', 'text', (r) => r.resourceSetId),
  ],
  data: [c('assignment_id', 'text', (r) => r.assignmentId), c('status', 'text', (r) => r.status), c('raw', 'jsonb', (r) => r.raw)],
};

/** Rows per statement: bounds the size of one statement's parameters and work. */
const CHUNK_ROWS = 2000;

function ident(name: string): SQL {
  return sql.raw(`"${name}"`);
}

/** The stored value, with a placeholder counting as missing. */
function storedValue<R>(col: Col<R>): SQL {
  return col.placeholder === undefined
    ? sql`t.${ident(col.name)}`
    : sql`NULLIF(t.${ident(col.name)}, ${col.placeholder})`;
}

function list(parts: SQL[]): SQL {
  return sql.join(parts, sql.raw(', '));
}

function checkRow<R extends { sourceUpdatedAt: Date }>(spec: TableSpec<R>, row: R, index: number): void {
  if (!(row.sourceUpdatedAt instanceof Date) || Number.isNaN(row.sourceUpdatedAt.getTime())) {
    throw new Error(`${spec.table} row ${index}: sourceUpdatedAt must be a valid Date (the Okta-side time of the row)`);
  }
  for (const k of spec.keys) {
    const v = k.get(row);
    // resource_set_id is '' for standard roles; every other key must be a non-empty id.
    if (typeof v !== 'string' || (v === '' && k.name !== 'resource_set_id')) {
      throw new Error(`${spec.table} row ${index}: key ${k.name} must be a non-empty string, got ${JSON.stringify(v)}`);
    }
  }
  for (const col of spec.data) {
    if (col.required && (col.get(row) === null || col.get(row) === undefined)) {
      throw new Error(`${spec.table} row ${index} (${spec.keys.map((k) => k.get(row)).join('/')}): ${col.name} is required`);
    }
  }
}

/**
 * One row per natural key: a page may list an object twice (Okta paging under concurrent
 * changes), and PostgreSQL refuses to update one row twice in one statement. The newest
 * source time wins; on a tie, the later row.
 */
export function dedupeByKey<R extends { sourceUpdatedAt: Date }>(spec: TableSpec<R>, rows: readonly R[]): R[] {
  const byKey = new Map<string, R>();
  rows.forEach((row, i) => {
    checkRow(spec, row, i);
    const key = spec.keys.map((k) => k.get(row) as string).join('\u0000');
    const seen = byKey.get(key);
    if (!seen || row.sourceUpdatedAt.getTime() >= seen.sourceUpdatedAt.getTime()) byKey.set(key, row);
  });
  return [...byKey.values()];
}

export interface UpsertContext {
  tenantId: string;
  integrationId: string;
  runId: string | null;
}

/** Upserts rows into one table; returns how many rows were written (inserted or touched). */
export async function upsertRows<R extends { sourceUpdatedAt: Date }>(
  exec: Executor,
  spec: TableSpec<R>,
  ctx: UpsertContext,
  rows: readonly R[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = dedupeByKey(spec, rows);
  const cols = [...spec.keys, ...spec.data];
  const bulkCols: BulkColumn[] = [...cols.map((col) => ({ name: col.name, type: col.type })), { name: 'source_updated_at', type: 'timestamptz' }];
  const fresher = sql.raw('excluded."source_updated_at" >= t."source_updated_at"');
  const sets: SQL[] = [
    ...spec.data.map((col) => sql`${ident(col.name)} = CASE WHEN ${fresher} THEN excluded.${ident(col.name)}
      WHEN t."raw" IS NULL THEN COALESCE(${storedValue(col)}, excluded.${ident(col.name)}) ELSE t.${ident(col.name)} END`),
    sql.raw('"source_updated_at" = GREATEST(t."source_updated_at", excluded."source_updated_at")'),
    sql`"deleted_at" = CASE WHEN ${fresher} THEN NULL ELSE t."deleted_at" END`,
    sql.raw('"last_seen_at" = excluded."last_seen_at"'),
    sql.raw('"last_run_id" = excluded."last_run_id"'),
  ];
  const conflict = list([ident('tenant_id'), ident('integration_id'), ...spec.keys.map((k) => ident(k.name))]);
  let written = 0;
  for (let i = 0; i < unique.length; i += CHUNK_ROWS) {
    const chunk = unique.slice(i, i + CHUNK_ROWS).map((row) => {
      const o: Record<string, unknown> = { source_updated_at: row.sourceUpdatedAt };
      for (const col of cols) o[col.name] = col.get(row) ?? null;
      return o;
    });
    const result = await exec.rows<{ n: number }>(sql`
      WITH written AS (
        INSERT INTO ${ident(spec.table)} AS t (
          "tenant_id", "integration_id", ${list(cols.map((col) => ident(col.name)))},
          "source_updated_at", "first_seen_at", "last_seen_at", "last_run_id", "deleted_at")
        SELECT ${ctx.tenantId}, ${ctx.integrationId}::uuid, ${list(bulkCols.map(bulkValue))}, now(), now(), ${ctx.runId}::uuid, NULL
        FROM ${bulkRows(bulkCols, chunk)}
        ON CONFLICT (${conflict}) DO UPDATE SET ${list(sets)}
        RETURNING 1)
      SELECT count(*)::int AS n FROM written`);
    written += result[0]?.n ?? 0;
  }
  return written;
}
