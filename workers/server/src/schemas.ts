/**
 * Request and response schemas of the operator API (TypeBox → JSON Schema). They validate
 * requests, serialise responses and generate /openapi.json, so the contract lives here once.
 * Enumerations come from the libraries that own them (run states, resources, checks), so a state
 * added there is accepted here without a second edit.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { API_KEY_ROLES, FINDING_STATES, RUN_MODES, RUN_RESOURCE_STATES, RUN_STATUSES, RUN_TRIGGERS } from '@idgraph/graph';
import { COLLECTOR_RESOURCES } from '@idgraph/collector';
import { POSTURE_CHECKS, SEVERITIES } from '@idgraph/posture';
import { ACTION_NAMES } from '@idgraph/actions';

const literals = <T extends string>(values: readonly T[], description?: string) => Type.Enum([...values], description ? { description } : {});

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const DateTime = Type.String({ format: 'date-time' });

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'machine-readable kind: bad_request, unauthorized, forbidden, csrf, not_found, conflict, connectivity_failed, internal' }),
    message: Type.String({ description: 'what was wrong and what to send instead' }),
  },
  { additionalProperties: true },
);

export const IntegrationName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: "letters, digits, '.', '_' or '-' (max 63)" });
export const NameParams = Type.Object({ name: IntegrationName });

const TokenAuth = Type.Object(
  {
    type: Type.Literal('token'),
    token: Type.String({ minLength: 1, maxLength: 4096, description: 'SSWS API token; stored encrypted, never returned' }),
  },
  { additionalProperties: false },
);
const ServiceAppAuth = Type.Object(
  {
    type: Type.Literal('service_app'),
    clientId: Type.String({ minLength: 1, maxLength: 256 }),
    kid: Type.String({ minLength: 1, maxLength: 256, description: "key id of the app's public key (JWKS kid)" }),
    privateKeyPem: Type.String({ minLength: 1, maxLength: 32768, description: 'PKCS#8 PEM private key; stored encrypted, never returned' }),
    scopes: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9._:-]+$' }), { minItems: 1, maxItems: 64 })),
  },
  { additionalProperties: false },
);
export const AuthBody = Type.Union([TokenAuth, ServiceAppAuth], { description: 'an API token, or an OAuth 2.0 service app (private_key_jwt)' });
export type AuthBody = Static<typeof AuthBody>;

const EventSource = Type.String({ pattern: '^aws\\.partner/okta\\.com/[A-Za-z0-9.-]+/[.\\-_A-Za-z0-9]{1,75}$', description: 'aws.partner/okta.com/ORG/STREAM' });
const OrgUrl = Type.String({ minLength: 1, maxLength: 2048, description: 'https://ORG.okta.com (http only with allowHttp)' });

export const CreateIntegrationBody = Type.Object(
  {
    name: IntegrationName,
    orgUrl: OrgUrl,
    allowHttp: Type.Optional(Type.Boolean({ description: 'allow an http:// org URL (local simulators only)' })),
    eventSource: Type.Optional(EventSource),
    allowActions: Type.Optional(Type.Boolean({ description: 'let remediation actions act through it (default false: read-only)' })),
    auth: AuthBody,
    skipTest: Type.Optional(Type.Boolean({ description: 'store without testing (credentials that can collect nothing are otherwise refused)' })),
  },
  { additionalProperties: false },
);
export type CreateIntegrationBody = Static<typeof CreateIntegrationBody>;

export const PatchIntegrationBody = Type.Object(
  {
    name: Type.Optional(IntegrationName),
    orgUrl: Type.Optional(OrgUrl),
    allowHttp: Type.Optional(Type.Boolean()),
    eventSource: Type.Optional(Nullable(EventSource)),
    allowActions: Type.Optional(Type.Boolean()),
    auth: Type.Optional(AuthBody),
    skipTest: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchIntegrationBody = Static<typeof PatchIntegrationBody>;

const ConnectivityResult = Type.Object(
  {
    resource: Type.String(),
    status: Type.String({ description: 'ok, missing_scope, forbidden or error' }),
    scope: Type.Optional(Type.String({ description: 'the scope to grant (missing_scope)' })),
    message: Type.String(),
  },
  { additionalProperties: true },
);
export const ConnectivityReport = Type.Object(
  { ok: Type.Boolean(), resources: Type.Array(ConnectivityResult) },
  { additionalProperties: true, description: 'what `idgraph integration test NAME --json` prints' },
);

const RunBrief = Type.Object({
  id: Type.String(),
  status: literals(RUN_STATUSES),
  trigger: literals(RUN_TRIGGERS),
  mode: literals(RUN_MODES),
  startedAt: DateTime,
  endedAt: Nullable(DateTime),
  durationMs: Type.Integer(),
  error: Nullable(Type.String()),
  adminPostureFinalAt: Nullable(DateTime),
});

export const IntegrationView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  orgUrl: Type.String(),
  authMethod: literals(['ssws', 'oauth'] as const),
  clientId: Nullable(Type.String()),
  scopes: Nullable(Type.Array(Type.String(), { description: 'OAuth scopes requested (service apps); null = the default read scopes' })),
  eventSource: Nullable(Type.String()),
  allowHttp: Type.Boolean(),
  allowActions: Type.Boolean({ description: 'remediation actions may act through it' }),
  lastConnectivity: Nullable(ConnectivityReport),
  lastConnectivityAt: Nullable(DateTime),
  lastRun: Nullable(RunBrief),
  runningRunId: Nullable(Type.String()),
  nextCollections: Type.Object({ full: Nullable(DateTime), incremental: Nullable(DateTime), factors: Nullable(DateTime) }),
  logStreaming: Type.Object({
    configured: Type.Boolean(),
    lastEventAt: Nullable(DateTime),
    lookBackDays: Type.Integer({ description: 'lastEventAt looks this many days back' }),
  }),
  openFindings: Type.Integer(),
  willSkip: Type.Optional(Type.Array(Type.String(), { description: 'after add or a credentials change: resources scans will skip with these credentials (see lastConnectivity for what to grant)' })),
});
export const IntegrationList = Type.Object({ items: Type.Array(IntegrationView) });

export const CollectBody = Type.Object(
  { resources: Type.Optional(Type.Array(literals(COLLECTOR_RESOURCES), { minItems: 1, uniqueItems: true })) },
  { additionalProperties: false },
);
export const CollectResponse = Type.Object({
  runId: Nullable(Type.String({ description: 'the run to follow at /api/v1/runs/{runId} (its own, or the one joined)' })),
  joined: Type.Boolean({ description: 'true when a collection was already queued or running: this request joined it' }),
  jobId: Type.String(),
});

const RunResourceView = Type.Object(
  {
    resource: Type.String(),
    state: literals(RUN_RESOURCE_STATES),
    full: Type.Boolean(),
    pages: Type.Integer(),
    objects: Type.Integer(),
    requests: Type.Integer(),
    waited429: Type.Integer({ description: 'waits for a rate-limit reset after a 429' }),
    retries: Type.Integer(),
    startedAt: Nullable(DateTime),
    endedAt: Nullable(DateTime),
    error: Nullable(Type.String()),
    etaSeconds: Nullable(Type.Integer({ description: 'time left for this resource at its pace so far (null: unknown or finished)' })),
  },
  { additionalProperties: true },
);

export const RunView = Type.Object(
  {
    id: Type.String(),
    integrationId: Type.String(),
    integration: Nullable(Type.String()),
    mode: literals(RUN_MODES),
    trigger: literals(RUN_TRIGGERS),
    status: literals(RUN_STATUSES),
    startedAt: DateTime,
    endedAt: Nullable(DateTime),
    error: Nullable(Type.String()),
    adminPostureFinalAt: Type.Union([DateTime, Type.Null()], {
      description:
        "when the admin posture checks became final in this run: admin roles, their holders (direct and through groups) and those holders' factors are collected before everyone else's factors, then the admin checks run; null while pending or when the run does not cover them",
    }),
    adminPostureFinal: Type.Boolean({ description: 'adminPostureFinalAt is set' }),
    resources: Type.Array(RunResourceView),
    eta: Nullable(
      Type.Object({
        seconds: Type.Integer(),
        requestsPerMinute: Type.Integer(),
      }),
    ),
  },
  { additionalProperties: true, description: 'a run as `idgraph runs --json` prints one, with its ETA while running' },
);
export const RunList = Type.Object({ items: Type.Array(RunView) });
export const RunParams = Type.Object({ runId: Type.String({ format: 'uuid' }) });
export const RunsQuery = Type.Object(
  {
    integration: Type.Optional(IntegrationName),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
  },
  { additionalProperties: false },
);

const CHECK_IDS = POSTURE_CHECKS.map((c) => c.id);
export const FindingsQuery = Type.Object(
  {
    integration: Type.Optional(IntegrationName),
    check: Type.Optional(literals(CHECK_IDS)),
    severity: Type.Optional(literals(SEVERITIES)),
    state: Type.Optional(literals(FINDING_STATES, 'open (default), resolved or all')),
    cursor: Type.Optional(Type.String({ maxLength: 2048, description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
const FindingView = Type.Object({
  integrationId: Type.String(),
  integration: Type.String(),
  checkId: Type.String(),
  title: Type.String(),
  subject: Type.String({ description: 'KIND:ID, e.g. user:00u…' }),
  label: Nullable(Type.String()),
  severity: Type.String(),
  state: literals(['open', 'resolved'] as const),
  firstSeenAt: DateTime,
  lastSeenAt: DateTime,
  resolvedAt: Nullable(DateTime),
});
export const FindingsPage = Type.Object({ items: Type.Array(FindingView), nextCursor: Nullable(Type.String()) });

export const FindingsSummaryQuery = Type.Object({ integration: Type.Optional(IntegrationName) }, { additionalProperties: false });
export const FindingsSummary = Type.Object({
  bySeverity: Type.Record(Type.String(), Type.Integer()),
  checks: Type.Array(
    Type.Object({
      id: Type.String(),
      severity: Type.String(),
      title: Type.String(),
      rationale: Type.String({ description: 'what it means and why it matters' }),
      remediation: Type.String({ description: 'how to fix it' }),
      subjectKind: Type.String(),
      open: Type.Integer(),
    }),
  ),
});

export const PeopleQuery = Type.Object(
  {
    integration: Type.Optional(IntegrationName),
    q: Type.String({ minLength: 1, maxLength: 200, description: 'part of a login, email or name' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export const PeopleList = Type.Object({
  items: Type.Array(
    Type.Object({
      integrationId: Type.String(),
      integration: Type.String(),
      userId: Type.String(),
      login: Nullable(Type.String()),
      email: Nullable(Type.String()),
      firstName: Nullable(Type.String()),
      lastName: Nullable(Type.String()),
      status: Type.String(),
    }),
  ),
});
export const PersonParams = Type.Object({ integration: IntegrationName, userId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const GroupRef = Type.Object({ id: Type.String(), name: Nullable(Type.String()) });
const PrivilegePathView = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    length: Type.Integer(),
    steps: Type.Array(Type.Object({ from: Type.String(), edge: Type.String(), to: Type.String() }, { additionalProperties: true, description: 'grant (the role assignment behind a control edge) or rule (a group rule)' })),
  },
  { description: 'a path as `idgraph paths --json` prints one' },
);
const PersonPrivilege = Type.Object({
  effectiveRoles: Type.Array(
    Type.Object({ principal: Type.String(), role: Type.String(), resourceSet: Nullable(Type.String()), via: Type.Array(Type.String()) }),
    { description: 'as `idgraph access --json` lists holders: via [] direct, ["group:…"] through a group' },
  ),
  pathToTierZero: Nullable(PrivilegePathView),
  reachedBy: Type.Array(PrivilegePathView, { description: 'principals with a path to this person (shortest first, at most 50)' }),
  computedAt: Type.String({ format: 'date-time', description: 'when the effective-privilege graph was loaded (reused up to a minute)' }),
});
export const PersonView = Type.Object({
  integration: Type.String(),
  integrationId: Type.String(),
  userId: Type.String(),
  profile: Type.Object({
    login: Nullable(Type.String()),
    email: Nullable(Type.String()),
    firstName: Nullable(Type.String()),
    lastName: Nullable(Type.String()),
    status: Type.String(),
    created: Nullable(DateTime),
    activated: Nullable(DateTime),
    statusChanged: Nullable(DateTime),
    lastLogin: Nullable(DateTime),
    passwordChanged: Nullable(DateTime),
    credentialProvider: Nullable(Type.String()),
  }),
  deleted: Type.Boolean(),
  arrivedVia: Type.Union([Type.Literal('api'), Type.Literal('scim'), Type.Literal('both')], {
    description: "how the person arrived: Okta's API (collection, System Log), SCIM provisioning, or both",
  }),
  groups: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), type: Type.String() })),
  apps: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), label: Nullable(Type.String()), status: Type.String(), direct: Type.Boolean(), viaGroups: Type.Array(GroupRef) })),
  adminRoles: Type.Array(Type.Object({ roleId: Type.String(), label: Nullable(Type.String()), resourceSetId: Nullable(Type.String()), direct: Type.Boolean(), viaGroups: Type.Array(GroupRef) })),
  factors: Type.Array(Type.Object({ id: Type.String(), factorType: Type.String(), provider: Nullable(Type.String()), status: Type.String(), created: Nullable(DateTime) })),
  events: Type.Array(
    Type.Object({
      uuid: Type.String(),
      published: DateTime,
      eventType: Type.String(),
      severity: Nullable(Type.String()),
      outcome: Nullable(Type.String()),
      displayMessage: Nullable(Type.String()),
      role: literals(['actor', 'target'] as const),
    }),
  ),
  openFindings: Type.Array(Type.Object({ checkId: Type.String(), severity: Type.String(), title: Nullable(Type.String()), firstSeenAt: DateTime, lastSeenAt: DateTime })),
  eventsSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'the start of the window the events were found in (the last day, the last 30 days, or null: all stored events); the person has no event since then beyond those listed',
  }),
  privilege: PersonPrivilege,
});

export const ExportQuery = Type.Object(
  {
    integration: Type.Optional(IntegrationName),
    includeDeleted: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const SessionBody = Type.Object({ apiKey: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
export const SessionView = Type.Object({
  name: Type.String({ description: "the API key's name" }),
  role: literals(API_KEY_ROLES),
  csrfToken: Nullable(Type.String({ description: 'send as X-CSRF-Token on writes made with the session cookie' })),
});

export const Health = Type.Object({ status: Type.Literal('ok') });

// Remediation actions, audit and privacy (@idgraph/actions owns the shapes; see its index).
const Ref = (what: string) => Type.String({ pattern: '^[a-z]+:[^\\s:]+$', maxLength: 256, description: `${what} as KIND:ID, e.g. user:00u1abc` });
export const ActionBody = Type.Object(
  {
    action: literals(ACTION_NAMES),
    integration: IntegrationName,
    subject: Ref('the principal acted on'),
    target: Type.Optional(Nullable(Ref('the group, app or role (remove-from-group, unassign-app, revoke-role)'))),
    resourceSet: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256, description: 'the resource set of a custom role (revoke-role)' }))),
    dryRun: Type.Optional(Type.Boolean({ default: true, description: 'true (default): print the exact Okta requests without sending them' })),
  },
  { additionalProperties: false },
);
export type ActionBody = Static<typeof ActionBody>;
const OktaRequestView = Type.Object({ method: Type.String(), path: Type.String() }, { additionalProperties: true });
export const ActionResponse = Type.Object(
  {
    action: Type.String(),
    subject: Type.String(),
    target: Nullable(Type.String()),
    applied: Type.Boolean(),
    requests: Type.Array(OktaRequestView),
    result: Type.Object(
      { outcome: literals(['dry-run', 'applied', 'refused', 'failed'] as const), message: Type.String(), auditId: Type.String(), grant: Type.Optional(Type.String()) },
      { additionalProperties: true, description: 'also okta (its answer to each write), graph (what changed) and permission (who acts)' },
    ),
  },
  { additionalProperties: true, description: 'what `idgraph action … --json` prints' },
);
export const AuditQuery = Type.Object(
  { integration: Type.Optional(IntegrationName), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })) },
  { additionalProperties: false },
);
const AuditEntryView = Type.Object(
  {
    id: Type.String(),
    at: DateTime,
    requestedBy: Type.String(),
    integration: Type.String(),
    action: Type.String(),
    subject: Type.String(),
    target: Nullable(Type.String()),
    applied: Type.Boolean(),
    outcome: Type.String(),
  },
  { additionalProperties: true },
);
export const AuditList = Type.Object({ items: Type.Array(AuditEntryView) });
const Email = Type.String({ minLength: 3, maxLength: 320, description: "the person's email address" });
export const PrivacyAccessBody = Type.Object({ email: Email }, { additionalProperties: false });
export const PrivacyEraseBody = Type.Object(
  {
    email: Email,
    inOkta: Type.Optional(Type.Boolean({ description: 'also deactivate and delete the person in Okta, as audited actions' })),
    apply: Type.Optional(Type.Boolean({ description: 'with inOkta: perform the Okta actions (default: a dry run of them)' })),
  },
  { additionalProperties: false },
);
export const PrivacyAccessResponse = Type.Object(
  { email: Type.String(), matched: Type.Array(Type.Object({}, { additionalProperties: true })), sources: Type.Object({}, { additionalProperties: true }), counts: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: true, description: 'what `idgraph privacy access --json` prints' },
);
export const PrivacyEraseResponse = Type.Object(
  { erased: Type.Boolean(), erasureId: Nullable(Type.String()), message: Type.String() },
  { additionalProperties: true, description: 'what `idgraph privacy erase --json` prints' },
);
export const ErasureList = Type.Object({ items: Type.Array(Type.Object({}, { additionalProperties: true })) });

export const FixesQuery = Type.Object(
  {
    integration: IntegrationName,
    check: literals(CHECK_IDS),
    subject: Type.Optional(Type.String({ pattern: '^[a-z]+:[^\\s:]+$', maxLength: 256, description: 'one finding subject (KIND:ID); default: every open finding of the check, up to 200' })),
  },
  { additionalProperties: false },
);
const FixActionView = Type.Object({ action: Type.String(), subject: Type.String(), target: Nullable(Type.String()), resourceSet: Nullable(Type.String()) });
export const FixPlanView = Type.Object(
  {
    check: Type.String(),
    integration: Type.String(),
    fixes: Type.Array(
      Type.Object({
        subject: Type.String(),
        commands: Type.Array(Type.String(), { description: 'the `idgraph action` commands (dry runs until --apply)' }),
        actions: Type.Array(FixActionView, { description: 'the same actions as POST /api/v1/actions takes them' }),
        note: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'what `idgraph report --fix CHECK_ID` lists' },
);
