import { scrubSecrets } from '@idgraph/core';

export interface OktaErrorCause {
  errorSummary: string;
  [k: string]: unknown;
}

/** Fields parsed out of a `WWW-Authenticate: Bearer|DPoP k="v", …` challenge. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseWwwAuthenticate(value: string | null): AuthChallenge | null {
  if (!value) return null;
  const schemeMatch = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*/.exec(value);
  if (!schemeMatch?.[1]) return null;
  const params: Record<string, string> = {};
  const paramRe = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const m of value.slice(schemeMatch[0].length).matchAll(paramRe)) {
    const key = m[1];
    if (key) params[key] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: schemeMatch[1], params };
}

/** Method + URL fit for errors and logs: credentials scrubbed, no fragment. */
export function describeRequest(method: string, url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.hash = '';
    return `${method} ${scrubSecrets(u.pathname + u.search)}`;
  } catch {
    return `${method} ${scrubSecrets(url)}`;
  }
}

/** A management-API call Okta answered with an error (after retries where retrying made sense). */
export class OktaApiError extends Error {
  readonly status: number;
  readonly errorCode?: string;
  readonly errorSummary?: string;
  readonly errorId?: string;
  readonly errorCauses?: OktaErrorCause[];
  /** Method and path+query of the failed request; never carries credentials. */
  readonly url: string;
  /** From `WWW-Authenticate: … error="insufficient_scope", scope="…"`: the scope the token lacks. */
  readonly requiredScope?: string;
  /** The `error` parameter of the `WWW-Authenticate` challenge, e.g. insufficient_scope, invalid_token. */
  readonly authError?: string;

  constructor(init: {
    status: number;
    method: string;
    url: string;
    body?: unknown;
    wwwAuthenticate?: string | null;
    message?: string;
  }) {
    const body = (init.body && typeof init.body === 'object' ? init.body : {}) as Record<string, unknown>;
    const challenge = parseWwwAuthenticate(init.wwwAuthenticate ?? null);
    const errorCode = typeof body.errorCode === 'string' ? body.errorCode : undefined;
    const errorSummary = typeof body.errorSummary === 'string' ? body.errorSummary : undefined;
    const errorId = typeof body.errorId === 'string' ? body.errorId : undefined;
    const errorCauses = Array.isArray(body.errorCauses) ? (body.errorCauses as OktaErrorCause[]) : undefined;
    const requiredScope = challenge?.params.scope;
    const authError = challenge?.params.error;
    const where = describeRequest(init.method, init.url);
    const message =
      init.message ??
      [
        `Okta ${where} failed with HTTP ${init.status}`,
        errorCode ? `${errorCode}: ${errorSummary ?? ''}`.trim() : undefined,
        errorCauses?.length ? `causes: ${errorCauses.map((c) => c.errorSummary).join('; ')}` : undefined,
        authError === 'insufficient_scope' && requiredScope
          ? `the access token lacks scope ${requiredScope}; grant it to the service app (Okta API Scopes tab) and request it`
          : authError
            ? `auth error ${authError}${challenge?.params.error_description ? `: ${challenge.params.error_description}` : ''}`
            : undefined,
        errorId ? `errorId ${errorId}` : undefined,
      ]
        .filter(Boolean)
        .join(' — ');
    super(scrubSecrets(message));
    this.name = 'OktaApiError';
    this.status = init.status;
    this.url = where;
    if (errorCode !== undefined) this.errorCode = errorCode;
    if (errorSummary !== undefined) this.errorSummary = errorSummary;
    if (errorId !== undefined) this.errorId = errorId;
    if (errorCauses !== undefined) this.errorCauses = errorCauses;
    if (requiredScope !== undefined) this.requiredScope = requiredScope;
    if (authError !== undefined) this.authError = authError;
  }
}

/** The org authorization server refused the client-credentials token request. */
export class OktaAuthError extends Error {
  readonly error: string;
  readonly errorDescription: string;
  readonly status: number;
  /** For invalid_scope: the requested scopes Okta refused (not granted to the service app). */
  readonly refusedScopes: string[];

  constructor(status: number, error: string, errorDescription: string, refusedScopes: string[] = []) {
    super(scrubSecrets(`Okta token request failed with HTTP ${status}: ${error}${errorDescription ? ` — ${errorDescription}` : ''}${hintFor(error, refusedScopes)}`));
    this.name = 'OktaAuthError';
    this.status = status;
    this.error = error;
    this.errorDescription = scrubSecrets(errorDescription);
    this.refusedScopes = refusedScopes;
  }
}

function hintFor(error: string, refusedScopes: string[]): string {
  switch (error) {
    case 'invalid_client':
      return ' (check client id, key id and that the private key matches the public key registered on the service app; the app must use private_key_jwt)';
    case 'invalid_scope':
      return refusedScopes.length
        ? ` (grant ${refusedScopes.join(', ')} to the service app in its Okta API Scopes tab)`
        : ' (grant the requested okta.* scopes to the service app in its Okta API Scopes tab)';
    case 'invalid_dpop_proof':
      return ' (the app requires DPoP: use dpop: true or \'auto\')';
    default:
      return '';
  }
}

/** The request could not complete (network, timeout, truncated body) after every retry. */
export class OktaRequestError extends Error {
  readonly url: string;
  constructor(method: string, url: string, reason: string, options?: { cause?: unknown }) {
    const where = describeRequest(method, url);
    super(scrubSecrets(`Okta ${where} failed: ${reason}`), options);
    this.name = 'OktaRequestError';
    this.url = where;
  }
}
