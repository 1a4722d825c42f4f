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

/** One person of an integration with everything around them; undefined when no such user was ever seen. */
export async function personView(exec: Executor, tenantId: string, integrationId: string, userId: string): Promise<PersonView | undefined> {
  const scope = sql`tenant_id = ${tenantId} AND integration_id = ${integrationId}::uuid`;
  const [user] = await exec.rows<Record<string, unknown>>(sql`
    SELECT okta_id, login, email, first_name, last_name, status, created, activated, status_changed, last_login,
      password_changed, credential_provider, deleted_at, via_scim, ${sql.raw(apiReadSql(''))} AS api_read
    FROM users WHERE ${scope} AND okta_id = ${userId}`, { prepare: true });
  if (!user) return undefined;
  const [groups, apps, roles, factors, events, findings] = await Promise.all([
    exec.rows<Record<string, unknown>>(sql`
      SELECT g.okta_id, g.name, g.group_type
      FROM group_memberships m JOIN groups g ON g.tenant_id = m.tenant_id AND g.integration_id = m.integration_id AND g.okta_id = m.group_id
      WHERE m.tenant_id = ${tenantId} AND m.integration_id = ${integrationId}::uuid AND m.user_id = ${userId}
        AND m.deleted_at IS NULL AND g.deleted_at IS NULL
      ORDER BY g.name, g.okta_id`, { prepare: true }),
    exec.rows<Record<string, unknown>>(sql`
      WITH my_groups AS (
        SELECT m.group_id FROM group_memberships m
        JOIN groups g ON g.tenant_id = m.tenant_id AND g.integration_id = m.integration_id AND g.okta_id = m.group_id AND g.deleted_at IS NULL
        WHERE m.tenant_id = ${tenantId} AND m.integration_id = ${integrationId}::uuid AND m.user_id = ${userId} AND m.deleted_at IS NULL
      ), grants AS (
        SELECT a.app_id, NULL::text AS group_id FROM app_user_assignments a
        WHERE a.tenant_id = ${tenantId} AND a.integration_id = ${integrationId}::uuid AND a.user_id = ${userId}
          AND a.deleted_at IS NULL AND coalesce(a.scope, 'USER') = 'USER'
        UNION ALL
        SELECT ag.app_id, ag.group_id FROM app_group_assignments ag JOIN my_groups mg ON mg.group_id = ag.group_id
        WHERE ag.tenant_id = ${tenantId} AND ag.integration_id = ${integrationId}::uuid AND ag.deleted_at IS NULL
      )
      SELECT ap.okta_id, ap.name, ap.label, ap.status, gr.group_id, g.name AS group_name
      FROM grants gr
      JOIN apps ap ON ap.tenant_id = ${tenantId} AND ap.integration_id = ${integrationId}::uuid AND ap.okta_id = gr.app_id AND ap.deleted_at IS NULL
      LEFT JOIN groups g ON g.tenant_id = ${tenantId} AND g.integration_id = ${integrationId}::uuid AND g.okta_id = gr.group_id
      ORDER BY coalesce(ap.label, ap.name), ap.okta_id, gr.group_id NULLS FIRST`, { prepare: true }),
    exec.rows<Record<string, unknown>>(sql`
      WITH my_groups AS (
        SELECT m.group_id FROM group_memberships m
        JOIN groups g ON g.tenant_id = m.tenant_id AND g.integration_id = m.integration_id AND g.okta_id = m.group_id AND g.deleted_at IS NULL
        WHERE m.tenant_id = ${tenantId} AND m.integration_id = ${integrationId}::uuid AND m.user_id = ${userId} AND m.deleted_at IS NULL
      )
      SELECT r.role_id, r.resource_set_id, NULL::text AS group_id, NULL::text AS group_name, cr.label
      FROM role_assignments r
      LEFT JOIN roles cr ON cr.tenant_id = r.tenant_id AND cr.integration_id = r.integration_id AND cr.okta_id = r.role_id
      WHERE r.tenant_id = ${tenantId} AND r.integration_id = ${integrationId}::uuid AND r.principal_kind = 'user'
        AND r.principal_id = ${userId} AND r.deleted_at IS NULL
      UNION ALL
      SELECT r.role_id, r.resource_set_id, r.principal_id, g.name, cr.label
      FROM my_groups mg
      JOIN role_assignments r ON r.tenant_id = ${tenantId} AND r.integration_id = ${integrationId}::uuid
        AND r.principal_kind = 'group' AND r.principal_id = mg.group_id AND r.deleted_at IS NULL
      LEFT JOIN groups g ON g.tenant_id = r.tenant_id AND g.integration_id = r.integration_id AND g.okta_id = r.principal_id
      LEFT JOIN roles cr ON cr.tenant_id = r.tenant_id AND cr.integration_id = r.integration_id AND cr.okta_id = r.role_id
      ORDER BY 1, 2, 3 NULLS FIRST`, { prepare: true }),
    exec.rows<Record<string, unknown>>(sql`
      SELECT okta_id, factor_type, provider, status, created FROM factors
      WHERE ${scope} AND user_id = ${userId} AND deleted_at IS NULL ORDER BY factor_type, okta_id`, { prepare: true }),
    personEvents(exec, tenantId, integrationId, userId),
    exec.rows<Record<string, unknown>>(sql`
      SELECT check_id, severity, details->>'title' AS title, first_seen_at, last_seen_at FROM findings
      WHERE ${scope} AND subject = ${`user:${userId}`} AND resolved_at IS NULL ORDER BY check_id`, { prepare: true }),
  ]);

  const appsById = new Map<string, PersonView['apps'][number]>();
  for (const r of apps) {
    const id = r.okta_id as string;
    let app = appsById.get(id);
    if (!app) {
      app = { id, name: r.name as string, label: (r.label as string | null) ?? null, status: r.status as string, direct: false, viaGroups: [] };
      appsById.set(id, app);
    }
    if (r.group_id == null) app.direct = true;
    else app.viaGroups.push({ id: r.group_id as string, name: (r.group_name as string | null) ?? null });
  }
  const rolesByKey = new Map<string, PersonView['adminRoles'][number]>();
  for (const r of roles) {
    const key = `${r.role_id as string}\u0000${r.resource_set_id as string}`;
    let role = rolesByKey.get(key);
    if (!role) {
      role = { roleId: r.role_id as string, label: (r.label as string | null) ?? null, resourceSetId: (r.resource_set_id as string) || null, direct: false, viaGroups: [] };
      rolesByKey.set(key, role);
    }
    if (r.group_id == null) role.direct = true;
    else role.viaGroups.push({ id: r.group_id as string, name: (r.group_name as string | null) ?? null });
  }
  const s = (v: unknown) => (v as string | null) ?? null;
  return {
    integrationId,
    userId,
    profile: {
      login: s(user.login),
      email: s(user.email),
      firstName: s(user.first_name),
      lastName: s(user.last_name),
      status: user.status as string,
      created: isoOrNull(user.created),
      activated: isoOrNull(user.activated),
      statusChanged: isoOrNull(user.status_changed),
      lastLogin: isoOrNull(user.last_login),
      passwordChanged: isoOrNull(user.password_changed),
      credentialProvider: s(user.credential_provider),
    },
    deleted: user.deleted_at != null,
    arrivedVia: arrivedVia(user.via_scim === true, user.api_read === true),
    groups: groups.map((g) => ({ id: g.okta_id as string, name: g.name as string, type: g.group_type as string })),
    apps: [...appsById.values()],
    adminRoles: [...rolesByKey.values()],
    factors: factors.map((f) => ({ id: f.okta_id as string, factorType: f.factor_type as string, provider: s(f.provider), status: f.status as string, created: isoOrNull(f.created) })),
    events: events.events,
    eventsSince: events.since ? events.since.toISOString() : null,
    openFindings: findings.map((f) => ({ checkId: f.check_id as string, severity: f.severity as string, title: s(f.title), firstSeenAt: iso(f.first_seen_at), lastSeenAt: iso(f.last_seen_at) })),
  };
}

/**
 * The windows the person view searches for events, newest first (days; null = all stored events).
 * Each is a superset of the one before, so the first that holds PERSON_EVENTS events holds the
 * newest ones. The index on subject_ids finds a person's events in any window; the windows bound
 * the rows read for someone with a long history (a service account's thousands of events a day).
 */
export const PERSON_EVENT_WINDOWS_DAYS: readonly (number | null)[] = [1, 30, null];
const PERSON_EVENTS = 50;

/** The newest 50 events with the user as actor or as a User target, with the start of the window they were found in. */
async function personEvents(exec: Executor, tenantId: string, integrationId: string, userId: string): Promise<{ events: PersonView['events']; since: Date | null }> {
  for (const days of PERSON_EVENT_WINDOWS_DAYS) {
    const since = days === null ? null : new Date(Date.now() - days * 86_400_000);
    const rows = await exec.rows<Record<string, unknown>>(sql`
      SELECT uuid, published, event_type, severity, outcome, raw, actor_id
      FROM log_events
      WHERE tenant_id = ${tenantId} AND integration_id = ${integrationId}::uuid AND subject_ids @> ARRAY[${userId}::text]
        ${since ? sql`AND published > ${since.toISOString()}::timestamptz` : sql``}
      ORDER BY published DESC, uuid
      LIMIT ${PERSON_EVENTS}`, { prepare: true });
    if (rows.length < PERSON_EVENTS && since !== null) continue;
    const events = rows.map((r) => ({
      uuid: r.uuid as string,
      published: iso(r.published),
      eventType: r.event_type as string,
      severity: (r.severity as string | null) ?? null,
      outcome: (r.outcome as string | null) ?? null,
      displayMessage: displayMessage(r.raw),
      role: r.actor_id === userId ? ('actor' as const) : ('target' as const),
    }));
    return { events, since };
  }
  throw new Error('PERSON_EVENT_WINDOWS_DAYS must end with null (all events)');
}

/** The event's displayMessage, read from its stored JSON text (50 rows at most: parsed here, not by the server). */
function displayMessage(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  try {
    const m = (JSON.parse(raw) as { displayMessage?: unknown }).displayMessage;
    return typeof m === 'string' ? m : null;
  } catch {
    return null;
  }
}
