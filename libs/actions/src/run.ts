/**
 * Running one remediation action: check the integration may act, look up what the action needs in
 * Okta (read only), then either stop there (dry run, the default) or send the write requests; the
 * graph then reflects Okta's answer at once; every attempt is audited.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from '@idgraph/core';
import type { GraphMutation, GraphStore, Integration, IntegrationSecrets, RefreshRequest } from '@idgraph/graph';
import { authFor as integrationAuth, IntegrationError } from '@idgraph/integrations';
import {
  createOktaClient,
  OktaApiError,
  OktaAuthError,
  OktaRequestError,
  type OktaAuth,
  type OktaClient,
  type OktaRoleAssignment,
  type RateGovernor,
} from '@idgraph/okta';
import { appendAudit, type AuditOutcome, type OktaAnswer } from './audit.js';
import {
  actionCommand,
  formatRef,
  parseAction,
  plannedRequests,
  type ActionName,
  type OktaRequest,
  type ParsedAction,
} from './catalog.js';
import { apiTokenPermission, roleAdvice, scopeAdvice, serviceAppPermission, type RoleHolder } from './permissions.js';

/** `POST /api/v1/actions` body and the CLI's flags. */
export interface ActionRequest {
  action: string;
  /** The integration's name. */
  integration: string;
  /** `KIND:ID` */
  subject: string;
  target?: string | null;
  resourceSet?: string | null;
  /** false (default) = dry run: nothing is sent to Okta but the read-only look-ups. */
  apply?: boolean;
}

export interface ActionResult {
  outcome: AuditOutcome;
  message: string;
  /** The audit row of this attempt. */
  auditId: string;
  /** refused: what to grant (a scope, an admin role) or to change. */
  grant?: string;
  /** Okta's answer to each write sent (applied, or failed/refused on the way). */
  okta?: OktaAnswer[];
  /** applied: what changed in the graph. */
  graph?: { mutations: number; refreshed: number; refreshFailures: string[] };
  /** Who acts in Okta and whether their admin roles allow the action. */
  permission?: { holder: RoleHolder; verified: boolean; note: string };
}

/** `--json` of `idgraph action` and the response of `POST /api/v1/actions`. */
export interface ActionResponse {
  action: string;
  subject: string;
  target: string | null;
  applied: boolean;
  requests: OktaRequest[];
  result: ActionResult;
}

export interface ActionContext {
  store: GraphStore;
  /** Who asks, for the audit: `cli:<os user>`, an API key's name. */
  requestedBy: string;
  /**
   * Re-reads objects whose new state Okta's answer does not carry (a user's status, a user's
   * factors, an app's assignments) into the graph: the collector's targeted refresh.
   */
  refresh(integration: Integration, requests: RefreshRequest[]): Promise<{ refreshed: number; failures: { error: string }[] }>;
  logger?: Logger;
  governor?: RateGovernor;
}

interface Resolved {
  assignmentId?: string;
  clientId?: string;
  /** The role assignment revoke-role removes, as the graph keys it. */
  role?: { principalKind: 'user' | 'group' | 'app'; principalId: string; roleId: string; resourceSetId: string };
}

class Stop extends Error {
  constructor(
    readonly outcome: 'refused' | 'failed',
    message: string,
    readonly grant?: string,
  ) {
    super(message);
  }
}

/** The integration's credentials asking only for the scopes this action needs (a service app's token is scoped per request). */
function authFor(integration: Integration, secrets: IntegrationSecrets, scopes: string[]): OktaAuth {
  try {
    return integrationAuth({ ...integration, scopes }, secrets);
  } catch (err) {
    if (err instanceof IntegrationError) throw new Stop('failed', `integration "${integration.name}": ${err.message}`);
    throw err;
  }
}

function answerOf(req: OktaRequest, err: unknown): OktaAnswer {
  if (err instanceof OktaApiError) {
    return { ...req, status: err.status, ...(err.errorCode ? { errorCode: err.errorCode } : {}), ...(err.errorSummary ? { errorSummary: err.errorSummary } : {}) };
  }
  return { ...req, status: 0, errorSummary: err instanceof Error ? err.message : String(err) };
}

/** Read-only look-ups before any write: the subject exists and is in a state the action applies to. */
async function preflight(p: ParsedAction, client: OktaClient, store: GraphStore, integration: Integration): Promise<Resolved> {
  const userId = p.subject.kind === 'user' ? p.subject.id : null;
  const needsUser = ['deactivate', 'suspend', 'unsuspend', 'clear-sessions', 'reset-factors', 'delete-user'].includes(p.spec.name);
  if (userId && needsUser) {
    const got = await client.getUser(userId);
    if (!got) throw new Stop('failed', `user ${userId} does not exist in Okta`);
    const status = got.body.status;
    const want: Partial<Record<ActionName, { ok: (s: string) => boolean; why: string }>> = {
      deactivate: { ok: (s) => s !== 'DEPROVISIONED', why: 'is already DEPROVISIONED' },
      suspend: { ok: (s) => s === 'ACTIVE', why: `is ${status}: Okta suspends only ACTIVE users` },
      unsuspend: { ok: (s) => s === 'SUSPENDED', why: `is ${status}: only SUSPENDED users can be unsuspended` },
      'delete-user': {
        ok: (s) => s === 'DEPROVISIONED',
        why: `is ${status}: Okta deletes only DEPROVISIONED users (a DELETE would deactivate instead); deactivate first: ${actionCommand(integration.name, 'deactivate', p.subject)}`,
      },
    };
    const rule = want[p.spec.name];
    if (rule && !rule.ok(status)) throw new Stop('failed', `user ${userId} ${rule.why}`);
    return {};
  }
  if (p.spec.name === 'remove-from-group') {
    const group = await client.getGroup(p.target!.id);
    if (!group) throw new Stop('failed', `group ${p.target!.id} does not exist in Okta`);
    if (group.body.type !== 'OKTA_GROUP') {
      throw new Stop('failed', `group ${p.target!.id} is ${String(group.body.type)}: Okta changes memberships of OKTA_GROUP groups only (APP_GROUP members come from the app's imports)`);
    }
    return {};
  }
  if (p.spec.name === 'unassign-app') {
    if (!(await client.getApp(p.target!.id))) throw new Stop('failed', `app ${p.target!.id} does not exist in Okta`);
    return {};
  }
  // revoke-role: find the assignment id of the role on that principal.
  let clientId: string | undefined;
  let list: OktaRoleAssignment[];
  try {
    if (p.subject.kind === 'user') list = (await client.listUserRoles(p.subject.id)).items;
    else if (p.subject.kind === 'group') list = (await client.listGroupRoles(p.subject.id)).items;
    else {
      clientId = (await appClientId(store, integration, p.subject.id)) ?? p.subject.id;
      list = (await client.listClientRoles(clientId)).items;
    }
  } catch (err) {
    if (err instanceof OktaApiError && err.status === 404) throw new Stop('failed', `${formatRef(p.subject)} does not exist in Okta`);
    throw err;
  }
  const roleId = p.target!.id;
  const held = list.filter((r) =>
    r.type === 'CUSTOM' ? r.role === roleId && (p.resourceSet === null || r['resource-set'] === p.resourceSet) : r.type === roleId && p.resourceSet === null,
  );
  // A user's role list also names the roles held through groups (assignmentType GROUP): the
  // principal's own assignment is the one to revoke; only when there is none is the group named.
  const own = held.filter((r) => r.assignmentType !== 'GROUP' || p.subject.kind === 'group');
  const matches = own.length > 0 ? own : held.slice(0, 1);
  if (matches.length === 0) throw new Stop('failed', `${formatRef(p.subject)} holds no ${roleId}${p.resourceSet ? ` on resource set ${p.resourceSet}` : ''} assignment in Okta`);
  if (matches.length > 1) {
    throw new Stop('failed', `${formatRef(p.subject)} holds ${roleId} on several resource sets (${matches.map((m) => m['resource-set']).join(', ')}): pass --resource-set ID`);
  }
  const a = matches[0]!;
  if (a.assignmentType === 'GROUP') {
    const via = /\/groups\/([^/?#]+)/.exec(String((a._links as { assignee?: { href?: string } } | undefined)?.assignee?.href ?? ''))?.[1];
    throw new Stop('failed', `${formatRef(p.subject)} holds ${roleId} through ${via ? `group ${via}` : 'a group'}: revoke it there${via ? `: ${actionCommand(integration.name, 'revoke-role', { kind: 'group', id: via }, p.target)}` : ''}, or remove the user from the group`);
  }
  return {
    assignmentId: a.id,
    ...(clientId ? { clientId } : {}),
    role: {
      principalKind: p.subject.kind as 'user' | 'group' | 'app',
      principalId: clientId ?? p.subject.id,
      roleId: a.type === 'CUSTOM' ? (a.role ?? roleId) : a.type,
      resourceSetId: a['resource-set'] ?? '',
    },
  };
}

/** A service app's OAuth client id as collected (Okta uses the app id as client id, but the graph knows). */
async function appClientId(store: GraphStore, integration: Integration, appId: string): Promise<string | null> {
  const rows = await store.gdb.execute<{ client_id: string | null }>(
    sql`SELECT client_id FROM apps WHERE tenant_id = ${store.tenant} AND integration_id = ${integration.id} AND okta_id = ${appId}`,
  );
  return rows[0]?.client_id ?? null;
}

/** What Okta's success means for the graph: confirmed edge/node changes, and objects to re-read. */
function graphChanges(p: ParsedAction, resolved: Resolved, at: Date): { mutations: GraphMutation[]; refresh: RefreshRequest[] } {
  const id = p.subject.id;
  switch (p.spec.name) {
    case 'deactivate':
    case 'suspend':
    case 'unsuspend':
      // Okta answers these with an empty 200: the user's new state (and transitioningToStatus) is re-read.
      return { mutations: [], refresh: [{ kind: 'user', id }] };
    case 'reset-factors':
      return { mutations: [], refresh: [{ kind: 'userFactors', userId: id }] };
    case 'clear-sessions':
      return { mutations: [], refresh: [] };
    case 'delete-user':
      return { mutations: [{ kind: 'user.delete', at, userId: id }], refresh: [] };
    case 'remove-from-group':
      return { mutations: [{ kind: 'membership.remove', at, userId: id, groupId: p.target!.id }], refresh: [] };
    case 'unassign-app':
      return p.subject.kind === 'group'
        ? // The group's members lose their group-derived app users too: re-read the app's assignments.
          { mutations: [{ kind: 'appGroup.remove', at, appId: p.target!.id, groupId: id }], refresh: [{ kind: 'appAssignments', appId: p.target!.id }] }
        : { mutations: [{ kind: 'appUser.remove', at, appId: p.target!.id, userId: id }], refresh: [] };
    case 'revoke-role':
      return { mutations: [{ kind: 'role.remove', at, ...resolved.role! }], refresh: [] };
  }
}

/**
 * Runs (or, without `apply`, dry-runs) one action and audits the attempt. Throws ActionInputError
 * for a malformed request (nothing is audited: nothing was attempted); every other outcome —
 * applied, dry run, refused, failed — is returned and audited.
 */
export async function runAction(ctx: ActionContext, req: ActionRequest): Promise<ActionResponse> {
  const p = parseAction(req);
  const apply = req.apply === true;
  const integration = (await ctx.store.getIntegration(req.integration)) ?? null;
  let requests = plannedRequests(p);
  let permission: ActionResult['permission'];
  const answers: OktaAnswer[] = [];

  const finish = async (outcome: AuditOutcome, message: string, extra: Partial<ActionResult> = {}): Promise<ActionResponse> => {
    const applied = outcome === 'applied';
    const entry = await appendAudit(ctx.store, {
      requestedBy: ctx.requestedBy,
      integrationId: integration?.id ?? null,
      integration: req.integration,
      action: p.spec.name,
      subject: formatRef(p.subject),
      target: p.target ? formatRef(p.target) : null,
      resourceSet: p.resourceSet,
      applied,
      outcome,
      requests,
      response: answers.length ? answers : null,
      message,
    });
    ctx.logger?.info({ action: p.spec.name, integration: req.integration, subject: formatRef(p.subject), outcome, auditId: entry.id }, 'remediation action');
    return {
      action: p.spec.name,
      subject: formatRef(p.subject),
      target: p.target ? formatRef(p.target) : null,
      applied,
      requests,
      result: {
        outcome,
        message,
        auditId: entry.id,
        ...(answers.length ? { okta: answers } : {}),
        ...(permission ? { permission } : {}),
        ...extra,
      },
    };
  };

  if (!integration) return finish('refused', `no integration named "${req.integration}" (see \`idgraph integration list\`)`, { grant: 'an existing integration' });
  if (!integration.allowActions) {
    return finish('refused', `integration "${integration.name}" is read-only: allow actions with \`idgraph integration update ${integration.name} --allow-actions\``, {
      grant: `idgraph integration update ${integration.name} --allow-actions`,
    });
  }

  try {
    const secrets = await ctx.store.integrationSecrets(integration);
    const clientOpts = { orgUrl: integration.orgUrl, allowInsecureHttp: integration.allowHttp, ...(ctx.governor ? { governor: ctx.governor } : {}), ...(ctx.logger ? { logger: ctx.logger } : {}) };
    // Look-ups may retry; writes never repeat on their own (a repeated DELETE of a user deletes
    // what the first one only deactivated).
    const reader = createOktaClient({ ...clientOpts, auth: authFor(integration, secrets, [p.spec.scope]), maxRetries: 2 });
    const writer = createOktaClient({ ...clientOpts, auth: authFor(integration, secrets, [p.spec.scope]), maxRetries: 0 });

    let resolved: Resolved;
    try {
      resolved = await preflight(p, reader, ctx.store, integration);
    } catch (err) {
      if (err instanceof OktaAuthError && err.error === 'invalid_scope') {
        throw new Stop('refused', `the service app ${integration.clientId} is not granted ${p.spec.scope}: grant it ${scopeAdvice(p.spec)}`, p.spec.scope);
      }
      if (err instanceof OktaApiError && err.status === 403) {
        const grant = err.requiredScope ?? roleAdvice(p.spec);
        throw new Stop('refused', `Okta refused the look-up before ${p.spec.name} (${err.message}): grant ${grant}`, grant);
      }
      throw err;
    }
    requests = plannedRequests(p, resolved);

    const verdict =
      integration.authMethod === 'ssws'
        ? await apiTokenPermission(p.spec, reader)
        : await serviceAppPermission(p.spec, integration.clientId!, createOktaClient({ ...clientOpts, auth: authFor(integration, secrets, ['okta.roles.read']), maxRetries: 2 }));
    if (!verdict.ok) {
      permission = { holder: verdict.holder, verified: true, note: verdict.message };
      throw new Stop('refused', verdict.message, verdict.grant);
    }
    permission = { holder: verdict.holder, verified: verdict.verified, note: verdict.note };

    if (!apply) {
      return await finish('dry-run', `dry run: nothing was changed; ${requests.length === 1 ? 'this request' : `these ${requests.length} requests`} would be sent — run again with --apply to perform`);
    }

    let at = new Date();
    for (const r of requests) {
      try {
        const res = await writer.write(r.method, r.path);
        answers.push({ ...r, status: res.status });
        at = res.fetchedAt;
      } catch (err) {
        answers.push(answerOf(r, err));
        if (err instanceof OktaApiError && err.status === 403) {
          const grant = err.requiredScope ? scopeAdvice({ ...p.spec, scope: err.requiredScope }) : roleAdvice(p.spec);
          throw new Stop('refused', `Okta refused ${r.method} ${r.path} (HTTP 403${err.errorCode ? ` ${err.errorCode}` : ''}): grant ${grant}`, err.requiredScope ?? roleAdvice(p.spec));
        }
        if (err instanceof OktaRequestError) {
          throw new Stop('failed', `no answer from Okta to ${r.method} ${r.path} (${err.message}); the change may or may not have happened: check the user in Okta before retrying`);
        }
        throw new Stop('failed', `Okta answered ${r.method} ${r.path} with HTTP ${(err as OktaApiError).status ?? '?'}: ${(err as Error).message}`);
      }
    }

    const changes = graphChanges(p, resolved, at);
    const mutations = await ctx.store.applyMutations(integration.id, changes.mutations);
    let refreshed = 0;
    const refreshFailures: string[] = [];
    if (changes.refresh.length) {
      // The change is made in Okta whatever happens here: a failed re-read is reported, not thrown.
      try {
        const summary = await ctx.refresh(integration, changes.refresh);
        refreshed = summary.refreshed;
        refreshFailures.push(...summary.failures.map((f) => f.error));
      } catch (err) {
        refreshFailures.push(err instanceof Error ? err.message : String(err));
      }
    }
    const graphNote = refreshFailures.length
      ? `; the graph could not re-read ${refreshFailures.length} object(s) (the next collection will): ${refreshFailures[0]}`
      : '';
    return await finish('applied', `applied: Okta answered ${answers.map((a) => a.status).join(', ')}${graphNote}`, {
      graph: { mutations, refreshed, refreshFailures },
    });
  } catch (err) {
    if (err instanceof Stop) return finish(err.outcome, err.message, err.grant ? { grant: err.grant } : {});
    if (err instanceof OktaAuthError || err instanceof OktaApiError || err instanceof OktaRequestError) {
      return finish('failed', `Okta: ${err.message}`);
    }
    throw err;
  }
}
