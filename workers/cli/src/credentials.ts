import { readFile } from 'node:fs/promises';
import { createOktaClient, OKTA_READ_SCOPES, validateSigningKey, type OktaAuth, type OktaClient, type OktaClientOptions, type RateGovernor } from '@idgraph/okta';
import { describeFileError, type Logger } from '@idgraph/core';
import { type GraphStore, type Integration, type NewIntegration } from '@idgraph/graph';
import { UsageError, UserError } from './errors.js';

export interface CredentialOptions {
  tokenEnv?: string;
  clientId?: string;
  keyFile?: string;
  kid?: string;
  scopes?: string[];
}

export type IntegrationSecrets = { token: string } | { privateKeyPem: string };

/** Reads credentials the way the CLI accepts them: a token from a named env var, or a service app's key file. */
export async function readCredentials(opts: CredentialOptions): Promise<{
  authMethod: 'ssws' | 'oauth';
  clientId?: string;
  keyId?: string;
  /** OAuth scopes to request (--scopes); absent = the read scopes idgraph needs. */
  scopes?: string[];
  secrets: IntegrationSecrets;
}> {
  const oauthParts = [opts.clientId, opts.keyFile, opts.kid].filter((v) => v !== undefined).length;
  if (opts.tokenEnv && oauthParts > 0) {
    throw new UsageError('give either --token-env VAR or --client-id/--key-file/--kid, not both');
  }
  if (opts.scopes !== undefined) validateScopes(opts.scopes, Boolean(opts.tokenEnv));
  if (opts.tokenEnv) {
    const token = process.env[opts.tokenEnv];
    if (!token) {
      throw new UserError(`environment variable ${opts.tokenEnv} (named by --token-env) is not set or empty: export it with the Okta API token first`);
    }
    const value = token.replace(/^SSWS\s+/i, '').trim();
    if (!value || /\s/.test(value)) {
      throw new UserError(`environment variable ${opts.tokenEnv} (named by --token-env) does not hold one API token: it is empty or contains spaces or line breaks; put only the token value in it`);
    }
    return { authMethod: 'ssws', secrets: { token: value } };
  }
  if (oauthParts === 3) {
    let pem: string;
    try {
      pem = await readFile(opts.keyFile!, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read --key-file ${opts.keyFile}: ${describeFileError(err)}; give the path of the service app's private key (PEM)`);
    }
    if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
      throw new UserError(`--key-file ${opts.keyFile} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----", PKCS#8; convert with \`openssl pkcs8 -topk8 -nocrypt\`)`);
    }
    // The key itself, also with --skip-test: one that cannot sign a client assertion must never be stored.
    try {
      validateSigningKey(pem, `--key-file ${opts.keyFile}`);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    return { authMethod: 'oauth', clientId: opts.clientId, keyId: opts.kid, ...(opts.scopes ? { scopes: opts.scopes } : {}), secrets: { privateKeyPem: pem } };
  }
  if (oauthParts > 0) {
    throw new UsageError('a service app needs all three of --client-id, --key-file and --kid');
  }
  throw new UsageError('credentials missing: give --token-env VAR (an SSWS API token in that variable) or --client-id ID --key-file PEM --kid KID');
}

/** `--scopes`: Okta API scope names, for a service app only (an API token is not scoped: it acts with its admin's role). */
export function validateScopes(scopes: string[], apiToken: boolean): void {
  if (apiToken) throw new UsageError('--scopes applies to a service app (--client-id …); an API token is not scoped: it acts with the role of the admin who created it');
  if (scopes.length === 0) throw new UsageError('--scopes is empty: list Okta API scopes, e.g. --scopes okta.users.read,okta.groups.read');
  const bad = scopes.filter((s) => !/^okta\.[A-Za-z]+(\.[A-Za-z]+)+$/.test(s));
  if (bad.length) throw new UsageError(`--scopes: ${bad.map((s) => `"${s}"`).join(', ')} ${bad.length > 1 ? 'are' : 'is'} not an Okta API scope; expected names like okta.users.read (see ${OKTA_READ_SCOPES.join(', ')})`);
}

/**
 * An org URL as the CLI accepts it: https (http only with --allow-http), nothing but scheme, host
 * and port. Credentials, a path or a query are refused rather than silently dropped (an admin
 * console URL pasted by mistake names another place), and a password is never echoed.
 */
export function validateOrgUrl(raw: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--org-url "${raw.replace(/\/\/[^@/]*@/, '//***@')}" is not a URL: expected e.g. https://acme.okta.com`);
  }
  const shown = `${url.protocol}//${url.username || url.password ? '***@' : ''}${url.host}${url.pathname === '/' ? '' : url.pathname}${url.search ? '?…' : ''}${url.hash ? '#…' : ''}`;
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new UsageError(
      url.protocol === 'http:'
        ? `--org-url ${url.origin} uses http: Okta orgs are https only (--allow-http exists for local simulators)`
        : `--org-url must be an https:// URL, got ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new UsageError(`--org-url ${shown} contains a user name or password: give only the org, ${url.origin}, and the credentials with --token-env or --client-id/--key-file/--kid`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    const extra = [url.pathname !== '/' ? `a path (${url.pathname})` : null, url.search ? 'a query' : null, url.hash ? 'a fragment' : null].filter(Boolean).join(' and ');
    throw new UsageError(`--org-url ${shown} has ${extra}: give only the org's base URL, ${url.origin}`);
  }
  return url.origin;
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
  throw new UserError('the stored credentials of this integration are incomplete: re-add it with `idgraph integration add`');
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
