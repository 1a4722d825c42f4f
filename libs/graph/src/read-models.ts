/**
 * Read models for people-facing views (the operator API and console): paged findings, people
 * search and one person with everything around them. Every query is bounded (a page, a limit)
 * and walks an index from its tenant/integration prefix, so it stays fast on large orgs.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './executor.js';
import { apiReadSql, arrivedVia, type ArrivedVia } from './export-format.js';

export const FINDING_STATES = ['open', 'resolved', 'all'] as const;
export type FindingState = (typeof FINDING_STATES)[number];

export interface FindingsQuery {
  integrationId?: string | undefined;
  checkId?: string | undefined;
  severity?: string | undefined;
  /** Default open. */
  state?: FindingState | undefined;
  /** From a previous page's nextCursor. */
  cursor?: string | undefined;
  /** Default 100, at most 1000. */
  limit?: number | undefined;
}

export interface FindingView {
  integrationId: string;
  integration: string;
  checkId: string;
  subject: string;
  /** What people recognise (login, group or app name), as the check recorded it. */
  label: string | null;
  severity: string;
  state: 'open' | 'resolved';
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

export interface FindingsPage {
  items: FindingView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A cursor that cannot be read: the caller's input was wrong. */
export class CursorError extends Error {
  constructor() {
    super('cursor is not one this server handed out: pass the nextCursor of the previous page, or omit it to start at the first page');
    this.name = 'CursorError';
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function encodeCursor(key: [string, string, string]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === 3 && key.every((k) => typeof k === 'string') && UUID_RE.test(key[0] as string)) return key as [string, string, string];
  } catch {
    // falls through to the error below
  }
  throw new CursorError();
}

export const iso = (v: unknown): string => new Date(v as string).toISOString();
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

/** Findings in (integration, check, subject) order, the primary key's: keyset paging walks it. */
export async function findingsPage(exec: Executor, tenantId: string, q: FindingsQuery): Promise<FindingsPage> {
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
  const state = q.state ?? 'open';
  const where: SQL[] = [sql`f.tenant_id = ${tenantId}`];
  if (q.integrationId) where.push(sql`f.integration_id = ${q.integrationId}::uuid`);
  if (q.checkId) where.push(sql`f.check_id = ${q.checkId}`);
  if (q.severity) where.push(sql`f.severity = ${q.severity}`);
  if (state === 'open') where.push(sql`f.resolved_at IS NULL`);
  if (state === 'resolved') where.push(sql`f.resolved_at IS NOT NULL`);
  if (q.cursor) {
    const [i, c, s] = decodeCursor(q.cursor);
    where.push(sql`(f.tenant_id, f.integration_id, f.check_id, f.subject) > (${tenantId}, ${i}::uuid, ${c}, ${s}::text COLLATE "C")`);
  }
  const rows = await exec.rows<Record<string, unknown>>(sql`
    SELECT f.integration_id::text AS integration_id, i.name AS integration, f.check_id, f.subject, f.severity,
      f.details->>'label' AS label, f.first_seen_at, f.last_seen_at, f.resolved_at
    FROM findings f JOIN integrations i ON i.tenant_id = f.tenant_id AND i.id = f.integration_id
    WHERE ${sql.join(where, sql` AND `)}
    ORDER BY f.tenant_id, f.integration_id, f.check_id, f.subject
    LIMIT ${limit + 1}`, { prepare: true });
  const items = rows.slice(0, limit).map((r) => ({
    integrationId: r.integration_id as string,
    integration: r.integration as string,
    checkId: r.check_id as string,
    subject: r.subject as string,
    label: (r.label as string | null) ?? null,
    severity: r.severity as string,
    state: r.resolved_at == null ? ('open' as const) : ('resolved' as const),
    firstSeenAt: iso(r.first_seen_at),
    lastSeenAt: iso(r.last_seen_at),
    resolvedAt: isoOrNull(r.resolved_at),
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.integrationId, last.checkId, last.subject]) : null };
}

export interface FindingCount {
  integrationId: string;
  checkId: string;
  severity: string;
  open: number;
}

/** Open findings per integration and check. */
export async function openFindingCounts(exec: Executor, tenantId: string, integrationId?: string): Promise<FindingCount[]> {
  const rows = await exec.rows<Record<string, unknown>>(sql`
    SELECT f.integration_id::text AS integration_id, f.check_id, f.severity, count(*)::int AS open
    FROM findings f JOIN integrations i ON i.tenant_id = f.tenant_id AND i.id = f.integration_id
    WHERE f.tenant_id = ${tenantId} AND f.resolved_at IS NULL
      ${integrationId ? sql`AND f.integration_id = ${integrationId}::uuid` : sql``}
    GROUP BY f.integration_id, f.check_id, f.severity
    ORDER BY f.integration_id, f.check_id`, { prepare: true });
  return rows.map((r) => ({ integrationId: r.integration_id as string, checkId: r.check_id as string, severity: r.severity as string, open: Number(r.open) }));
}

export interface PersonSummary {
  integrationId: string;
  integration: string;
  userId: string;
  login: string | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  status: string;
}

/** Escapes LIKE wildcards so a search matches the text as typed. */
function likeContains(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Live users whose login, email or name contains q (case-insensitive), logins first by order. */
export async function searchPeople(exec: Executor, tenantId: string, q: string, opts: { integrationId?: string | undefined; limit?: number } = {}): Promise<PersonSummary[]> {
  const pattern = likeContains(q.trim());
  const rows = await exec.rows<Record<string, unknown>>(sql`
    SELECT u.integration_id::text AS integration_id, i.name AS integration, u.okta_id, u.login, u.email, u.first_name, u.last_name, u.status
    FROM users u JOIN integrations i ON i.tenant_id = u.tenant_id AND i.id = u.integration_id
    WHERE u.tenant_id = ${tenantId} AND u.deleted_at IS NULL
      ${opts.integrationId ? sql`AND u.integration_id = ${opts.integrationId}::uuid` : sql``}
      AND (u.login ILIKE ${pattern} OR u.email ILIKE ${pattern}
        OR (coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) ILIKE ${pattern})
    ORDER BY u.login, u.okta_id
    LIMIT ${Math.min(Math.max(opts.limit ?? 50, 1), 200)}`, { prepare: true });
  return rows.map((r) => ({
    integrationId: r.integration_id as string,
    integration: r.integration as string,
    userId: r.okta_id as string,
    login: (r.login as string | null) ?? null,
    email: (r.email as string | null) ?? null,
    firstName: (r.first_name as string | null) ?? null,
    lastName: (r.last_name as string | null) ?? null,
    status: r.status as string,
  }));
}

export interface GroupRef {
  id: string;
  name: string | null;
}

export interface PersonView {
  integrationId: string;
  userId: string;
  profile: {
    login: string | null;
    email: string | null;
    firstName: string | null;
    lastName: string | null;
    status: string;
    created: string | null;
    activated: string | null;
    statusChanged: string | null;
    lastLogin: string | null;
    passwordChanged: string | null;
    credentialProvider: string | null;
  };
  /** True when the user is tombstoned (gone from Okta); the rest is what was last known. */
  deleted: boolean;
  /** How the person arrived: Okta's API (collection, System Log), SCIM provisioning, or both (see export-format.ts). */
  arrivedVia: ArrivedVia;
  groups: { id: string; name: string; type: string }[];
  /** Each app once: direct (a USER-scope assignment) and/or through the listed groups. */
  apps: { id: string; name: string; label: string | null; status: string; direct: boolean; viaGroups: GroupRef[] }[];
  /** Each role once: direct and/or through the listed groups. */
  adminRoles: { roleId: string; label: string | null; resourceSetId: string | null; direct: boolean; viaGroups: GroupRef[] }[];
  factors: { id: string; factorType: string; provider: string | null; status: string; created: string | null }[];
  /** The newest System Log events (at most 50) with the person as actor or as a User target. */
  events: { uuid: string; published: string; eventType: string; severity: string | null; outcome: string | null; displayMessage: string | null; role: 'actor' | 'target' }[];
  openFindings: { checkId: string; severity: string; title: string | null; firstSeenAt: string; lastSeenAt: string }[];
  /**
   * The start of the window the events were found in (see PERSON_EVENT_WINDOWS_DAYS): every event
   * of the person since then is newer than those left out; null when all stored events were searched.
   */
  eventsSince: string | null;
}

/**
 * The windows the person view searches for events, newest first (days; null = all stored events).
 * Each is a superset of the one before, so the first that holds PERSON_EVENTS events holds the
 * newest ones. The index on subject_ids finds a person's events in any window; the windows bound
 * the rows read for someone with a long history (a service account's thousands of events a day).
 */
export const PERSON_EVENT_WINDOWS_DAYS = [1, 30, null] as const;
const PERSON_EVENTS = 50;

/** An event of the person view as the statement returns it (timestamps as JSON text). */
interface PersonEventRow {
  uuid: string;
  published: string;
  eventType: string;
  severity: string | null;
  outcome: string | null;
  /** The displayMessage member as it is written in the stored JSON text (escapes and all), or null. */
  message: string | null;
  actor: boolean;
}

/**
 * The displayMessage member in an event's stored JSON text, its body captured. Read from the text,
 * not parsed as JSON by the server: PostgreSQL refuses escapes Okta's text may hold (a NUL).
 */
const DISPLAY_MESSAGE = String.raw`"displayMessage"\s*:\s*"((?:[^"\\]|\\.)*)"`;

/** The events of one window of the person view: the newest 50 of the person's, or [] where an earlier window held 50. */
function personEventsIn(tenantId: string, integrationId: string, userId: string, since: string | null, skipUnless: SQL): SQL {
  return sql`(
    SELECT json_agg(json_build_object('uuid', e.uuid, 'published', e.published, 'eventType', e.event_type, 'severity', e.severity,
      'outcome', e.outcome, 'message', e.message, 'actor', e.actor_id IS NOT DISTINCT FROM ${userId}) ORDER BY e.published DESC, e.uuid)
    FROM (
      SELECT uuid, published, event_type, severity, outcome, actor_id,
        substring(raw FROM ${DISPLAY_MESSAGE}) AS message
      FROM log_events
      WHERE ${skipUnless} AND tenant_id = ${tenantId} AND integration_id = ${integrationId}::uuid AND subject_ids @> ARRAY[${userId}::text]
        ${since ? sql`AND published > ${since}::timestamptz` : sql``}
      ORDER BY published DESC, uuid
      LIMIT ${PERSON_EVENTS}
    ) e)`;
}

/**
 * One person of an integration with everything around them; undefined when no such user was ever
 * seen. One statement, one round trip: the person route runs it on every view, and as nine
 * queries the round trips (each a write to the server, a wake-up and a reply) cost more than the
 * queries. Each part is an aggregate of its own; the event windows after the first run only when
 * the one before held fewer than 50 events. Lookups by key are LATERAL subqueries fenced with
 * OFFSET 0 (which keeps the planner from turning them back into joins), so that a generic plan
 * (serve plans once, see OpenDatabaseOptions.genericPlans) probes the primary keys instead of
 * hashing whole tables: it cannot know that one user has ten groups.
 */
export async function personView(exec: Executor, tenantId: string, integrationId: string, userId: string): Promise<PersonView | undefined> {
  const now = Date.now();
  const [day, month] = PERSON_EVENT_WINDOWS_DAYS.slice(0, 2).map((d) => new Date(now - (d as number) * 86_400_000).toISOString()) as [string, string];
  const scope = (alias: string) => sql`${sql.raw(alias)}.tenant_id = ${tenantId} AND ${sql.raw(alias)}.integration_id = ${integrationId}::uuid`;
  const [row] = await exec.rows<{
    user: Record<string, unknown> | null;
    groups: { id: string; name: string; type: string }[];
    apps: { id: string; name: string; label: string | null; status: string; groupId: string | null; groupName: string | null }[];
    roles: { roleId: string; resourceSetId: string; groupId: string | null; groupName: string | null; label: string | null }[];
    factors: { id: string; factorType: string; provider: string | null; status: string; created: string | null }[];
    findings: { checkId: string; severity: string; title: string | null; firstSeenAt: string; lastSeenAt: string }[];
    events_day: PersonEventRow[] | null;
    events_month: PersonEventRow[] | null;
    events_all: PersonEventRow[] | null;
  }>(
    sql`
    WITH my_groups AS MATERIALIZED (
      SELECT g.okta_id, g.name, g.group_type
      FROM group_memberships m CROSS JOIN LATERAL (
        SELECT g.okta_id, g.name, g.group_type FROM groups g
        WHERE ${scope('g')} AND g.okta_id = m.group_id AND g.deleted_at IS NULL OFFSET 0) g
      WHERE ${scope('m')} AND m.user_id = ${userId} AND m.deleted_at IS NULL
    ), grants AS (
      SELECT a.app_id, NULL::text AS group_id, NULL::text AS group_name FROM app_user_assignments a
      WHERE ${scope('a')} AND a.user_id = ${userId} AND a.deleted_at IS NULL AND coalesce(a.scope, 'USER') = 'USER'
      UNION ALL
      SELECT ag.app_id, mg.okta_id, mg.name FROM my_groups mg CROSS JOIN LATERAL (
        SELECT ag.app_id FROM app_group_assignments ag WHERE ${scope('ag')} AND ag.group_id = mg.okta_id AND ag.deleted_at IS NULL OFFSET 0) ag
    ), roles_held AS (
      SELECT r.role_id, r.resource_set_id, NULL::text AS group_id, NULL::text AS group_name FROM role_assignments r
      WHERE ${scope('r')} AND r.principal_kind = 'user' AND r.principal_id = ${userId} AND r.deleted_at IS NULL
      UNION ALL
      SELECT r.role_id, r.resource_set_id, mg.okta_id, mg.name FROM my_groups mg CROSS JOIN LATERAL (
        SELECT r.role_id, r.resource_set_id FROM role_assignments r
        WHERE ${scope('r')} AND r.principal_kind = 'group' AND r.principal_id = mg.okta_id AND r.deleted_at IS NULL OFFSET 0) r
    ), ev_day AS MATERIALIZED (SELECT ${personEventsIn(tenantId, integrationId, userId, day, sql`true`)} AS list
    ), ev_month AS MATERIALIZED (SELECT ${personEventsIn(tenantId, integrationId, userId, month, sql`coalesce(json_array_length((SELECT list FROM ev_day)), 0) < ${PERSON_EVENTS}`)} AS list
    ), ev_all AS MATERIALIZED (SELECT ${personEventsIn(tenantId, integrationId, userId, null, sql`coalesce(json_array_length((SELECT list FROM ev_month)), 0) < ${PERSON_EVENTS} AND coalesce(json_array_length((SELECT list FROM ev_day)), 0) < ${PERSON_EVENTS}`)} AS list
    )
    SELECT
      (SELECT json_build_object('login', u.login, 'email', u.email, 'firstName', u.first_name, 'lastName', u.last_name, 'status', u.status,
          'created', u.created, 'activated', u.activated, 'statusChanged', u.status_changed, 'lastLogin', u.last_login,
          'passwordChanged', u.password_changed, 'credentialProvider', u.credential_provider, 'deleted', u.deleted_at IS NOT NULL,
          'viaScim', u.via_scim, 'apiRead', ${sql.raw(apiReadSql('u'))})
        FROM users u WHERE ${scope('u')} AND u.okta_id = ${userId}) AS "user",
      coalesce((SELECT json_agg(json_build_object('id', okta_id, 'name', name, 'type', group_type) ORDER BY name, okta_id) FROM my_groups), '[]') AS groups,
      coalesce((SELECT json_agg(json_build_object('id', ap.okta_id, 'name', ap.name, 'label', ap.label, 'status', ap.status, 'groupId', gr.group_id, 'groupName', gr.group_name)
          ORDER BY coalesce(ap.label, ap.name), ap.okta_id, gr.group_id NULLS FIRST)
        FROM grants gr CROSS JOIN LATERAL (
          SELECT ap.okta_id, ap.name, ap.label, ap.status FROM apps ap WHERE ${scope('ap')} AND ap.okta_id = gr.app_id AND ap.deleted_at IS NULL OFFSET 0) ap), '[]') AS apps,
      coalesce((SELECT json_agg(json_build_object('roleId', rh.role_id, 'resourceSetId', rh.resource_set_id, 'groupId', rh.group_id, 'groupName', rh.group_name, 'label', cr.label)
          ORDER BY rh.role_id, rh.resource_set_id, rh.group_id NULLS FIRST)
        FROM roles_held rh LEFT JOIN LATERAL (
          SELECT cr.label FROM roles cr WHERE ${scope('cr')} AND cr.okta_id = rh.role_id OFFSET 0) cr ON true), '[]') AS roles,
      coalesce((SELECT json_agg(json_build_object('id', f.okta_id, 'factorType', f.factor_type, 'provider', f.provider, 'status', f.status, 'created', f.created)
          ORDER BY f.factor_type, f.okta_id)
        FROM factors f WHERE ${scope('f')} AND f.user_id = ${userId} AND f.deleted_at IS NULL), '[]') AS factors,
      coalesce((SELECT json_agg(json_build_object('checkId', fi.check_id, 'severity', fi.severity, 'title', fi.details->>'title',
            'firstSeenAt', fi.first_seen_at, 'lastSeenAt', fi.last_seen_at) ORDER BY fi.check_id)
        FROM findings fi WHERE ${scope('fi')} AND fi.subject = ${`user:${userId}`} AND fi.resolved_at IS NULL), '[]') AS findings,
      (SELECT list FROM ev_day) AS events_day, (SELECT list FROM ev_month) AS events_month, (SELECT list FROM ev_all) AS events_all`,
    { prepare: true },
  );
  const user = row?.user;
  if (!row || !user) return undefined;

  const appsById = new Map<string, PersonView['apps'][number]>();
  for (const r of row.apps) {
    let app = appsById.get(r.id);
    if (!app) {
      app = { id: r.id, name: r.name, label: r.label ?? null, status: r.status, direct: false, viaGroups: [] };
      appsById.set(r.id, app);
    }
    if (r.groupId == null) app.direct = true;
    else app.viaGroups.push({ id: r.groupId, name: r.groupName ?? null });
  }
  const rolesByKey = new Map<string, PersonView['adminRoles'][number]>();
  for (const r of row.roles) {
    const key = `${r.roleId}\u0000${r.resourceSetId}`;
    let role = rolesByKey.get(key);
    if (!role) {
      role = { roleId: r.roleId, label: r.label ?? null, resourceSetId: r.resourceSetId || null, direct: false, viaGroups: [] };
      rolesByKey.set(key, role);
    }
    if (r.groupId == null) role.direct = true;
    else role.viaGroups.push({ id: r.groupId, name: r.groupName ?? null });
  }
  const full = (list: PersonEventRow[] | null): list is PersonEventRow[] => (list?.length ?? 0) >= PERSON_EVENTS;
  const [found, since] = full(row.events_day) ? [row.events_day, day] : full(row.events_month) ? [row.events_month, month] : [row.events_all ?? [], null];
  const s = (v: unknown) => (v as string | null) ?? null;
  return {
    integrationId,
    userId,
    profile: {
      login: s(user.login),
      email: s(user.email),
      firstName: s(user.firstName),
      lastName: s(user.lastName),
      status: user.status as string,
      created: isoOrNull(user.created),
      activated: isoOrNull(user.activated),
      statusChanged: isoOrNull(user.statusChanged),
      lastLogin: isoOrNull(user.lastLogin),
      passwordChanged: isoOrNull(user.passwordChanged),
      credentialProvider: s(user.credentialProvider),
    },
    deleted: user.deleted === true,
    arrivedVia: arrivedVia(user.viaScim === true, user.apiRead === true),
    groups: row.groups,
    apps: [...appsById.values()],
    adminRoles: [...rolesByKey.values()],
    factors: row.factors.map((f) => ({ id: f.id, factorType: f.factorType, provider: f.provider ?? null, status: f.status, created: isoOrNull(f.created) })),
    events: found.map((e) => ({
      uuid: e.uuid,
      published: iso(e.published),
      eventType: e.eventType,
      severity: e.severity ?? null,
      outcome: e.outcome ?? null,
      displayMessage: jsonStringBody(e.message),
      role: e.actor ? ('actor' as const) : ('target' as const),
    })),
    eventsSince: since,
    openFindings: row.findings.map((f) => ({ checkId: f.checkId, severity: f.severity, title: f.title ?? null, firstSeenAt: iso(f.firstSeenAt), lastSeenAt: iso(f.lastSeenAt) })),
  };
}

/** A JSON string's body as written between its quotes (escapes and all), decoded; null when absent or not valid. */
function jsonStringBody(body: string | null): string | null {
  if (body === null) return null;
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return null;
  }
}
