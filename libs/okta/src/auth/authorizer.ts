import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Logger } from '@idgraph/core';
import { OktaAuthError } from '../errors.js';
import type { SecretsInHand } from '../secrets-in-hand.js';
import type { RawResponse, Transport } from '../transport.js';
import { DpopSigner } from './dpop.js';
import { loadSigningKey } from './keys.js';

export const OKTA_READ_SCOPES: string[] = [
  'okta.users.read',
  'okta.groups.read',
  'okta.apps.read',
  'okta.roles.read',
  'okta.logs.read',
  'okta.apiTokens.read',
];

export type OktaAuth =
  | { kind: 'ssws'; token: string }
  | {
      kind: 'oauth';
      clientId: string;
      keyId: string;
      privateKeyPem: string;
      /**
       * Scopes to ask for (default: OKTA_READ_SCOPES). Those the org authorization server refuses
       * (not granted to the app) are dropped and the rest asked for again.
       */
      scopes?: string[];
      /** 'auto' (default): start without DPoP and switch when Okta answers invalid_dpop_proof. */
      dpop?: boolean | 'auto';
    };

/** Adds credentials to each management-API request and says whether a 401 is worth one retry. */
export interface RequestAuthorizer {
  headersFor(method: string, url: string): Promise<Record<string, string>>;
  /** Called on a 401/400-with-challenge from a resource call; true = credentials were refreshed, retry once. */
  recover(res: RawResponse): boolean;
}

export class SswsAuthorizer implements RequestAuthorizer {
  constructor(private readonly token: string) {
    if (!token || /\s/.test(token)) throw new TypeError('SSWS token is empty or contains whitespace: pass the API token value only, without the "SSWS " prefix');
  }
  async headersFor(): Promise<Record<string, string>> {
    return { authorization: `SSWS ${this.token}` };
  }
  recover(): boolean {
    return false;
  }
}

/** What the token endpoint made of the requested scopes, as far as this authorizer has learnt. */
export interface ScopeState {
  requested: string[];
  /** The `scope` of the last token response (what the token holds); null before the first token. */
  granted: string[] | null;
  /** Requested scopes Okta refused (not granted to the app); they are no longer asked for. */
  refused: string[];
}

/**
 * The scopes an `invalid_scope` description names, among those requested. Okta names them
 * ("The following scopes are not allowed for this request: [okta.apps.read, okta.roles.read].");
 * the list's punctuation is not a contract, so any requested scope appearing as a whole word counts.
 */
export function scopesNamedIn(description: string, requested: readonly string[]): string[] {
  const words = new Set(description.split(/[^A-Za-z0-9._:/-]+/).map((w) => w.replace(/\.+$/, '')));
  return requested.filter((s) => words.has(s));
}

type TokenAttempt = { token: CachedToken } | { invalidScope: string };

interface CachedToken {
  accessToken: string;
  tokenType: 'Bearer' | 'DPoP';
  /** When to fetch a new token: shortly before Okta's expiry. */
  refreshAt: number;
}

/** Refresh this long before Okta's expiry so a token never expires in flight. */
const EXPIRY_MARGIN_MS = 60_000;
const ASSERTION_LIFETIME_S = 300;

/**
 * OAuth 2.0 client credentials with private_key_jwt against the org authorization server, with
 * optional DPoP. Concurrent callers share one in-flight token request.
 */
export class OAuthAuthorizer implements RequestAuthorizer {
  private readonly signingKey: ReturnType<typeof loadSigningKey>;
  private readonly scopes: string[];
  private readonly refused = new Set<string>();
  private granted: string[] | null = null;
  private useDpop: boolean;
  private readonly dpopMode: boolean | 'auto';
  private dpopSigner: Promise<DpopSigner> | null = null;
  private tokenNonce: string | undefined;
  private resourceNonce: string | undefined;
  private cached: CachedToken | null = null;
  private inFlight: Promise<CachedToken> | null = null;

  constructor(
    private readonly auth: Extract<OktaAuth, { kind: 'oauth' }>,
    private readonly orgUrl: string,
    private readonly transport: Transport,
    private readonly logger?: Logger,
    /** Receives the key and every assertion, token and proof made, so errors can be scrubbed of them. */
    private readonly secrets?: SecretsInHand,
  ) {
    secrets?.addFixed(auth.privateKeyPem);
    if (!auth.clientId) throw new TypeError('oauth auth needs clientId: the client id (0oa…) of the Okta API service app');
    if (!auth.keyId) throw new TypeError('oauth auth needs keyId: the kid of the public key registered on the service app');
    this.signingKey = loadSigningKey(auth.privateKeyPem);
    this.scopes = auth.scopes ?? OKTA_READ_SCOPES;
    if (this.scopes.length === 0) throw new TypeError('oauth auth needs at least one scope (default: OKTA_READ_SCOPES)');
    this.dpopMode = auth.dpop ?? 'auto';
    this.useDpop = this.dpopMode === true;
  }

  private get tokenUrl(): string {
    return `${this.orgUrl}/oauth2/v1/token`;
  }

  async headersFor(method: string, url: string): Promise<Record<string, string>> {
    const token = await this.token();
    if (token.tokenType === 'DPoP') {
      const signer = await this.signer();
      const proof = await signer.proof(method, url, {
        accessToken: token.accessToken,
        ...(this.resourceNonce ? { nonce: this.resourceNonce } : {}),
      });
      this.secrets?.addEphemeral(proof);
      return { authorization: `DPoP ${token.accessToken}`, dpop: proof };
    }
    return { authorization: `Bearer ${token.accessToken}` };
  }

  recover(res: RawResponse): boolean {
    const challenge = res.headers.get('www-authenticate') ?? '';
    const nonce = res.headers.get('dpop-nonce');
    if (nonce && /use_dpop_nonce/.test(challenge)) {
      // The resource server asks for a nonce in the proof; the token stays valid.
      this.resourceNonce = nonce;
      return true;
    }
    if (res.status === 401) {
      this.cached = null;
      return true;
    }
    return false;
  }

  /** The cached token, or a fresh one; callers arriving during a refresh share its promise. */
  async token(): Promise<CachedToken> {
    if (this.cached && Date.now() < this.cached.refreshAt) return this.cached;
    if (!this.inFlight) {
      this.inFlight = this.requestToken().finally(() => {
        this.inFlight = null;
      });
    }
    const t = await this.inFlight;
    this.cached = t;
    return t;
  }

  private signer(): Promise<DpopSigner> {
    this.dpopSigner ??= DpopSigner.create();
    return this.dpopSigner;
  }

  private async clientAssertion(): Promise<string> {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: this.signingKey.alg, kid: this.auth.keyId })
      .setIssuer(this.auth.clientId)
      .setSubject(this.auth.clientId)
      .setAudience(this.tokenUrl)
      .setIssuedAt()
      .setExpirationTime(`${ASSERTION_LIFETIME_S}s`)
      .setJti(randomUUID())
      .sign(this.signingKey.key);
    this.secrets?.addEphemeral(assertion);
    return assertion;
  }

  scopeState(): ScopeState {
    return { requested: [...this.scopes], granted: this.granted ? [...this.granted] : null, refused: this.scopes.filter((s) => this.refused.has(s)) };
  }

  /**
   * Asks for every configured scope not yet known to be refused. Okta refuses the whole request
   * when one scope is not granted to the app (no down-scoping) and names the refused scopes, so a
   * least-privilege app gets a token for what it was granted on the second try. When the
   * description names none of them, each scope is asked for alone to find out.
   */
  private async requestToken(): Promise<CachedToken> {
    for (;;) {
      const scopes = this.scopes.filter((s) => !this.refused.has(s));
      if (scopes.length === 0) {
        const refused = [...this.refused];
        throw new OktaAuthError(400, 'invalid_scope', `none of the requested scopes is granted to the service app (refused: ${refused.join(', ')})`, refused);
      }
      const attempt = await this.exchangeToken(scopes);
      if ('token' in attempt) return attempt.token;
      let refused = scopesNamedIn(attempt.invalidScope, scopes);
      if (refused.length === 0) {
        refused = scopes.length === 1 ? scopes : await this.probeEach(scopes);
        if (refused.length === 0) throw new OktaAuthError(400, 'invalid_scope', attempt.invalidScope, []);
      }
      for (const s of refused) this.refused.add(s);
      this.logger?.warn({ clientId: this.auth.clientId, refused }, 'Okta refused scopes not granted to the service app; asking again without them');
    }
  }

  /** Which of `scopes` Okta refuses, asking for each alone (tokens obtained here are discarded). */
  private async probeEach(scopes: string[]): Promise<string[]> {
    const refused: string[] = [];
    for (const s of scopes) if ('invalidScope' in (await this.exchangeToken([s]))) refused.push(s);
    return refused;
  }

  /** One token request for `scopes`, through the DPoP switch and nonce retries; invalid_scope is returned, other errors thrown. */
  private async exchangeToken(scopes: string[]): Promise<TokenAttempt> {
    // At most: one switch to DPoP plus one nonce retry (and one more if the nonce rotated meanwhile).
    for (let attempt = 0; attempt < 4; attempt++) {
      const res = await this.transport.exchange({
        method: 'POST',
        url: this.tokenUrl,
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope: scopes.join(' '),
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await this.clientAssertion(),
        }).toString(),
        headers: async () => {
          const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
          if (this.useDpop) {
            const signer = await this.signer();
            h.dpop = await signer.proof('POST', this.tokenUrl, this.tokenNonce ? { nonce: this.tokenNonce } : {});
            this.secrets?.addEphemeral(h.dpop);
          }
          return h;
        },
      });
      if (res.status === 200) return { token: this.acceptToken(res.body, scopes) };
      const body = (res.body && typeof res.body === 'object' ? res.body : {}) as Record<string, unknown>;
      const error = typeof body.error === 'string' ? body.error : `http_${res.status}`;
      const description = typeof body.error_description === 'string' ? body.error_description : '';
      if (error === 'invalid_scope') return { invalidScope: description };
      if (error === 'invalid_dpop_proof' && !this.useDpop && this.dpopMode === 'auto') {
        this.logger?.info({ clientId: this.auth.clientId }, 'service app requires DPoP; switching to DPoP-bound tokens');
        this.useDpop = true;
        continue;
      }
      const nonce = res.headers.get('dpop-nonce');
      if (error === 'use_dpop_nonce' && this.useDpop && nonce) {
        this.tokenNonce = nonce;
        continue;
      }
      throw new OktaAuthError(res.status, error, description);
    }
    throw new OktaAuthError(400, 'invalid_dpop_proof', 'the token endpoint kept rejecting DPoP proofs after nonce retries');
  }

  private acceptToken(body: unknown, requested: string[]): CachedToken {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    this.granted = typeof b.scope === 'string' ? b.scope.split(' ').filter(Boolean) : requested;
    const accessToken = b.access_token;
    const tokenType = typeof b.token_type === 'string' ? b.token_type : '';
    const expiresIn = typeof b.expires_in === 'number' ? b.expires_in : Number(b.expires_in);
    if (typeof accessToken !== 'string' || !accessToken) {
      throw new OktaAuthError(200, 'invalid_response', 'token response has no access_token');
    }
    this.secrets?.addEphemeral(accessToken);
    const type = tokenType.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    if (type === 'DPoP') this.useDpop = true;
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 3_600_000;
    // Short-lived tokens (tests) refresh at half-life rather than never being fresh enough.
    return { accessToken, tokenType: type, refreshAt: Date.now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2) };
  }
}
