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
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
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
    credentialProvider: text('credential_provider'),
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
    groupType: text('group_type').notNull(),
    name: text('name').notNull(),
    description: text('description'),
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
    assignmentId: text('assignment_id'),
    status: text('status'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.principalKind, t.principalId, t.roleId, t.resourceSetId] }),
    index('role_assignments_role_idx').on(t.tenantId, t.integrationId, t.roleId),
    check('role_assignments_principal_kind_check', sql`${t.principalKind} in ('user', 'group', 'app')`),
  ],
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
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.integrationId, t.uuid] }),
    // One secondary index only, and a BRIN one: events arrive nearly in time order, so block
    // ranges serve retention and time-window reads at a fraction of a btree's cost per insert.
    // A btree on (tenant, integration, published) also lured the planner, on a table without
    // statistics yet, into reading every event of an integration to find a batch's stored uuids.
    index('log_events_published_brin').using('brin', t.published),
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
 * scopes one group's members, and so on. System Log polling keeps its cursor here across runs.
 */
export const checkpoints = pgTable(
  'checkpoints',
  {
    tenantId: text('tenant_id').notNull(),
    integrationId: uuid('integration_id').notNull(),
    resource: text('resource').notNull(),
    scopeKey: text('scope_key').notNull().default(''),
    runId: uuid('run_id'),
    nextUrl: text('next_url'),
    done: boolean('done').notNull().default(false),
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
