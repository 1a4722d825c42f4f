/**
 * Adding, testing, changing and removing integrations: one implementation behind
 * `idgraph integration add|test|remove` and the operator API's /api/v1/integrations routes.
 */
import { collectableResources, createOktaClient, testConnectivity, type ConnectivityReport, type OktaAuth } from '@idgraph/okta';
import type { Logger } from '@idgraph/core';
import type { GraphStore, Integration, IntegrationPatch } from '@idgraph/graph';
import { authFor, clientForIntegration, normalizeApiToken, validateEventSource, validateName, validateOrgUrl, validatePrivateKeyPem, validateScopes, API_LABELS, type FieldLabels, type IntegrationSecrets } from './credentials.js';
import { IntegrationError } from './errors.js';

/** Credentials as both faces collect them (the CLI from an env var or key file, the API from the body). */
export interface IntegrationCredentials {
  authMethod: 'ssws' | 'oauth';
  clientId?: string | undefined;
  keyId?: string | undefined;
  /** OAuth scopes to request (service apps); absent = the read scopes idgraph needs. */
  scopes?: string[] | undefined;
  secrets: IntegrationSecrets;
}

export interface AddIntegrationInput {
  name: string;
  orgUrl: string;
  allowHttp: boolean;
  /** Remediation actions may act through it (default: read-only). */
  allowActions?: boolean | undefined;
  eventSource?: string | undefined;
  credentials: IntegrationCredentials;
}

/** An integration as it may be shown anywhere: no secret, nothing derived from one. */
export interface PublicIntegration {
  id: string;
  name: string;
  orgUrl: string;
  authMethod: string;
  clientId: string | null;
  scopes: string[] | null;
  eventSource: string | null;
  allowHttp: boolean;
  allowActions: boolean;
}

export function publicIntegration(i: {
  id: string;
  name: string;
  orgUrl: string;
  authMethod: string;
  clientId: string | null;
  eventSource: string | null;
  allowHttp: boolean;
  allowActions: boolean;
  scopes?: string[] | null;
}): PublicIntegration {
  return { id: i.id, name: i.name, orgUrl: i.orgUrl, authMethod: i.authMethod, clientId: i.clientId, scopes: i.scopes ?? null, eventSource: i.eventSource, allowHttp: i.allowHttp, allowActions: i.allowActions };
}

/** What to grant or fix so every resource can be collected, in one sentence (the per-resource explanations are in the report). */
export function connectivityAdvice(report: ConnectivityReport): string {
  const scopes = [...new Set(report.resources.filter((r) => r.status === 'missing_scope' && r.scope).map((r) => r.scope!))];
  const forbidden = report.resources.filter((r) => r.status === 'forbidden').map((r) => r.resource);
  const errors = report.resources.filter((r) => r.status === 'error').map((r) => r.resource);
  const parts: string[] = [];
  if (scopes.length) parts.push(`grant ${scopes.join(', ')} to the service app (its Okta API Scopes tab)`);
  if (forbidden.length) parts.push(`give the credentials' admin (or the service app) a role that may read ${forbidden.join(', ')}`);
  if (errors.length) parts.push(`fix the error${errors.length > 1 ? 's' : ''} shown for ${errors.join(', ')}`);
  return parts.join('; ');
}

/** The resources a scan will skip with these credentials (empty when all can be collected). */
export function skippedResources(report: ConnectivityReport | null): string[] {
  return report ? report.resources.filter((r) => r.status !== 'ok').map((r) => r.resource) : [];
}

export async function checkConnectivity(orgUrl: string, auth: OktaAuth, allowHttp: boolean): Promise<ConnectivityReport> {
  const client = createOktaClient({ orgUrl, auth, allowInsecureHttp: allowHttp, maxRetries: 2 });
  return testConnectivity(client);
}

/** Checks credentials before anything is tested or stored; returns them with the token normalized. */
function checkCredentials(c: IntegrationCredentials): IntegrationCredentials {
  if (c.scopes !== undefined) validateScopes(c.scopes, c.authMethod === 'ssws');
  if (c.authMethod === 'oauth' && 'privateKeyPem' in c.secrets) validatePrivateKeyPem(c.secrets.privateKeyPem);
  if (c.authMethod === 'ssws' && 'token' in c.secrets) return { ...c, secrets: { token: normalizeApiToken(c.secrets.token) } };
  return c;
}

/**
 * Least privilege is a choice: credentials that can collect some resources are stored (scans skip
 * the rest and say so); credentials that can collect nothing are refused.
 */
function refuseUseless(orgUrl: string, report: ConnectivityReport): void {
  if (collectableResources(report).length === 0) {
    throw new IntegrationError('connectivity', `these credentials cannot collect anything from ${orgUrl}: ${connectivityAdvice(report)}`, report);
  }
}

/** The store refuses duplicates with plain errors; name them as conflicts. */
function storeError(err: unknown): never {
  const message = (err as Error).message ?? String(err);
  if (/exists already|already used by/.test(message)) throw new IntegrationError('conflict', message);
  if (/is invalid|must use|needs |is not a URL|must be/.test(message)) throw new IntegrationError('invalid', message);
  throw err;
}

/**
 * Adds an integration after its connectivity test passes (unless skipTest): validation first,
 * then the test, then the store. A failed test stores nothing and throws `connectivity` with the
 * report. Returns the stored integration and the report it passed.
 */
export async function addIntegration(
  store: GraphStore,
  input: AddIntegrationInput,
  opts: { skipTest?: boolean; labels?: FieldLabels } = {},
): Promise<{ integration: Integration; connectivity: ConnectivityReport | null }> {
  validateName(input.name);
  const orgUrl = validateOrgUrl(input.orgUrl, input.allowHttp, opts.labels ?? API_LABELS);
  if (input.eventSource !== undefined) validateEventSource(input.eventSource);
  const c = checkCredentials(input.credentials);
  if (await store.getIntegration(input.name)) {
    throw new IntegrationError('conflict', `an integration named "${input.name}" exists already (remove it first, or pick another name)`);
  }
  let report: ConnectivityReport | null = null;
  if (!opts.skipTest) {
    report = await checkConnectivity(orgUrl, authFor({ authMethod: c.authMethod, clientId: c.clientId ?? null, keyId: c.keyId ?? null, scopes: c.scopes ?? null }, c.secrets), input.allowHttp);
    refuseUseless(orgUrl, report);
  }
  const integration = await store
    .createIntegration({
      name: input.name,
      orgUrl,
      authMethod: c.authMethod,
      clientId: c.clientId,
      keyId: c.keyId,
      scopes: c.scopes ?? null,
      secrets: c.secrets,
      allowHttp: input.allowHttp,
      allowActions: input.allowActions ?? false,
      eventSource: input.eventSource,
    })
    .catch(storeError);
  if (report) await store.recordConnectivity(integration.id, report);
  return { integration: report ? { ...integration, lastConnectivity: report, lastConnectivityAt: new Date() } : integration, connectivity: report };
}

export async function requireIntegration(store: GraphStore, name: string): Promise<Integration> {
  const found = await store.getIntegration(name);
  if (!found) throw new IntegrationError('not_found', `no integration named "${name}" (see \`idgraph integration list\` or GET /api/v1/integrations)`);
  return found;
}

/** Runs the connectivity check of a stored integration and records the result on it. */
export async function testIntegration(store: GraphStore, name: string, opts: { logger: Logger }): Promise<ConnectivityReport> {
  const found = await requireIntegration(store, name);
  const client = await clientForIntegration(store, found, { logger: opts.logger });
  const report = await testConnectivity(client);
  await store.recordConnectivity(found.id, report);
  return report;
}

export interface UpdateIntegrationInput {
  name?: string | undefined;
  orgUrl?: string | undefined;
  allowHttp?: boolean | undefined;
  allowActions?: boolean | undefined;
  /** null detaches Log Streaming. */
  eventSource?: string | null | undefined;
  credentials?: IntegrationCredentials | undefined;
}

/**
 * Changes an integration. New credentials or a new org URL are tested first, as on add: a failed
 * test changes nothing.
 */
export async function updateIntegration(
  store: GraphStore,
  name: string,
  input: UpdateIntegrationInput,
  opts: { skipTest?: boolean; labels?: FieldLabels } = {},
): Promise<{ integration: Integration; connectivity: ConnectivityReport | null }> {
  const current = await requireIntegration(store, name);
  if (input.name !== undefined) validateName(input.name);
  const allowHttp = input.allowHttp ?? current.allowHttp;
  const orgUrl = validateOrgUrl(input.orgUrl ?? current.orgUrl, allowHttp, opts.labels ?? API_LABELS);
  if (input.eventSource != null) validateEventSource(input.eventSource);
  const credentials = input.credentials ? checkCredentials(input.credentials) : undefined;
  if (input.name !== undefined && input.name !== current.name && (await store.getIntegration(input.name))) {
    throw new IntegrationError('conflict', `an integration named "${input.name}" exists already`);
  }
  let report: ConnectivityReport | null = null;
  const reachChanged = credentials !== undefined || orgUrl !== current.orgUrl;
  if (reachChanged && !opts.skipTest) {
    const c = credentials;
    const auth = c
      ? authFor({ authMethod: c.authMethod, clientId: c.clientId ?? null, keyId: c.keyId ?? null, scopes: c.scopes ?? null }, c.secrets)
      : authFor(current, (await store.integrationSecrets(current)) as IntegrationSecrets);
    report = await checkConnectivity(orgUrl, auth, allowHttp);
    refuseUseless(orgUrl, report);
  }
  const patch: IntegrationPatch = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(orgUrl !== current.orgUrl ? { orgUrl } : {}),
    ...(input.allowHttp !== undefined ? { allowHttp: input.allowHttp } : {}),
    ...(input.allowActions !== undefined ? { allowActions: input.allowActions } : {}),
    ...(input.eventSource !== undefined ? { eventSource: input.eventSource } : {}),
    ...(credentials
      ? { authMethod: credentials.authMethod, clientId: credentials.clientId ?? null, keyId: credentials.keyId ?? null, scopes: credentials.scopes ?? null, secrets: credentials.secrets }
      : {}),
  };
  const updated = await store.updateIntegration(current.id, patch).catch(storeError);
  if (report) await store.recordConnectivity(updated.id, report);
  return { integration: report ? { ...updated, lastConnectivity: report, lastConnectivityAt: new Date() } : updated, connectivity: report };
}

/** Removes an integration (its graph rows are kept, tombstoned; see GraphStore.removeIntegration). */
export async function removeIntegration(store: GraphStore, name: string): Promise<Integration> {
  const removed = await store.removeIntegration(name);
  if (!removed) throw new IntegrationError('not_found', `no integration named "${name}" (see \`idgraph integration list\` or GET /api/v1/integrations)`);
  return removed;
}
