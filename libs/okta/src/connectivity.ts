import { scrubSecrets } from '@idgraph/core';
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
  | 'system_log';

export interface ConnectivityResult {
  resource: ConnectivityResource;
  status: ConnectivityStatus;
  /** The scope to grant when status is missing_scope. */
  scope?: string;
  message: string;
}

export interface ConnectivityReport {
  ok: boolean;
  resources: ConnectivityResult[];
}

/** The OAuth scope each resource needs (each operation's `security` in Okta's management OpenAPI spec; factors sit under okta.users.read). */
const SCOPE_OF: Record<ConnectivityResource, string> = {
  users: 'okta.users.read',
  groups: 'okta.groups.read',
  group_members: 'okta.groups.read',
  apps: 'okta.apps.read',
  app_assignments: 'okta.apps.read',
  roles: 'okta.roles.read',
  factors: 'okta.users.read',
  system_log: 'okta.logs.read',
};

interface Probe {
  resource: ConnectivityResource;
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
      path: () => (found.groupId ? `/api/v1/groups/${encodeURIComponent(found.groupId)}/users?limit=1` : { skip: 'no group could be listed to read members of' }),
    },
    { resource: 'apps', path: () => '/api/v1/apps?limit=1' },
    {
      resource: 'app_assignments',
      path: () => (found.appId ? `/api/v1/apps/${encodeURIComponent(found.appId)}/users?limit=1` : { skip: 'no app could be listed to read assignments of' }),
    },
    { resource: 'roles', path: () => '/api/v1/iam/assignees/users?limit=1' },
    {
      resource: 'factors',
      path: () => (found.userId ? `/api/v1/users/${encodeURIComponent(found.userId)}/factors` : { skip: 'no user could be listed to read factors of' }),
    },
    { resource: 'system_log', path: () => `/api/v1/logs?limit=1&since=${encodeURIComponent(since)}&sortOrder=ASCENDING` },
  ];

  const resources: ConnectivityResult[] = [];
  for (const probe of probes) {
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
      const result = classify(probe.resource, err);
      resources.push(result);
      // A failed token request fails every probe the same way; say it once per resource without re-asking.
      if (err instanceof OktaAuthError) {
        for (const rest of probes.slice(probes.indexOf(probe) + 1)) resources.push({ ...result, resource: rest.resource });
        break;
      }
    }
  }
  return { ok: resources.every((r) => r.status === 'ok'), resources };
}

function classify(resource: ConnectivityResource, err: unknown): ConnectivityResult {
  const needed = SCOPE_OF[resource];
  if (err instanceof OktaApiError) {
    if (err.authError === 'insufficient_scope' || err.requiredScope) {
      const scope = err.requiredScope ?? needed;
      return { resource, status: 'missing_scope', scope, message: `the access token lacks ${scope}: grant it to the service app and include it in the requested scopes` };
    }
    if (err.status === 403) {
      return {
        resource,
        status: 'forbidden',
        message: `Okta refused (${err.errorCode ?? 'HTTP 403'}${err.errorSummary ? `: ${err.errorSummary}` : ''}): the admin role behind these credentials cannot read ${resource.replace('_', ' ')}; assign a role that can (e.g. Read-only Administrator)`,
      };
    }
    if (err.status === 401) {
      return { resource, status: 'error', message: `credentials rejected (${err.errorCode ?? 'HTTP 401'}${err.errorSummary ? `: ${err.errorSummary}` : ''}): check the API token or service app` };
    }
    return { resource, status: 'error', message: err.message };
  }
  if (err instanceof OktaAuthError) return { resource, status: 'error', message: err.message };
  return { resource, status: 'error', message: scrubSecrets(err instanceof Error ? err.message : String(err)) };
}
