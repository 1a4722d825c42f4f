/**
 * Authentication as Okta does it (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/): `SSWS` API tokens; OAuth 2.0 service apps with
 * `private_key_jwt` client assertions at POST /oauth2/v1/token (signature against the registered
 * public key, iss = sub = client id, aud = exact token URL, exp present/future/≤ 1 h, jti replay);
 * DPoP-bound tokens (nonce dance at the token endpoint, proof per resource call).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  EmbeddedJWK, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify,
} from 'jose';
import type { CryptoKey, JWK } from 'jose';

export type KeyAlg = 'RS256' | 'ES256';

export interface ServiceAppCredentials {
  clientId: string;
  keyId: string;
  alg: KeyAlg;
  publicKey: CryptoKey;
  publicJwk: JWK;
  scopes: Set<string>;
  dpop: boolean;
}

export interface ApiTokenGrant {
  /** undefined = every scope (acts with the admin's full role). */
  scopes: Set<string> | undefined;
  /** The standard admin roles of the admin who created the token: an API token acts with them. */
  roles: Set<string>;
  /** Rate-limit principal id (`00T…`-like). */
  tokenId: string;
  /**
   * The admin user who created the token: it acts with that user's admin roles (GET
   * /api/v1/users/me returns that user). Null = a token with no modelled owner, acting with every
   * permission (the simulator's default token when the org has no SUPER_ADMIN user).
   */
  ownerId: string | null;
}

interface AccessToken {
  clientId: string;
  scopes: Set<string>;
  expiresAt: number;
  /** JWK thumbprint the token is bound to (DPoP), or null for Bearer. */
  jkt: string | null;
}

/** The caller of a resource request, once authenticated. */
export interface Caller {
  kind: 'ssws' | 'oauth';
  /** Rate-limit principal: token id or client id. */
  principal: string;
  scopes: Set<string> | undefined;
  clientId: string | null;
  scheme: 'SSWS' | 'Bearer' | 'DPoP';
  /** Admin roles of an API token's admin; null for OAuth callers (the server reads the app's roles from the org). */
  roles: Set<string> | null;
  /** SSWS only: the token owner's user id (see ApiTokenGrant.ownerId). */
  ownerId: string | null;
}

export type AuthFailure =
  | { status: 401; kind: 'okta'; code: 'E0000011'; wwwAuthenticate?: string }
  | { status: 400 | 401; kind: 'dpop'; error: string; description: string; wwwAuthenticate: string };

export class TokenError extends Error {
  constructor(readonly status: number, readonly error: string, readonly description: string, readonly headers: Record<string, string> = {}) {
    super(`${error}: ${description}`);
  }
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DPOP_MAX_AGE_S = 300;

export class AuthService {
  private readonly apiTokens = new Map<string, ApiTokenGrant>();
  private readonly apps = new Map<string, ServiceAppCredentials>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly usedAssertionJtis = new Map<string, number>();
  private readonly usedProofJtis = new Map<string, number>();
  readonly dpopNonce = randomBytes(24).toString('base64url');
  accessTokenTtlSeconds: number;

  constructor(private readonly tokenUrl: () => string, ttlSeconds: number) {
    this.accessTokenTtlSeconds = ttlSeconds;
  }

  addApiToken(token: string, scopes: string[] | undefined, opts: { roles?: string[]; ownerId?: string | null } = {}): ApiTokenGrant {
    const grant: ApiTokenGrant = {
      scopes: scopes ? new Set(scopes) : undefined,
      roles: new Set(opts.roles ?? ['SUPER_ADMIN']),
      tokenId: `00T${createHash('sha256').update(token).digest('hex').slice(0, 17)}`,
      ownerId: opts.ownerId ?? null,
    };
    this.apiTokens.set(token, grant);
    return grant;
  }

  async registerServiceApp(clientId: string, opts: { scopes: string[]; alg: KeyAlg; dpop: boolean }): Promise<{ keyId: string; privateKeyPem: string }> {
    const { publicKey, privateKey } = await generateKeyPair(opts.alg, { extractable: true });
    const keyId = randomBytes(16).toString('base64url');
    const publicJwk = await exportJWK(publicKey);
    this.apps.set(clientId, { clientId, keyId, alg: opts.alg, publicKey, publicJwk, scopes: new Set(opts.scopes), dpop: opts.dpop });
    return { keyId, privateKeyPem: await exportPKCS8(privateKey) };
  }

  /** POST /oauth2/v1/token. Returns the token response body and extra headers, or throws TokenError. */
  async issueToken(form: URLSearchParams, dpopHeader: string | undefined): Promise<Record<string, unknown>> {
    if (form.get('grant_type') !== 'client_credentials') {
      throw new TokenError(400, 'unsupported_grant_type', `The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].`);
    }
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== ASSERTION_TYPE || !assertion) {
      throw new TokenError(401, 'invalid_client', 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.');
    }
    const app = await this.verifyAssertion(assertion, form.get('client_id'));
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (requested.length === 0) throw new TokenError(400, 'invalid_scope', 'No scopes were requested.');
    // Okta validates every requested scope against the app's grants and does not down-scope: one
    // ungranted scope refuses the whole request, naming what was refused
    // (https://developer.okta.com/docs/guides/implement-oauth-for-okta/define-allowed-scopes/).
    const missing = requested.filter((s) => !app.scopes.has(s));
    if (missing.length) throw new TokenError(400, 'invalid_scope', `The following scopes are not allowed for this request: [${missing.join(', ')}].`);
    let jkt: string | null = null;
    if (app.dpop) {
      if (!dpopHeader) throw new TokenError(400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
      const proof = await this.verifyProof(dpopHeader, 'POST', this.tokenUrl(), null);
      if (proof.nonce !== this.dpopNonce) {
        throw new TokenError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.', { 'dpop-nonce': this.dpopNonce });
      }
      jkt = proof.jkt;
    }
    const accessToken = randomBytes(32).toString('base64url');
    this.accessTokens.set(accessToken, { clientId: app.clientId, scopes: new Set(requested), expiresAt: Date.now() + this.accessTokenTtlSeconds * 1000, jkt });
    return { token_type: jkt ? 'DPoP' : 'Bearer', expires_in: this.accessTokenTtlSeconds, access_token: accessToken, scope: requested.join(' ') };
  }

  private async verifyAssertion(assertion: string, formClientId: string | null): Promise<ServiceAppCredentials> {
    const invalid = (why: string): TokenError => new TokenError(401, 'invalid_client', why);
    let claims: ReturnType<typeof decodeJwt>;
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      claims = decodeJwt(assertion);
      header = decodeProtectedHeader(assertion);
    } catch {
      throw invalid('The client_assertion is not a well-formed JWT.');
    }
    const clientId = typeof claims.iss === 'string' ? claims.iss : '';
    const app = this.apps.get(clientId);
    if (!app) throw invalid('The client_assertion token has an invalid issuer (unknown client).');
    if (formClientId && formClientId !== clientId) throw invalid('The client_id does not match the client_assertion issuer.');
    if (claims.sub !== clientId) throw invalid('The client_assertion token must have matching sub and iss claims.');
    if (header.kid !== undefined && header.kid !== app.keyId) throw invalid('The client_assertion signature is invalid (unknown kid).');
    if (typeof claims.exp !== 'number') throw invalid('The client_assertion token must have an exp claim.');
    try {
      await jwtVerify(assertion, app.publicKey, { algorithms: [app.alg], audience: this.tokenUrl(), issuer: clientId, subject: clientId });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw invalid('The client_assertion token is expired.');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (err as { claim?: string }).claim === 'aud') throw invalid('The audience claim for client_assertion must be the endpoint invoked for the request.');
      throw invalid('The client_assertion signature is invalid.');
    }
    const nowS = Math.floor(Date.now() / 1000);
    if (claims.exp > nowS + 3600) throw invalid('The client_assertion token has an expiration too far into the future.');
    const jti = typeof claims.jti === 'string' ? claims.jti : null;
    if (jti) {
      this.prune(this.usedAssertionJtis);
      if (this.usedAssertionJtis.has(`${clientId}:${jti}`)) throw new TokenError(401, 'invalid_client', 'The client_assertion token has already been used (client_assertion_already_used).');
      this.usedAssertionJtis.set(`${clientId}:${jti}`, claims.exp * 1000);
    }
    return app;
  }

  private async verifyProof(proof: string, method: string, htu: string, accessToken: string | null): Promise<{ jkt: string; nonce: unknown }> {
    const bad = (why: string): TokenError => new TokenError(400, 'invalid_dpop_proof', why);
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw bad('The DPoP proof JWT is malformed.');
    }
    if (header.typ !== 'dpop+jwt') throw bad("The DPoP proof JWT 'typ' header must be 'dpop+jwt'.");
    if (!header.jwk) throw bad("The DPoP proof JWT must contain the public key in the 'jwk' header.");
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] }));
    } catch {
      throw bad('The DPoP proof JWT signature is invalid.');
    }
    if (payload.htm !== method) throw bad(`The DPoP proof 'htm' claim must be ${method}.`);
    if (payload.htu !== htu) throw bad("The DPoP proof 'htu' claim does not match the request URL.");
    const nowS = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number' || payload.iat > nowS + 60 || payload.iat < nowS - DPOP_MAX_AGE_S) throw bad("The DPoP proof 'iat' claim is missing or not recent.");
    if (typeof payload.jti !== 'string') throw bad("The DPoP proof must have a 'jti' claim.");
    this.prune(this.usedProofJtis);
    if (this.usedProofJtis.has(payload.jti)) throw bad("The DPoP proof 'jti' has already been used.");
    if (accessToken !== null) {
      const ath = createHash('sha256').update(accessToken).digest('base64url');
      if (payload.ath !== ath) throw bad("The DPoP proof 'ath' claim does not match the access token.");
    }
    this.usedProofJtis.set(payload.jti, (payload.iat + DPOP_MAX_AGE_S + 60) * 1000);
    return { jkt: await calculateJwkThumbprint(header.jwk as JWK), nonce: payload.nonce };
  }

  /**
   * Authenticates a resource request from its Authorization (and DPoP) header. Returns the caller,
   * or an error description the server turns into Okta's response.
   */
  async authenticate(authorization: string | undefined, dpop: string | undefined, method: string, urlWithoutQuery: string): Promise<Caller | AuthFailure> {
    const invalid: AuthFailure = { status: 401, kind: 'okta', code: 'E0000011' };
    if (!authorization) return invalid;
    const space = authorization.indexOf(' ');
    const scheme = space > 0 ? authorization.slice(0, space) : authorization;
    const credential = space > 0 ? authorization.slice(space + 1).trim() : '';
    if (scheme === 'SSWS') {
      const grant = this.apiTokens.get(credential);
      if (!grant) return invalid;
      return { kind: 'ssws', principal: grant.tokenId, scopes: grant.scopes, clientId: null, scheme: 'SSWS', roles: grant.roles, ownerId: grant.ownerId };
    }
    if (scheme !== 'Bearer' && scheme !== 'DPoP') return invalid;
    const token = this.accessTokens.get(credential);
    const challenge = `${scheme} authorization_uri="${this.tokenUrl().replace(/token$/, 'authorize')}", realm="IdpMe", error="invalid_token", error_description="The access token is invalid."`;
    if (!token) return { ...invalid, wwwAuthenticate: challenge };
    if (token.expiresAt <= Date.now()) {
      this.accessTokens.delete(credential);
      return { ...invalid, wwwAuthenticate: challenge.replace('The access token is invalid.', 'The token has expired.') };
    }
    if (token.jkt) {
      if (scheme !== 'DPoP') return { ...invalid, wwwAuthenticate: challenge.replace('The access token is invalid.', 'The access token is DPoP-bound; use the DPoP scheme with a proof.') };
      if (!dpop) return { status: 400, kind: 'dpop', error: 'invalid_dpop_proof', description: 'The DPoP proof JWT header is missing.', wwwAuthenticate: 'DPoP error="invalid_dpop_proof"' };
      try {
        const proof = await this.verifyProof(dpop, method, urlWithoutQuery, credential);
        if (proof.jkt !== token.jkt) return { status: 401, kind: 'dpop', error: 'invalid_dpop_proof', description: 'The access token is not bound to the DPoP proof key.', wwwAuthenticate: 'DPoP error="invalid_dpop_proof"' };
      } catch (err) {
        if (err instanceof TokenError) return { status: 400, kind: 'dpop', error: err.error, description: err.description, wwwAuthenticate: `DPoP error="${err.error}"` };
        throw err;
      }
    } else if (scheme !== 'Bearer') {
      return { ...invalid, wwwAuthenticate: challenge };
    }
    return { kind: 'oauth', principal: token.clientId, scopes: token.scopes, clientId: token.clientId, scheme, roles: null, ownerId: null };
  }

  private prune(map: Map<string, number>): void {
    if (map.size < 10_000) return;
    const now = Date.now();
    for (const [k, exp] of map) if (exp < now) map.delete(k);
  }
}

/** `*.manage` implies `*.read` (https://developer.okta.com/docs/guides/implement-oauth-for-okta/main/#scopes-and-supported-endpoints). */
export function hasScope(scopes: Set<string> | undefined, needed: string): boolean {
  if (!scopes) return true;
  return scopes.has(needed) || scopes.has(needed.replace(/\.read$/, '.manage'));
}
