/**
 * Batch upserts of collected rows, one statement per table and chunk.
 *
 * Every time compared here is Okta's: a row's source time (source_updated_at) is the object's
 * `lastUpdated` or, for edges Okta gives no time for, the `Date` of the response that listed them;
 * its observation time (observed_at) is that response's `Date`. Events stamp rows with their
 * `published`. The host's clock never enters a comparison.
 *
 * Freshness rule, for a row whose stored state was read from Okta: a listed row replaces it only
 * if its source time is not older, so an old page never undoes a newer one.
 *
 * For a row whose stored state an event set (source_updated_at > observed_at, or never observed):
 * Okta's list results trail writes by seconds, so a read close to the event's time may not
 * reflect it yet. Within the ambiguity window of the event's time the read replaces the event's
 * state only if the object itself says it changed since (its `lastUpdated`; edges have none).
 * A read later than that is authoritative: it reflects the event. So is a targeted re-read not
 * older than the event (`reread`): it was asked for after the event arrived, to decide exactly this
 * (Okta documents list lag as typically under a second, see libs/okta-sim/README.md). An event stamped ahead of
 * Okta's clock therefore holds its state only until reads pass its time plus the window, and
 * events more than the allowed skew ahead are rejected before they get here (event-time.ts in
 * @idgraph/normalize), so no event pins its state for long.
 *
 * The row still counts as *seen* by the run either way (last_seen_at, last_run_id), so
 * finishFullSync never tombstones an object the run did list. Replacing a row's data clears its
 * tombstone (a returning object comes back to life).
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
  /** Rows carry the object's own `lastUpdated` as source time (nodes); edges carry the read's time. */
  objectTime: boolean;
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
  objectTime: true,
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
  objectTime: true,
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
  objectTime: true,
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
  objectTime: true,
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
  objectTime: true,
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [req('label', 'text', (r) => r.label), c('description', 'text', (r) => r.description), c('raw', 'jsonb', (r) => r.raw)],
};

export const resourceSetSpec: TableSpec<ResourceSetRow> = {
  table: 'resource_sets',
  objectTime: true,
  keys: [c('okta_id', 'text', (r) => r.oktaId)],
  data: [req('label', 'text', (r) => r.label), c('description', 'text', (r) => r.description), c('raw', 'jsonb', (r) => r.raw)],
};

export const membershipSpec: TableSpec<GroupMembershipRow> = {
  table: 'group_memberships',
  objectTime: false,
  keys: [c('user_id', 'text', (r) => r.userId), c('group_id', 'text', (r) => r.groupId)],
  data: [],
};

export const appUserSpec: TableSpec<AppUserAssignmentRow> = {
  table: 'app_user_assignments',
  objectTime: false,
  keys: [c('app_id', 'text', (r) => r.appId), c('user_id', 'text', (r) => r.userId)],
  data: [c('scope', 'text', (r) => r.scope), c('status', 'text', (r) => r.status), c('raw', 'jsonb', (r) => r.raw)],
};

export const appGroupSpec: TableSpec<AppGroupAssignmentRow> = {
  table: 'app_group_assignments',
  objectTime: false,
  keys: [c('app_id', 'text', (r) => r.appId), c('group_id', 'text', (r) => r.groupId)],
  data: [c('priority', 'integer', (r) => r.priority), c('raw', 'jsonb', (r) => r.raw)],
};

export const roleAssignmentSpec: TableSpec<RoleAssignmentRow> = {
  table: 'role_assignments',
  objectTime: false,
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

function checkRow<R extends { sourceUpdatedAt: Date; observedAt?: Date }>(spec: TableSpec<R>, row: R, index: number): void {
  if (!(row.sourceUpdatedAt instanceof Date) || Number.isNaN(row.sourceUpdatedAt.getTime())) {
    throw new Error(`${spec.table} row ${index}: sourceUpdatedAt must be a valid Date (the Okta-side time of the row)`);
  }
  if (row.observedAt !== undefined && (!(row.observedAt instanceof Date) || Number.isNaN(row.observedAt.getTime()))) {
    throw new Error(`${spec.table} row ${index}: observedAt must be a valid Date (the response's Date header) or absent`);
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
  /** The ambiguity window (ms) around an event's time within which a read does not override it. */
  ambiguityMs: number;
  /**
   * A targeted re-read, asked for after the events about these objects were stored, to decide
   * what their times could not: a read not older than an event's time replaces its state.
   */
  reread?: boolean;
}

/** Upserts rows into one table; returns how many rows were written (inserted or touched). */
export async function upsertRows<R extends { sourceUpdatedAt: Date; observedAt?: Date }>(
  exec: Executor,
  spec: TableSpec<R>,
  ctx: UpsertContext,
  rows: readonly R[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = dedupeByKey(spec, rows);
  const cols = [...spec.keys, ...spec.data];
  const bulkCols: BulkColumn[] = [
    ...cols.map((col) => ({ name: col.name, type: col.type })),
    { name: 'source_updated_at', type: 'timestamptz' },
    { name: 'observed_at', type: 'timestamptz' },
  ];
  if (!(ctx.ambiguityMs >= 0)) throw new Error(`upsertRows: ambiguityMs must be ≥ 0, got ${ctx.ambiguityMs}`);
  const window = sql`make_interval(secs => ${ctx.reread ? 0 : ctx.ambiguityMs / 1000}::double precision)`;
  const eventSet = sql.raw('(t."observed_at" IS NULL OR t."source_updated_at" > t."observed_at")');
  const objectNewer = sql.raw(spec.objectTime ? 'excluded."source_updated_at" >= t."source_updated_at"' : 'false');
  const fresher = sql`(CASE WHEN ${eventSet}
    THEN ${objectNewer} OR excluded."observed_at" >= t."source_updated_at" + ${window}
    ELSE excluded."source_updated_at" >= t."source_updated_at" END)`;
  const sets: SQL[] = [
    ...spec.data.map((col) => sql`${ident(col.name)} = CASE WHEN ${fresher} THEN excluded.${ident(col.name)}
      WHEN t."raw" IS NULL THEN COALESCE(${storedValue(col)}, excluded.${ident(col.name)}) ELSE t.${ident(col.name)} END`),
    // Replaced: the read's source time, even a node's lastUpdated older than the event it overrules.
    sql`"source_updated_at" = CASE WHEN ${fresher} THEN excluded."source_updated_at" ELSE t."source_updated_at" END`,
    sql`"observed_at" = CASE WHEN ${fresher} THEN excluded."observed_at" ELSE t."observed_at" END`,
    sql`"deleted_at" = CASE WHEN ${fresher} THEN NULL ELSE t."deleted_at" END`,
    sql.raw('"last_seen_at" = excluded."last_seen_at"'),
    sql.raw('"last_run_id" = excluded."last_run_id"'),
  ];
  const conflict = list([ident('tenant_id'), ident('integration_id'), ...spec.keys.map((k) => ident(k.name))]);
  let written = 0;
  for (let i = 0; i < unique.length; i += CHUNK_ROWS) {
    const chunk = unique.slice(i, i + CHUNK_ROWS).map((row) => {
      // Without the read's time (rows built by hand), the row's source time stands for it.
      const o: Record<string, unknown> = { source_updated_at: row.sourceUpdatedAt, observed_at: row.observedAt ?? row.sourceUpdatedAt };
      for (const col of cols) o[col.name] = col.get(row) ?? null;
      return o;
    });
    const result = await exec.rows<{ n: number }>(sql`
      WITH written AS (
        INSERT INTO ${ident(spec.table)} AS t (
          "tenant_id", "integration_id", ${list(cols.map((col) => ident(col.name)))},
          "source_updated_at", "observed_at", "first_seen_at", "last_seen_at", "last_run_id", "deleted_at")
        SELECT ${ctx.tenantId}, ${ctx.integrationId}::uuid, ${list(bulkCols.map(bulkValue))}, now(), now(), ${ctx.runId}::uuid, NULL
        FROM ${bulkRows(bulkCols, chunk)}
        ON CONFLICT (${conflict}) DO UPDATE SET ${list(sets)}
        RETURNING 1)
      SELECT count(*)::int AS n FROM written`);
    written += result[0]?.n ?? 0;
  }
  return written;
}
