/**
 * From a stored integration to an Okta client, and the checks on what defines an integration.
 * The CLI (`idgraph integration …`, `scan`, `workers`) and `idgraph serve` both come through here.
 */
import { createOktaClient, OKTA_READ_SCOPES, validateSigningKey, type OktaAuth, type OktaClient, type OktaClientOptions, type RateGovernor } from '@idgraph/okta';
import type { Logger } from '@idgraph/core';
import type { GraphStore, Integration, IntegrationSecrets, NewIntegration } from '@idgraph/graph';
import { IntegrationError } from './errors.js';

export type { IntegrationSecrets };

/** How the caller names the fields in messages (`--org-url` in the CLI, `orgUrl` in the API). */
export interface FieldLabels {
  orgUrl: string;
  allowHttp: string;
}

export const API_LABELS: FieldLabels = { orgUrl: 'orgUrl', allowHttp: 'allowHttp' };

/**
 * An org URL reduced to its origin: https (http only when allowed: local simulators), nothing but
 * scheme, host and port. Credentials, a path or a query are refused rather than silently dropped (an
 * admin console URL pasted by mistake names another place), and a password is never echoed.
 */
export function validateOrgUrl(raw: string, allowHttp: boolean, labels: FieldLabels = API_LABELS): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IntegrationError('invalid', `${labels.orgUrl} "${raw.replace(/\/\/[^@/]*@/, '//***@')}" is not a URL: expected e.g. https://acme.okta.com`);
  }
  const shown = `${url.protocol}//${url.username || url.password ? '***@' : ''}${url.host}${url.pathname === '/' ? '' : url.pathname}${url.search ? '?…' : ''}${url.hash ? '#…' : ''}`;
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new IntegrationError(
      'invalid',
      url.protocol === 'http:'
        ? `${labels.orgUrl} ${url.origin} uses http: Okta orgs are https only (${labels.allowHttp} exists for local simulators)`
        : `${labels.orgUrl} must be an https:// URL, got ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new IntegrationError('invalid', `${labels.orgUrl} ${shown} contains a user name or password: give only the org, ${url.origin}, and the credentials separately`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    const extra = [url.pathname !== '/' ? `a path (${url.pathname})` : null, url.search ? 'a query' : null, url.hash ? 'a fragment' : null].filter(Boolean).join(' and ');
    throw new IntegrationError('invalid', `${labels.orgUrl} ${shown} has ${extra}: give only the org's base URL, ${url.origin}`);
  }
  return url.origin;
}

/** OAuth scopes for a service app (an API token is not scoped: it acts with its admin's role). */
export function validateScopes(scopes: string[], apiToken: boolean, label = 'scopes'): void {
  if (apiToken) throw new IntegrationError('invalid', `${label} applies to a service app; an API token is not scoped: it acts with the role of the admin who created it`);
  if (scopes.length === 0) throw new IntegrationError('invalid', `${label} is empty: list Okta API scopes, e.g. okta.users.read,okta.groups.read`);
  const bad = scopes.filter((s) => !/^okta\.[A-Za-z]+(\.[A-Za-z]+)+$/.test(s));
  if (bad.length) {
    throw new IntegrationError('invalid', `${label}: ${bad.map((s) => `"${s}"`).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not an Okta API scope; expected names like okta.users.read (see ${OKTA_READ_SCOPES.join(', ')})`);
  }
}

/** An SSWS token value: one word (a pasted "SSWS " prefix is dropped). */
export function normalizeApiToken(raw: string, label = 'the API token'): string {
  const value = raw.replace(/^SSWS\s+/i, '').trim();
  if (!value || /\s/.test(value)) {
    throw new IntegrationError('invalid', `${label} is not one API token: it is empty or contains spaces or line breaks; give only the token value`);
  }
  return value;
}

export function validateName(name: string, label = 'integration name'): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new IntegrationError('invalid', `${label} "${name}" is invalid: use letters, digits, '.', '_' or '-' (max 63), starting with a letter or digit`);
  }
}

export function validateEventSource(source: string, label = 'eventSource'): void {
  if (!/^aws\.partner\/okta\.com\/[A-Za-z0-9.-]+\/[.\-_A-Za-z0-9]{1,75}$/.test(source)) {
    throw new IntegrationError('invalid', `${label} "${source}" is not an Okta partner event source: expected aws.partner/okta.com/ORG/STREAM`);
  }
}

/**
 * A PEM the service-app flow can sign with (RSA or EC P-256/384/521, unencrypted): checked before
 * anything is stored, also when the connectivity test is skipped.
 */
export function validatePrivateKeyPem(pem: string, label = 'privateKeyPem'): void {
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    throw new IntegrationError(
      'invalid',
      `${label} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", PKCS#8; convert with \`openssl pkcs8 -topk8 -nocrypt\`)`,
    );
  }
  try {
    validateSigningKey(pem, label);
  } catch (err) {
    throw new IntegrationError('invalid', (err as Error).message);
  }
}

export function authFor(
  integration: { authMethod: string; clientId: string | null; keyId: string | null; scopes?: string[] | null | undefined },
  secrets: IntegrationSecrets,
): OktaAuth {
  if (integration.authMethod === 'ssws' && 'token' in secrets) return { kind: 'ssws', token: secrets.token };
  if (integration.authMethod === 'oauth' && 'privateKeyPem' in secrets && integration.clientId && integration.keyId) {
    return {
      kind: 'oauth',
      clientId: integration.clientId,
      keyId: integration.keyId,
      privateKeyPem: secrets.privateKeyPem,
      ...(integration.scopes?.length ? { scopes: integration.scopes } : {}),
    };
  }
  throw new IntegrationError('invalid', 'the stored credentials of this integration are incomplete: add it again with its credentials');
}

/** An Okta client for a stored integration (secrets decrypted only here, in memory). */
export async function clientForIntegration(
  store: GraphStore,
  integration: Parameters<GraphStore['integrationSecrets']>[0] & { orgUrl: string; allowHttp: boolean; authMethod: string; clientId: string | null; keyId: string | null; scopes?: string[] | null },
  opts: { logger: Logger; governor?: RateGovernor; signal?: AbortSignal; onRequest?: OktaClientOptions['onRequest'] },
): Promise<OktaClient> {
  const secrets = (await store.integrationSecrets(integration)) as IntegrationSecrets;
  return createOktaClient({
    orgUrl: integration.orgUrl,
    auth: authFor(integration, secrets),
    allowInsecureHttp: integration.allowHttp,
    governor: opts.governor,
    logger: opts.logger,
    signal: opts.signal,
    onRequest: opts.onRequest,
  });
}

/** Creates or updates an integration by name (the store drops checkpoints of a moved org). */
export async function saveIntegration(store: GraphStore, fields: NewIntegration): Promise<Integration> {
  const existing = await store.getIntegration(fields.name);
  if (!existing) return store.createIntegration(fields);
  const { name: _name, ...patch } = fields;
  return store.updateIntegration(existing.id, patch);
}
