import { scrubSecrets } from '@idgraph/core';
import type { ScopeState } from './auth/authorizer.js';
import type { OktaClient } from './client.js';
import { OktaApiError, OktaAuthError } from './errors.js';

export type ConnectivityStatus = 'ok' | 'missing_scope' | 'forbidden' | 'error';
export type ConnectivityResource =
  | 'users'
  | 'groups'
  | 'group_members'
  | 'apps'
  | 'app_assignments'
  | 'roles'
  | 'factors'
  | 'system_log'
  | 'api_tokens'
  | 'group_rules'
  | 'app_credentials';

export interface ConnectivityResult {
  resource: ConnectivityResource;
  status: ConnectivityStatus;
  /** The scope to grant when status is missing_scope. */
  scope?: string;
  message: string;
}

export interface ConnectivityReport {
  /** Every resource can be collected. */
  ok: boolean;
  resources: ConnectivityResult[];
  /** OAuth service apps: the scopes requested, granted and refused at the token endpoint. */
  scopes?: ScopeState;
}

/** The OAuth scope each resource needs (each operation's `security` in Okta's management OpenAPI spec; factors sit under okta.users.read). */
export const RESOURCE_SCOPES: Readonly<Record<ConnectivityResource, string>> = {
  users: 'okta.users.read',
  groups: 'okta.groups.read',
  group_members: 'okta.groups.read',
  apps: 'okta.apps.read',
  app_assignments: 'okta.apps.read',
  roles: 'okta.roles.read',
  factors: 'okta.users.read',
  system_log: 'okta.logs.read',
  api_tokens: 'okta.apiTokens.read',
  group_rules: 'okta.groups.read',
  app_credentials: 'okta.apps.read',
};

interface Probe {
  resource: ConnectivityResource;
  /** The probe whose result this one needs (an id to read under). */
  after?: ConnectivityResource;
  /** Returns the path to read, or a reason the probe cannot run (its prerequisite found nothing). */
  path: () => string | { skip: string };
}

function firstId(body: unknown): string | undefined {
  if (!Array.isArray(body)) return undefined;
  const first = body[0] as { id?: unknown } | undefined;
  return typeof first?.id === 'string' ? first.id : undefined;
}

/**
 * Authenticates and reads one item of every resource the pipeline collects, reporting per resource
 * whether the credentials can collect it, and if not, what to grant.
 */
export async function testConnectivity(client: OktaClient): Promise<ConnectivityReport> {
  const found: { userId?: string; groupId?: string; appId?: string } = {};
  const since = new Date(Date.now() - 60 * 60 * 1000).toISOString();
  const probes: Probe[] = [
    { resource: 'users', path: () => '/api/v1/users?limit=1' },
    { resource: 'groups', path: () => '/api/v1/groups?limit=1' },
    {
      resource: 'group_members',
      after: 'groups',
      path: () => (found.groupId ? `/api/v1/groups/${encodeURIComponent(found.groupId)}/users?limit=1` : { skip: 'no group could be listed to read members of' }),
    },
    { resource: 'apps', path: () => '/api/v1/apps?limit=1' },
    {
      resource: 'app_assignments',
      after: 'apps',
      path: () => (found.appId ? `/api/v1/apps/${encodeURIComponent(found.appId)}/users?limit=1` : { skip: 'no app could be listed to read assignments of' }),
    },
    { resource: 'roles', path: () => '/api/v1/iam/assignees/users?limit=1' },
    {
      resource: 'factors',
      after: 'users',
      path: () => (found.userId ? `/api/v1/users/${encodeURIComponent(found.userId)}/factors` : { skip: 'no user could be listed to read factors of' }),
    },
    { resource: 'system_log', path: () => `/api/v1/logs?limit=1&since=${encodeURIComponent(since)}&sortOrder=ASCENDING` },
    { resource: 'api_tokens', path: () => '/api/v1/api-tokens' },
    { resource: 'group_rules', path: () => '/api/v1/groups/rules?limit=1' },
    // Client credentials are read per OAuth client app under okta.apps.read: listing those apps stands for it.
    { resource: 'app_credentials', after: 'apps', path: () => `/api/v1/apps?limit=1&filter=${encodeURIComponent('name eq "oidc_client"')}` },
  ];

  const resources: ConnectivityResult[] = [];
  for (const probe of probes) {
    const prerequisite = probe.after ? resources.find((r) => r.resource === probe.after) : undefined;
    if (prerequisite && (prerequisite.status === 'missing_scope' || prerequisite.status === 'forbidden')) {
      // Same endpoint family, same scope and role: what stopped the listing stops this too.
      resources.push({ ...prerequisite, resource: probe.resource });
      continue;
    }
    const path = probe.path();
    if (typeof path !== 'string') {
      resources.push({ resource: probe.resource, status: 'error', message: `not tested: ${path.skip}` });
      continue;
    }
    try {
      const { body } = await client.getJson<unknown>(path);
      if (probe.resource === 'users') found.userId = firstId(body);
      if (probe.resource === 'groups') found.groupId = firstId(body);
      if (probe.resource === 'apps') found.appId = firstId(body);
      resources.push({ resource: probe.resource, status: 'ok', message: 'readable' });
    } catch (err) {
      if (err instanceof OktaAuthError) {
        // No token at all: every probe would fail the same way; classify each without re-asking.
        for (const rest of probes.slice(probes.indexOf(probe))) resources.push(classify(rest.resource, err, client.scopeState()));
        break;
      }
      resources.push(classify(probe.resource, err, client.scopeState()));
    }
  }
  const scopes = client.scopeState();
  return { ok: resources.every((r) => r.status === 'ok'), resources, ...(scopes ? { scopes } : {}) };
}

/** The resources a report says can be collected. */
export function collectableResources(report: ConnectivityReport): ConnectivityResource[] {
  return report.resources.filter((r) => r.status === 'ok').map((r) => r.resource);
}

/**
 * Whether `err` says these credentials may not read `resource` — a scope the token lacks (or Okta
 * refused to grant), or an admin role that does not allow it — and what to do about it; null for
 * any other failure. The collector skips such resources instead of failing the run.
 */
export function accessDenial(resource: ConnectivityResource, err: unknown, scopes: ScopeState | null = null): ConnectivityResult | null {
  const needed = RESOURCE_SCOPES[resource];
  if (err instanceof OktaAuthError) {
    if (err.error !== 'invalid_scope') return null;
    const notRequested = scopes !== null && !scopes.requested.includes(needed) && !scopes.requested.includes(needed.replace(/\.read$/, '.manage'));
    return {
      resource,
      status: 'missing_scope',
      scope: needed,
      message: notRequested
        ? `${needed} is not among the scopes requested for this integration: add it (integration add --scopes) and grant it to the service app`
        : `Okta refused to grant ${needed} to the service app at the token endpoint: grant it in the app's Okta API Scopes tab`,
    };
  }
  if (!(err instanceof OktaApiError)) return null;
  if (err.authError === 'insufficient_scope' || err.requiredScope) {
    const scope = err.requiredScope ?? needed;
    const refused = scopes?.refused.includes(scope) ?? false;
    return {
      resource,
      status: 'missing_scope',
      scope,
      message: refused
        ? `Okta refused to grant ${scope} to the service app at the token endpoint: grant it in the app's Okta API Scopes tab`
        : `the access token lacks ${scope}: grant it to the service app and include it in the requested scopes`,
    };
  }
  if (err.status === 403) {
    const refusal = `Okta refused (${err.errorCode ?? 'HTTP 403'}${err.errorSummary ? `: ${err.errorSummary}` : ''})`;
    return {
      resource,
      status: 'forbidden',
      message:
        resource === 'roles'
          ? `${refusal}: only a Super Administrator may view admin role assignments; give the credentials' admin (or the service app) that role to collect roles`
          : `${refusal}: the admin role behind these credentials does not allow reading this; assign a role that does (e.g. Read-Only Administrator)`,
    };
  }
  return null;
}

function classify(resource: ConnectivityResource, err: unknown, scopes: ScopeState | null): ConnectivityResult {
  const denial = accessDenial(resource, err, scopes);
  if (denial) return denial;
  if (err instanceof OktaApiError) {
    if (err.status === 401) {
      return { resource, status: 'error', message: `credentials rejected (${err.errorCode ?? 'HTTP 401'}${err.errorSummary ? `: ${err.errorSummary}` : ''}): check the API token or service app` };
    }
    return { resource, status: 'error', message: err.message };
  }
  if (err instanceof OktaAuthError) return { resource, status: 'error', message: err.message };
  return { resource, status: 'error', message: scrubSecrets(err instanceof Error ? err.message : String(err)) };
}
