/**
 * Where idgraph keeps personal data, one entry per kind of data. Access reads each source;
 * erasure removes (or scrubs) what each holds about the person, then sweeps every remaining text
 * and JSON column for the person's identifiers. A new table of personal data is one more entry in
 * PERSONAL_DATA_SOURCES (SCIM Users are one).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@idgraph/graph';
import { eventSubjectIds } from '@idgraph/normalize';
import { ERASED, needlePattern, scrubJson, type Person } from './person.js';

export type Row = Record<string, unknown>;

export interface PersonalDataSource {
  /** Key of the source in access results and erasure counts. */
  name: string;
  /** Every row of this source about the person. */
  find(exec: Executor, tenant: string, person: Person): Promise<Row[]>;
  /** Removes or scrubs those rows; returns how many rows it removed or changed. */
  erase(exec: Executor, tenant: string, person: Person): Promise<number>;
}

/** `(integration_id, column) IN ((…), …)` over the person's user ids, or FALSE when there are none. */
function ownedBy(person: Person, column: string, prefix = ''): SQL {
  const pairs: SQL[] = [];
  for (const [integrationId, ids] of person.idsByIntegration) for (const id of ids) pairs.push(sql`(${integrationId}, ${prefix + id})`);
  if (!pairs.length) return sql`FALSE`;
  return sql`(integration_id::text, ${sql.raw(`"${column}"`)}) IN (${sql.join(pairs, sql`, `)})`;
}

/** Graph rows that are the person or an edge of theirs: deleted outright (no tombstone left). */
function graphRows(name: string, table: string, userColumn: string, extra: SQL = sql``): PersonalDataSource {
  const where = (tenant: string, person: Person) => sql`tenant_id = ${tenant} AND ${ownedBy(person, userColumn)}${extra}`;
  return {
    name,
    find: (exec, tenant, person) => exec.rows<Row>(sql`SELECT * FROM ${sql.raw(`"${table}"`)} WHERE ${where(tenant, person)}`),
    erase: async (exec, tenant, person) =>
      (await exec.rows<{ n: number }>(sql`WITH d AS (DELETE FROM ${sql.raw(`"${table}"`)} WHERE ${where(tenant, person)} RETURNING 1) SELECT count(*)::int AS n FROM d`))[0]!.n,
  };
}

function allIds(person: Person): string[] {
  return [...person.idsByIntegration.values()].flat();
}

/** Needles plus the person's Okta ids: what marks an event or a finding as theirs. */
function markers(person: Person): string {
  return needlePattern([...person.needles, ...allIds(person)]);
}

interface LogEventEntity {
  id?: unknown;
  alternateId?: unknown;
  displayName?: unknown;
  detailEntry?: unknown;
}

/**
 * System Log events that mention the person: as actor, as a target, or anywhere in the event.
 * Erasure keeps the event (others' history) but removes the person from it: their actor/target
 * entries lose id, alternateId and display name; as actor, the client's IP, location and user
 * agent go too; then every remaining mention is replaced.
 */
const logEvents: PersonalDataSource = {
  name: 'log_events',
  async find(exec, tenant, person) {
    const rows = await exec.rows<Row & { raw: string | null }>(sql`
      SELECT tenant_id, integration_id::text AS integration_id, uuid, published, event_type, severity, actor_id, outcome, received_via, stored_at, raw
      FROM log_events WHERE tenant_id = ${tenant} AND raw ~* ${markers(person)}
      ORDER BY published, uuid`);
    return rows.map((r) => ({ ...r, raw: r.raw === null ? null : (JSON.parse(r.raw) as unknown) }));
  },
  async erase(exec, tenant, person) {
    const ids = new Set(allIds(person));
    const needles = new Set(person.needles);
    const pattern = new RegExp(markers(person), 'gi');
    const rows = await exec.rows<{ integration_id: string; uuid: string; raw: string; actor_id: string | null }>(sql`
      SELECT integration_id::text AS integration_id, uuid, raw, actor_id FROM log_events WHERE tenant_id = ${tenant} AND raw ~* ${markers(person)}`);
    const isPerson = (e: LogEventEntity | null | undefined): boolean =>
      !!e && ((typeof e.id === 'string' && ids.has(e.id)) || (typeof e.alternateId === 'string' && needles.has(e.alternateId.toLowerCase())));
    const blank = (e: LogEventEntity): void => {
      e.id = ERASED;
      e.alternateId = ERASED;
      e.displayName = ERASED;
      e.detailEntry = null;
    };
    for (const row of rows) {
      const event = JSON.parse(row.raw) as { actor?: LogEventEntity; target?: LogEventEntity[] | null; client?: Record<string, unknown> | null; request?: { ipChain?: unknown[] } };
      const actorWasPerson = isPerson(event.actor);
      if (actorWasPerson && event.actor) {
        blank(event.actor);
        if (event.client) event.client = { ...event.client, ipAddress: ERASED, geographicalContext: null, userAgent: null, id: null };
        if (event.request) event.request = { ...event.request, ipChain: [] };
      }
      for (const t of event.target ?? []) if (isPerson(t)) blank(t);
      const scrubbedEvent = scrubJson(event, pattern) as typeof event;
      const scrubbed = JSON.stringify(scrubbedEvent);
      // The person's events are found through subject_ids: their ids leave it with them.
      const subjects = eventSubjectIds(scrubbedEvent)?.filter((id) => id !== ERASED && !ids.has(id)) ?? [];
      await exec.rows(sql`
        UPDATE log_events SET raw = ${scrubbed}, actor_id = ${actorWasPerson || (row.actor_id !== null && ids.has(row.actor_id)) ? null : row.actor_id},
          subject_ids = ${subjects.length > 0 ? sql`ARRAY[${sql.join(subjects.map((id) => sql`${id}::text`), sql`, `)}]` : sql`NULL`}
        WHERE tenant_id = ${tenant} AND integration_id = ${row.integration_id}::uuid AND uuid = ${row.uuid}`);
    }
    return rows.length;
  },
};

/** Findings about the person are deleted; other findings that name them are scrubbed. */
const findings: PersonalDataSource = {
  name: 'findings',
  find: (exec, tenant, person) =>
    exec.rows<Row>(sql`
      SELECT tenant_id, integration_id::text AS integration_id, check_id, subject, severity, details, first_seen_at, last_seen_at, resolved_at
      FROM findings WHERE tenant_id = ${tenant} AND (${ownedBy(person, 'subject', 'user:')} OR details::text ~* ${markers(person)})
      ORDER BY check_id, subject`),
  async erase(exec, tenant, person) {
    const [deleted] = await exec.rows<{ n: number }>(sql`
      WITH d AS (DELETE FROM findings WHERE tenant_id = ${tenant} AND ${ownedBy(person, 'subject', 'user:')} RETURNING 1) SELECT count(*)::int AS n FROM d`);
    const pattern = new RegExp(markers(person), 'gi');
    const others = await exec.rows<{ integration_id: string; check_id: string; subject: string; details: unknown }>(sql`
      SELECT integration_id::text AS integration_id, check_id, subject, details FROM findings
      WHERE tenant_id = ${tenant} AND details::text ~* ${markers(person)}`);
    for (const f of others) {
      await exec.rows(sql`
        UPDATE findings SET details = ${JSON.stringify(scrubJson(f.details, pattern))}::jsonb
        WHERE tenant_id = ${tenant} AND integration_id = ${f.integration_id}::uuid AND check_id = ${f.check_id} AND subject = ${f.subject}`);
    }
    return deleted!.n + others.length;
  },
};

/**
 * SCIM Users provisioned into idgraph (scim_resources): the person's by graph node, userName or
 * any mention in the stored resource (emails, names). Erasure deletes them, and with them their
 * group memberships (scim_members); Okta's next push for them answers 404.
 */
const scimUsers: PersonalDataSource = {
  name: 'scim_resources',
  find: (exec, tenant, person) =>
    exec.rows<Row>(sql`
      SELECT tenant_id, integration_id::text AS integration_id, id, resource_type, external_id, user_name, display_name, active, graph_id, resource, created_at, updated_at
      FROM scim_resources WHERE ${scimWhere(tenant, person)} ORDER BY integration_id, id`),
  erase: async (exec, tenant, person) =>
    (await exec.rows<{ n: number }>(sql`WITH d AS (DELETE FROM scim_resources WHERE ${scimWhere(tenant, person)} RETURNING 1) SELECT count(*)::int AS n FROM d`))[0]!.n,
};

function scimWhere(tenant: string, person: Person): SQL {
  // By node, userName or email address only: a full name is shared by other people.
  const addresses = person.needles.filter((n) => n.includes('@'));
  return sql`tenant_id = ${tenant} AND resource_type = 'User'
    AND (${ownedBy(person, 'graph_id')} OR lower(user_name) = ANY(${sql.param(addresses)}::text[])
      OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(resource->'emails') = 'array' THEN resource->'emails' ELSE '[]'::jsonb END) e
        WHERE lower(e->>'value') = ANY(${sql.param(addresses)}::text[])))`;
}

/**
 * The personal-data sources, in erasure order (edges before the user row). Add a source here
 * when a table of personal data is added.
 */
export const PERSONAL_DATA_SOURCES: readonly PersonalDataSource[] = [
  scimUsers,
  graphRows('group_memberships', 'group_memberships', 'user_id'),
  graphRows('app_user_assignments', 'app_user_assignments', 'user_id'),
  graphRows('factors', 'factors', 'user_id'),
  graphRows('role_assignments', 'role_assignments', 'principal_id', sql` AND principal_kind = 'user'`),
  graphRows('role_targets', 'role_targets', 'principal_id', sql` AND principal_kind = 'user'`),
  graphRows('resource_set_resources', 'resource_set_resources', 'target_id', sql` AND target_kind = 'user'`),
  graphRows('api_tokens', 'api_tokens', 'user_id'),
  graphRows('users', 'users', 'okta_id'),
  logEvents,
  findings,
];

/** Tables never swept: the audit is append-only and holds ids only; erasure records hold hashes. */
const UNSWEPT_TABLES = new Set(['action_audit', 'privacy_erasures']);

interface TextColumn {
  table: string;
  column: string;
  type: 'text' | 'jsonb' | 'json';
}

/** Every text and JSON column of the public schema's tables (so tables added later are covered). */
async function textColumns(exec: Executor): Promise<TextColumn[]> {
  const cols = await exec.rows<{ table_name: string; column_name: string; data_type: string }>(sql`
    SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'character varying', 'jsonb', 'json')
    ORDER BY c.table_name, c.ordinal_position`);
  return cols
    .filter((c) => !UNSWEPT_TABLES.has(c.table_name))
    .map((c) => ({ table: c.table_name, column: c.column_name, type: c.data_type === 'jsonb' || c.data_type === 'json' ? (c.data_type as 'jsonb' | 'json') : 'text' }));
}

/**
 * Rows anywhere else that mention the person (a group description, another object's raw JSON):
 * found by their identifiers in any text or JSON column of any table.
 */
export async function findMentions(exec: Executor, tenant: string, person: Person, skipTables: ReadonlySet<string>): Promise<Row[]> {
  const pattern = needlePattern(person.needles);
  const out: Row[] = [];
  for (const c of await textColumns(exec)) {
    if (skipTables.has(c.table)) continue;
    const rows = await exec.rows<{ row: Row }>(sql`
      SELECT to_jsonb(t.*) AS row FROM ${sql.raw(`"${c.table}"`)} t
      WHERE ${sql.raw(`t."${c.column}"`)}::text ~* ${pattern}
        AND (to_jsonb(t.*)->>'tenant_id' IS NULL OR to_jsonb(t.*)->>'tenant_id' = ${tenant})`);
    for (const r of rows) out.push({ table: c.table, column: c.column, row: r.row });
  }
  return out;
}

/** Replaces the person's identifiers in every text and JSON column still holding them; returns counts by `table.column`. */
export async function sweepMentions(exec: Executor, tenant: string, person: Person): Promise<Record<string, number>> {
  const pattern = needlePattern(person.needles);
  const counts: Record<string, number> = {};
  for (const c of await textColumns(exec)) {
    const col = sql.raw(`"${c.column}"`);
    const replaced = c.type === 'text' ? sql`regexp_replace(${col}, ${pattern}, ${ERASED}, 'gi')` : sql`regexp_replace(${col}::text, ${pattern}, ${ERASED}, 'gi')::${sql.raw(c.type)}`;
    const [r] = await exec.rows<{ n: number }>(sql`
      WITH u AS (
        UPDATE ${sql.raw(`"${c.table}"`)} t SET ${col} = ${replaced}
        WHERE ${sql.raw(`t."${c.column}"`)}::text ~* ${pattern}
          AND (to_jsonb(t.*)->>'tenant_id' IS NULL OR to_jsonb(t.*)->>'tenant_id' = ${tenant})
        RETURNING 1)
      SELECT count(*)::int AS n FROM u`);
    if (r!.n > 0) counts[`${c.table}.${c.column}`] = r!.n;
  }
  return counts;
}
