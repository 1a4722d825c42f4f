import { readFile } from 'node:fs/promises';
import { describeFileError } from '@idgraph/core';
import {
  IntegrationError,
  normalizeApiToken,
  validateOrgUrl as validateOrgUrlFor,
  validatePrivateKeyPem,
  validateScopes as validateScopesFor,
  type IntegrationSecrets,
} from '@idgraph/integrations';
import { UsageError, UserError } from './errors.js';

// Shared with `idgraph serve`; the CLI only reads credentials its own way (env var, key file).
export { authFor, clientForIntegration, saveIntegration, type IntegrationSecrets } from '@idgraph/integrations';

export interface CredentialOptions {
  tokenEnv?: string;
  clientId?: string;
  keyFile?: string;
  kid?: string;
  scopes?: string[];
}

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
    try {
      return { authMethod: 'ssws', secrets: { token: normalizeApiToken(token, `environment variable ${opts.tokenEnv} (named by --token-env)`) } };
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }
  if (oauthParts === 3) {
    let pem: string;
    try {
      pem = await readFile(opts.keyFile!, 'utf8');
    } catch (err) {
      throw new UserError(`cannot read --key-file ${opts.keyFile}: ${describeFileError(err)}; give the path of the service app's private key (PEM)`);
    }
    // The key itself, also with --skip-test: one that cannot sign a client assertion must never be stored.
    try {
      validatePrivateKeyPem(pem, `--key-file ${opts.keyFile}`);
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

/** `--scopes`: Okta API scope names, for a service app only. */
export function validateScopes(scopes: string[], apiToken: boolean): void {
  try {
    validateScopesFor(scopes, apiToken, '--scopes');
  } catch (err) {
    if (err instanceof IntegrationError) throw new UsageError(err.message);
    throw err;
  }
}

/** The org URL check with the CLI's flag names; a bad URL is a usage error (exit 2). */
export function validateOrgUrl(raw: string, allowHttp: boolean): string {
  try {
    return validateOrgUrlFor(raw, allowHttp, { orgUrl: '--org-url', allowHttp: '--allow-http' });
  } catch (err) {
    if (err instanceof IntegrationError) throw new UsageError(err.message.replace('and the credentials separately', 'and the credentials with --token-env or --client-id/--key-file/--kid'));
    throw err;
  }
}
