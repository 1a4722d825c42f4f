/**
 * The identity graph's PostgreSQL schema: the single source of truth for tables, keys and indexes.
 * Migrations in /migrations are generated from this file with `pnpm db:generate`.
 *
 * Conventions:
 * - every key starts with tenant_id (then integration_id), so one tenant's rows cluster together;
 * - Okta ids and other sort keys are `text COLLATE "C"`: the graph export must come out in
 *   JavaScript string order whatever the server's default collation, and with "C" columns the
 *   primary-key indexes already hold rows in that order (keyset paging walks the index);
 * - every graph row carries when we first/last saw it, the Okta-side time of the state it holds
 *   (`source_updated_at`), the Okta-side time of the read that last returned it (`observed_at`),
 *   the run that last saw it and a tombstone (`deleted_at`, null = live).
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  bigserial,
  check,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** Text compared byte-wise (code point order), matching JavaScript's string comparison for ids. */
const idText = customType<{ data: string; driverData: string }>({
  dataType() {
    return 'text COLLATE "C"';
  },
});

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Columns every graph row (node or edge) carries besides its own fields. */
const graphColumns = () => ({
  tenantId: text('tenant_id').notNull(),
  integrationId: uuid('integration_id').notNull(),
  firstSeenAt: tstz('first_seen_at').notNull().defaultNow(),
  lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
  /** Okta-side time of the state held: lastUpdated, an event's published, or the listing's Date. */
  sourceUpdatedAt: tstz('source_updated_at').notNull(),
  /**
   * Okta-side time (the response's `Date`) of the last read that returned this row's state; null
   * while only events ever set it. State set by an event after it: source_updated_at > observed_at.
   */
  observedAt: tstz('observed_at'),
  lastRunId: uuid('last_run_id'),
  /** Tombstone: when we learned the object is gone. Null = live. Rows are never hard-deleted. */
  deletedAt: tstz('deleted_at'),
  raw: jsonb('raw'),
});

/**
 * Fields of graphColumns(): what the store keeps about every row. A graph resource's own fields are
 * its table's other columns (resources.ts); `raw` is declared per resource.
 */
export type GraphColumnField = keyof ReturnType<typeof graphColumns> | 'viaScim';
/** viaScim (viaScimColumn) is bookkeeping too: only SCIM writes set it, never a page upsert. */
export const GRAPH_COLUMN_FIELDS: readonly GraphColumnField[] = [...(Object.keys(graphColumns()) as GraphColumnField[]), 'viaScim'];

/**
 * On the graph tables SCIM can write (users, groups, group_memberships): true once the row arrived
 * through SCIM provisioning. How a row arrived is then `scim` (via_scim, never read from Okta's
 * API: no run saw it and no read's time is stored, last_run_id and observed_at null), `both`
 * (via_scim and read), or `api` (not via_scim). Never cleared.
 */
const viaScimColumn = () => boolean('via_scim').notNull().default(false);

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
});

export interface IntegrationSchedule {
  fullIntervalMinutes: number;
  incrementalIntervalMinutes: number;
  factorsIntervalMinutes: number;
  logBackfillDays: number;
}

export const integrations = pgTable(
  'integrations',
  {
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    id: uuid('id').notNull().defaultRandom(),
    name: text('name').notNull(),
    orgUrl: text('org_url').notNull(),
    authMethod: text('auth_method', { enum: ['ssws', 'oauth'] }).notNull(),
    clientId: text('client_id'),
    keyId: text('key_id'),
    /** JWE compact (dir + A256GCM) of {token} or {privateKeyPem}; never plaintext. */
    secretsEnc: text('secrets_enc').notNull(),
    allowHttp: boolean('allow_http').notNull().default(false),
    /** EventBridge partner event source: aws.partner/okta.com/ORG/STREAM */
    eventSource: text('event_source'),
    /** OAuth scopes to request (null: the read scopes idgraph needs). */
    scopes: text('scopes').array(),
    schedule: jsonb('schedule').$type<IntegrationSchedule>(),
    /** Remediation actions may act on the org through this integration (read-only when false). */
    allowActions: boolean('allow_actions').notNull().default(false),
    lastConnectivity: jsonb('last_connectivity'),
    lastConnectivityAt: tstz('last_connectivity_at'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('integrations_tenant_name_unique').on(t.tenantId, t.name),
    unique('integrations_event_source_unique').on(t.eventSource),
    check('integrations_auth_method_check', sql`${t.authMethod} in ('ssws', 'oauth')`),
  ],
);

// ---------------------------------------------------------------- graph nodes

export const users = pgTable(
  'users',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    status: text('status').notNull(),
    login: text('login'),
    email: text('email'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    created: tstz('created'),
    activated: tstz('activated'),
    statusChanged: tstz('status_changed'),
    lastLogin: tstz('last_login'),
    passwordChanged: tstz('password_changed'),
    /** `credentials.provider.type`: OKTA, ACTIVE_DIRECTORY, LDAP, FEDERATION, SOCIAL, IMPORT. */
    credentialProvider: text('credential_provider'),
    /** Arrived through SCIM provisioning at least once (see viaScimColumn). */
    viaScim: viaScimColumn(),
  },
  // No secondary (tenant, integration, x) indexes: posture reads whole integrations anyway, and
  // on a freshly loaded table without statistics the planner would pick one of them for a
  // primary-key lookup and filter every user of the integration per row.
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

export const groups = pgTable(
  'groups',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    /** OKTA_GROUP | APP_GROUP | BUILT_IN */
    groupType: text('group_type').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    viaScim: viaScimColumn(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

export const apps = pgTable(
  'apps',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    name: text('name').notNull(),
    label: text('label'),
    status: text('status').notNull(),
    signOnMode: text('sign_on_mode'),
    /** OAuth client id for OIDC/service apps (role assignments to service apps name the client). */
    clientId: text('client_id'),
    isServiceApp: boolean('is_service_app').notNull().default(false),
    created: tstz('created'),
  },
  // Apps are few per org: lookups by client id (service-app role assignments) need no index.
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

export const factors = pgTable(
  'factors',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    userId: idText('user_id').notNull(),
    factorType: text('factor_type').notNull(),
    provider: text('provider'),
    status: text('status').notNull(),
    created: tstz('created'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] }),
    // Posture ("admins without phishing-resistant factors"), has_factor export and per-user refresh.
    index('factors_user_idx').on(t.tenantId, t.integrationId, t.userId, t.oktaId),
  ],
);

/** Custom admin roles. Standard roles are identified by their type and have no row. */
export const roles = pgTable(
  'roles',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    label: text('label').notNull(),
    description: text('description'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

export const resourceSets = pgTable(
  'resource_sets',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    label: text('label').notNull(),
    description: text('description'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

// ---------------------------------------------------------------- graph edges

export const groupMemberships = pgTable(
  'group_memberships',
  {
    ...graphColumns(),
    userId: idText('user_id').notNull(),
    groupId: idText('group_id').notNull(),
    viaScim: viaScimColumn(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.userId, t.groupId] }),
    index('group_memberships_group_idx').on(t.tenantId, t.integrationId, t.groupId, t.userId),
  ],
);

export const appUserAssignments = pgTable(
  'app_user_assignments',
  {
    ...graphColumns(),
    appId: idText('app_id').notNull(),
    userId: idText('user_id').notNull(),
    /** USER (direct) | GROUP (through a group assignment) */
    scope: text('scope'),
    status: text('status'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.appId, t.userId] }),
    // Export walks user→app edges in user order; posture asks "which apps does this user have".
    index('app_user_assignments_user_idx').on(t.tenantId, t.integrationId, t.userId, t.appId),
  ],
);

export const appGroupAssignments = pgTable(
  'app_group_assignments',
  {
    ...graphColumns(),
    appId: idText('app_id').notNull(),
    groupId: idText('group_id').notNull(),
    priority: integer('priority'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.appId, t.groupId] }),
    index('app_group_assignments_group_idx').on(t.tenantId, t.integrationId, t.groupId, t.appId),
  ],
);

export const roleAssignments = pgTable(
  'role_assignments',
  {
    ...graphColumns(),
    principalKind: idText('principal_kind').$type<'user' | 'group' | 'app'>().notNull(),
    principalId: idText('principal_id').notNull(),
    /** A standard role's type (SUPER_ADMIN, …) or a custom role's id. */
    roleId: idText('role_id').notNull(),
    /** '' for standard roles (a primary key column cannot be null). */
    resourceSetId: idText('resource_set_id').notNull().default(''),
    /** Okta's role assignment id, when known. */
    assignmentId: text('assignment_id'),
    status: text('status'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.principalKind, t.principalId, t.roleId, t.resourceSetId] }),
    index('role_assignments_role_idx').on(t.tenantId, t.integrationId, t.roleId),
    check('role_assignments_principal_kind_check', sql`${t.principalKind} in ('user', 'group', 'app')`),
  ],
);

// ---------------------------------------------------------------- privilege: what decides effective privilege

/** Permissions of a custom role (`/api/v1/iam/roles/{id}/permissions`): `okta.users.manage`, … */
export const rolePermissions = pgTable(
  'role_permissions',
  {
    ...graphColumns(),
    roleId: idText('role_id').notNull(),
    permission: idText('permission').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.roleId, t.permission] })],
);

/**
 * Resources of a resource set (`/api/v1/iam/resource-sets/{id}/resources`), by ORN. `targetKind`
 * and `targetId` say what the ORN names (normalize's parseOrn): all_users, user, all_groups, group,
 * group_members (the users of a group), all_apps, app_type (every app of a catalog name), app, or
 * other (a resource that decides no privilege edge: devices, authorization servers, …).
 */
export const resourceSetResources = pgTable(
  'resource_set_resources',
  {
    ...graphColumns(),
    resourceSetId: idText('resource_set_id').notNull(),
    resourceId: idText('resource_id').notNull(),
    orn: text('orn').notNull(),
    targetKind: text('target_kind').notNull(),
    /** The user, group or app id, or the catalog app name; null for all_* and other. */
    targetId: idText('target_id'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.resourceSetId, t.resourceId] })],
);

/**
 * Targets of a scopable standard role assignment (`…/roles/{id}/targets/groups` and
 * `…/targets/catalog/apps`): a group, an app instance (`app`) or every app of a catalog name
 * (`catalog_app`, targetId = the name). No rows: the assignment is not scoped.
 */
export const roleTargets = pgTable(
  'role_targets',
  {
    ...graphColumns(),
    principalKind: idText('principal_kind').$type<'user' | 'group' | 'app'>().notNull(),
    principalId: idText('principal_id').notNull(),
    roleId: idText('role_id').notNull(),
    targetKind: idText('target_kind').$type<'group' | 'app' | 'catalog_app'>().notNull(),
    targetId: idText('target_id').notNull(),
  },
  (t) => [
    // Principal first: a targeted re-read of one principal's roles tombstones its targets together.
    primaryKey({ columns: [t.tenantId, t.integrationId, t.principalKind, t.principalId, t.targetKind, t.targetId, t.roleId] }),
    check('role_targets_target_kind_check', sql`${t.targetKind} in ('group', 'app', 'catalog_app')`),
  ],
);

/** API token metadata (`/api/v1/api-tokens`; never a token value): a token acts as its owner. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    name: text('name').notNull(),
    userId: idText('user_id').notNull(),
    clientName: text('client_name'),
    created: tstz('created'),
    expiresAt: tstz('expires_at'),
    tokenWindow: text('token_window'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

/**
 * OAuth client credentials of an app (`/api/v1/apps/{id}/credentials/secrets` and `/jwks`):
 * metadata only. A secret's value (and its hash) is never stored.
 */
export const appCredentials = pgTable(
  'app_credentials',
  {
    ...graphColumns(),
    appId: idText('app_id').notNull(),
    credentialId: idText('credential_id').notNull(),
    /** client_secret | jwk */
    credentialType: text('credential_type').notNull(),
    status: text('status').notNull(),
    created: tstz('created'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.appId, t.credentialId] }),
    // The export's credential nodes come out by id.
    index('app_credentials_id_idx').on(t.tenantId, t.integrationId, t.credentialId),
  ],
);

/** Group rules (`/api/v1/groups/rules`); their target groups are `group_rule_targets`. */
export const groupRules = pgTable(
  'group_rules',
  {
    ...graphColumns(),
    oktaId: idText('okta_id').notNull(),
    name: text('name').notNull(),
    /** ACTIVE | INACTIVE | INVALID */
    status: text('status').notNull(),
    /** Okta Expression Language, e.g. isMemberOfAnyGroup("00g…") or user.department=="IT". */
    expression: text('expression'),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.oktaId] })],
);

export const groupRuleTargets = pgTable(
  'group_rule_targets',
  {
    ...graphColumns(),
    ruleId: idText('rule_id').notNull(),
    groupId: idText('group_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.ruleId, t.groupId] })],
);

// ---------------------------------------------------------------- events

/**
 * System Log events, stored once per uuid whichever way they arrived.
 * The table grows without bound, so partitioning by time (published) would suit it; drizzle-kit cannot generate
 * declarative partitioning, so it is a plain table for now. A partitioned layout would need the
 * partition key in the primary key: (tenant_id, integration_id, published, uuid).
 */
export const logEvents = pgTable(
  'log_events',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    uuid: text('uuid').notNull(),
    published: tstz('published').notNull(),
    eventType: text('event_type').notNull(),
    severity: text('severity'),
    actorId: text('actor_id'),
    outcome: text('outcome'),
    receivedVia: text('received_via', { enum: ['poll', 'stream', 'file'] }).notNull(),
    storedAt: tstz('stored_at').notNull().defaultNow(),
    // The event's JSON text as received, as text: every path that stores an event has parsed it
    // already (the line, the SQS body, the Okta response), and having the server check it again as
    // json cost a quarter of its time per event. Read it as raw::jsonb. Never queried by key.
    // Compressed with lz4 where the server has it (migrations 0003, 0004).
    raw: text('raw'),
    // The users the event is about: its actor and its User targets (normalize's eventSubjectIds).
    // Targets sit inside the event's JSON, so without this column a person's events could only be
    // found by reading every event of a time window.
    subjectIds: text('subject_ids').array(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.uuid] }),
    // A BRIN index for time: events arrive nearly in time order, so block ranges serve retention
    // and time-window reads at a fraction of a btree's cost per insert.
    // A btree on (tenant, integration, published) also lured the planner, on a table without
    // statistics yet, into reading every event of an integration to find a batch's stored uuids.
    index('log_events_published_brin').using('brin', t.published),
    // The person view's "last 50 events by or about them" (read-models.ts). A GIN index rather than
    // a btree on actor_id: it covers targets too, and its pending list makes an insert cheaper
    // (bulk INSERT of 300k events: +40% with this index, +58% with a btree on actor_id).
    index('log_events_subject_ids_gin').using('gin', t.subjectIds),
    check('log_events_received_via_check', sql`${t.receivedVia} in ('poll', 'stream', 'file')`),
  ],
);

// ---------------------------------------------------------------- collection runs

export const RUN_MODES = ['full', 'incremental', 'refresh'] as const;
export type RunMode = (typeof RUN_MODES)[number];
export const RUN_TRIGGERS = ['schedule', 'collect-now', 'scan', 'stream', 'action'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'partial'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** `skipped`: not collected because the credentials may not read it (scope or admin role); the reason is in `error`. */
export const RUN_RESOURCE_STATES = ['pending', 'running', 'done', 'failed', 'skipped'] as const;
export type RunResourceState = (typeof RUN_RESOURCE_STATES)[number];

export const collectionRuns = pgTable(
  'collection_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    mode: text('mode', { enum: RUN_MODES }).notNull(),
    trigger: text('trigger', { enum: RUN_TRIGGERS }).notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull().default('running'),
    startedAt: tstz('started_at').notNull().defaultNow(),
    endedAt: tstz('ended_at'),
    error: text('error'),
    /**
     * When the admin posture checks became final in this run: admin roles, their holders (direct
     * and through groups) and those holders' factors were collected and the admin checks run.
     * Null while pending, and for runs that do not cover admin posture.
     */
    adminPostureFinalAt: tstz('admin_posture_final_at'),
  },
  (t) => [
    index('collection_runs_integration_idx').on(t.tenantId, t.integrationId, t.startedAt),
    check('collection_runs_mode_check', sql`${t.mode} in ('full', 'incremental', 'refresh')`),
    check('collection_runs_trigger_check', sql`${t.trigger} in ('schedule', 'collect-now', 'scan', 'stream', 'action')`),
    check('collection_runs_status_check', sql`${t.status} in ('running', 'succeeded', 'failed', 'partial')`),
  ],
);

export const runResources = pgTable(
  'run_resources',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => collectionRuns.id, { onDelete: 'cascade' }),
    resource: text('resource').notNull(),
    state: text('state', { enum: RUN_RESOURCE_STATES }).notNull().default('pending'),
    /** True when this resource is collected in full (a complete pass may tombstone). */
    full: boolean('full').notNull().default(false),
    pages: integer('pages').notNull().default(0),
    objects: integer('objects').notNull().default(0),
    requests: integer('requests').notNull().default(0),
    waited429: integer('waited_429').notNull().default(0),
    retries: integer('retries').notNull().default(0),
    startedAt: tstz('started_at'),
    endedAt: tstz('ended_at'),
    error: text('error'),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.resource] }),
    check('run_resources_state_check', sql`${t.state} in ('pending', 'running', 'done', 'failed', 'skipped')`),
  ],
);

/**
 * Paging cursors, committed with each page. scope_key '' covers a whole resource; a group id
 * scopes one group's members, and so on. System Log polling keeps its cursor here across runs, and
 * incremental collection its watermarks (scope_key 'watermark').
 */
export const checkpoints = pgTable(
  'checkpoints',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    resource: text('resource').notNull(),
    scopeKey: text('scope_key').notNull().default(''),
    runId: uuid('run_id'),
    /** The `rel="next"` link to resume a listing from, or the id after which a per-object sweep resumes. */
    nextUrl: text('next_url'),
    done: boolean('done').notNull().default(false),
    /** Incremental collection: when the last complete collection of the resource started (scope 'watermark'). */
    watermark: tstz('watermark'),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.integrationId, t.resource, t.scopeKey] })],
);

// ---------------------------------------------------------------- posture

export const findings = pgTable(
  'findings',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    checkId: text('check_id').notNull(),
    /** 'user:00u…', 'app:0oa…' */
    subject: idText('subject').notNull(),
    severity: text('severity').notNull(),
    details: jsonb('details'),
    firstSeenAt: tstz('first_seen_at').notNull().defaultNow(),
    lastSeenAt: tstz('last_seen_at').notNull().defaultNow(),
    resolvedAt: tstz('resolved_at'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.checkId, t.subject] }),
    index('findings_open_idx').on(t.tenantId, t.integrationId, t.resolvedAt),
    // A person's open findings (every check about one subject).
    index('findings_subject_idx').on(t.tenantId, t.integrationId, t.subject),
  ],
);

// ---------------------------------------------------------------- operator API

export const API_KEY_ROLES = ['read', 'admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * Keys of the operator API (`idgraph serve`). Only a SHA-256 of each key is kept: the key is a
 * public lookup id plus 32 random bytes, so the hash cannot be reversed or guessed.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    /** The key's public part (`idgk_<keyId>_…`), to find its row without comparing every hash. */
    keyId: text('key_id').notNull(),
    /** SHA-256 of the whole key, hex. */
    keyHash: text('key_hash').notNull(),
    role: text('role', { enum: API_KEY_ROLES }).notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.name] }),
    unique('api_keys_key_id_unique').on(t.keyId),
    check('api_keys_role_check', sql`${t.role} in ('read', 'admin')`),
  ],
);

// ---------------------------------------------------------------- actions and privacy

export const ACTION_OUTCOMES = ['dry-run', 'applied', 'refused', 'failed'] as const;
export type ActionOutcome = (typeof ACTION_OUTCOMES)[number];

/**
 * Every remediation attempt, dry or applied or refused. Append-only: the migration adds a trigger
 * that rejects UPDATE, DELETE and TRUNCATE. It holds Okta ids and request paths, never profile
 * data, so a privacy erasure has nothing to remove here.
 */
export const actionAudit = pgTable(
  'action_audit',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    at: tstz('at').notNull().defaultNow(),
    /** Who asked: `cli:<os user>`, an API key's name, … */
    requestedBy: text('requested_by').notNull(),
    /** Null when the named integration does not exist (the refusal is audited all the same). */
    integrationId: uuid('integration_id'),
    integrationName: text('integration_name').notNull(),
    action: text('action').notNull(),
    /** `KIND:ID`, e.g. `user:00u…` */
    subject: text('subject').notNull(),
    target: text('target'),
    resourceSet: text('resource_set'),
    applied: boolean('applied').notNull(),
    outcome: text('outcome', { enum: ACTION_OUTCOMES }).notNull(),
    /** The Okta requests, made or (dry run) that would be made: [{method, path}]. */
    requests: jsonb('requests').notNull(),
    /** Okta's answers: [{method, path, status, errorCode?, errorSummary?}]; null when nothing was sent. */
    response: jsonb('response'),
    /** Why it was refused or failed, and what to grant. */
    message: text('message'),
  },
  (t) => [
    index('action_audit_tenant_at_idx').on(t.tenantId, t.at),
    check('action_audit_outcome_check', sql`${t.outcome} in ('dry-run', 'applied', 'refused', 'failed')`),
  ],
);

/**
 * Privacy erasures: proof that a person's data was removed, without keeping who it was. The
 * address is kept only as sha256(salt || lower(address)) with a random salt per request.
 */
export const privacyErasures = pgTable(
  'privacy_erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    at: tstz('at').notNull().defaultNow(),
    requestedBy: text('requested_by').notNull(),
    addressHash: text('address_hash').notNull(),
    salt: text('salt').notNull(),
    /** Rows removed or scrubbed per personal-data source. */
    counts: jsonb('counts').notNull(),
    /** With --in-okta: the audited Okta actions ({action, outcome, auditId}). */
    inOkta: jsonb('in_okta'),
  },
  (t) => [index('privacy_erasures_tenant_at_idx').on(t.tenantId, t.at)],
);

// ---------------------------------------------------------------- SCIM provisioning (inbound)

export const SCIM_RESOURCE_TYPES = ['User', 'Group'] as const;
export type ScimResourceType = (typeof SCIM_RESOURCE_TYPES)[number];

/**
 * The bearer token Okta's SCIM client presents for one integration (`idgraph integration
 * scim-token NAME`). Like API keys, only a SHA-256 of the token is kept; one token per
 * integration, so rotating replaces the row and the old token stops working at once.
 */
export const scimTokens = pgTable(
  'scim_tokens',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    /** The token's public part (`idgs_<tokenId>_…`). */
    tokenId: text('token_id').notNull(),
    /** SHA-256 of the whole token, hex. */
    tokenHash: text('token_hash').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId] }),
    unique('scim_tokens_token_id_unique').on(t.tokenId),
    foreignKey({ name: 'scim_tokens_integration_fk', columns: [t.tenantId, t.integrationId], foreignColumns: [integrations.tenantId, integrations.id] }).onDelete('cascade'),
  ],
);

/**
 * SCIM Users and Groups as the provisioning client last wrote them (RFC 7643), per integration.
 * `resource` is the canonical resource without id, meta, password (never stored), a User's
 * read-only `groups` or a Group's `members` (those are rows of scim_members). The graph node it
 * feeds is `graph_id`: a User's externalId (Okta's user id) else its SCIM id; a Group's
 * externalId, else the live Okta group of the same name read from the API, else its SCIM id.
 */
export const scimResources = pgTable(
  'scim_resources',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    /** The SCIM id idgraph assigned (a UUID). */
    id: idText('id').notNull(),
    resourceType: text('resource_type', { enum: SCIM_RESOURCE_TYPES }).notNull(),
    externalId: text('external_id'),
    /** Users: unique per integration, compared without case (RFC 7643 caseExact false). */
    userName: text('user_name'),
    displayName: text('display_name'),
    /** Users: the `active` attribute (null for Groups). */
    active: boolean('active'),
    graphId: idText('graph_id').notNull(),
    resource: jsonb('resource').notNull(),
    /** Creation order: lists page in it (stable while resources are added or changed). */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    /** Incremented by every write (meta.version). */
    version: integer('version').notNull().default(1),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.id] }),
    uniqueIndex('scim_resources_user_name_unique').on(t.tenantId, t.integrationId, sql`lower(${t.userName})`).where(sql`${t.resourceType} = 'User'`),
    unique('scim_resources_graph_unique').on(t.tenantId, t.integrationId, t.resourceType, t.graphId),
    index('scim_resources_list_idx').on(t.tenantId, t.integrationId, t.resourceType, t.seq),
    check('scim_resources_type_check', sql`${t.resourceType} in ('User', 'Group')`),
    foreignKey({ name: 'scim_resources_integration_fk', columns: [t.tenantId, t.integrationId], foreignColumns: [integrations.tenantId, integrations.id] }).onDelete('cascade'),
  ],
);

/** Members of SCIM Groups (Users of the same integration), by SCIM id. */
export const scimMembers = pgTable(
  'scim_members',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    groupId: idText('group_id').notNull(),
    userId: idText('user_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.groupId, t.userId] }),
    index('scim_members_user_idx').on(t.tenantId, t.integrationId, t.userId),
    foreignKey({ name: 'scim_members_group_fk', columns: [t.tenantId, t.integrationId, t.groupId], foreignColumns: [scimResources.tenantId, scimResources.integrationId, scimResources.id] }).onDelete('cascade'),
    foreignKey({ name: 'scim_members_user_fk', columns: [t.tenantId, t.integrationId, t.userId], foreignColumns: [scimResources.tenantId, scimResources.integrationId, scimResources.id] }).onDelete('cascade'),
  ],
);
