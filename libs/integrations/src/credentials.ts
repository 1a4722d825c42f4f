/**
 * From a stored integration to an Okta client, and the checks on what defines an integration.
 * The CLI (`idgraph integration …`, `scan`, `workers`) and `idgraph serve` both come through here.
 */
import { createOktaClient, type OktaAuth, type OktaClient, type OktaClientOptions, type RateGovernor } from '@idgraph/okta';
import type { Logger } from '@idgraph/core';
import type { GraphStore, Integration, NewIntegration } from '@idgraph/graph';
import { IntegrationError } from './errors.js';

/**
 * What is sealed per integration: an SSWS token, or a service app's private key and the scopes it
 * asks for (kept with the key so one sealed value says how to authenticate).
 */
export type IntegrationSecrets = { token: string } | { privateKeyPem: string; scopes?: string[] };

/** How the caller names the fields in messages (`--org-url` in the CLI, `orgUrl` in the API). */
export interface FieldLabels {
  orgUrl: string;
  allowHttp: string;
}

export const API_LABELS: FieldLabels = { orgUrl: 'orgUrl', allowHttp: 'allowHttp' };

/** An org URL reduced to its origin; https only, http when allowed (local simulators). */
export function validateOrgUrl(raw: string, allowHttp: boolean, labels: FieldLabels = API_LABELS): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IntegrationError('invalid', `${labels.orgUrl} "${raw}" is not a URL: expected e.g. https://acme.okta.com`);
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new IntegrationError(
      'invalid',
      url.protocol === 'http:'
        ? `${labels.orgUrl} ${url.origin} uses http: Okta orgs are https only (${labels.allowHttp} exists for local simulators)`
        : `${labels.orgUrl} must be an https:// URL, got ${url.protocol}`,
    );
  }
  return url.origin;
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

/** A PEM the service-app flow can use: PKCS#8 (or PKCS#1/SEC1, which jose converts). */
export function validatePrivateKeyPem(pem: string, label = 'privateKeyPem'): void {
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) {
    throw new IntegrationError(
      'invalid',
      `${label} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", PKCS#8; convert with \`openssl pkcs8 -topk8 -nocrypt\`)`,
    );
  }
}

export function authFor(
  integration: { authMethod: string; clientId: string | null; keyId: string | null },
  secrets: IntegrationSecrets,
): OktaAuth {
  if (integration.authMethod === 'ssws' && 'token' in secrets) return { kind: 'ssws', token: secrets.token };
  if (integration.authMethod === 'oauth' && 'privateKeyPem' in secrets && integration.clientId && integration.keyId) {
    return {
      kind: 'oauth',
      clientId: integration.clientId,
      keyId: integration.keyId,
      privateKeyPem: secrets.privateKeyPem,
      ...(secrets.scopes?.length ? { scopes: secrets.scopes } : {}),
    };
  }
  throw new IntegrationError('invalid', 'the stored credentials of this integration are incomplete: add it again with its credentials');
}

/** An Okta client for a stored integration (secrets decrypted only here, in memory). */
export async function clientForIntegration(
  store: GraphStore,
  integration: Parameters<GraphStore['integrationSecrets']>[0] & { orgUrl: string; allowHttp: boolean; authMethod: string; clientId: string | null; keyId: string | null },
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
