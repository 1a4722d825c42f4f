import { generateKeyPairSync, createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { createOktaClient, OktaAuthError, OKTA_READ_SCOPES, scopesNamedIn } from './index.js';
import { sendJson, startFakeOkta, type FakeOkta, type RecordedRequest } from './testdata/fake-okta.js';
import type { ServerResponse } from 'node:http';

let fake: FakeOkta | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const CLIENT_ID = '0oaservice1234567890';

interface TokenServerOptions {
  publicKey: typeof rsa.publicKey;
  requireDpop?: boolean;
  nonce?: string;
  grantedScopes?: string[];
  /** What invalid_scope says: Okta's own wording naming the refused scopes (default), or a description naming none. */
  invalidScopeDescription?: (refused: string[]) => string;
}

/** A token endpoint that checks the assertion the way Okta documents it, and resource endpoints that check the token. */
function tokenServer(opts: TokenServerOptions) {
  const seenJti = new Set<string>();
  const issued = new Map<string, string | null>(); // access token → bound jkt
  let counter = 0;
  const state = { tokenCalls: 0, failNextResourceWith401: false, scopeRequests: [] as string[][] };

  async function token(req: RecordedRequest, res: ServerResponse) {
    state.tokenCalls += 1;
    const form = new URLSearchParams(req.body);
    const assertion = form.get('client_assertion') ?? '';
    const tokenUrl = `${fake!.url}/oauth2/v1/token`;
    try {
      const { payload } = await jwtVerify(assertion, opts.publicKey, { audience: tokenUrl, issuer: CLIENT_ID, subject: CLIENT_ID });
      if (!payload.exp || !payload.jti) throw new Error('exp and jti required');
      if (seenJti.has(payload.jti)) return sendJson(res, 401, { error: 'invalid_client', error_description: 'client_assertion_already_used' });
      seenJti.add(payload.jti);
    } catch (e) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: `The client_assertion signature is invalid (${(e as Error).message})` });
    }
    if (form.get('grant_type') !== 'client_credentials') return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: '' });
    const scopes = (form.get('scope') ?? '').split(' ');
    state.scopeRequests.push(scopes);
    const refused = scopes.filter((s) => opts.grantedScopes && !opts.grantedScopes.includes(s));
    if (refused.length) {
      const describe = opts.invalidScopeDescription ?? ((r: string[]) => `The following scopes are not allowed for this request: [${r.join(', ')}].`);
      return sendJson(res, 400, { error: 'invalid_scope', error_description: describe(refused) });
    }
    let jkt: string | null = null;
    if (opts.requireDpop) {
      const proof = req.headers.dpop as string | undefined;
      if (!proof) return sendJson(res, 400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' });
      const header = decodeProtectedHeader(proof);
      const { payload } = await jwtVerify(proof, await importJWK(header.jwk as JWK, header.alg), { typ: 'dpop+jwt' });
      expect(payload).toMatchObject({ htm: 'POST', htu: tokenUrl });
      if (opts.nonce && payload.nonce !== opts.nonce) {
        return sendJson(res, 400, { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' }, { 'dpop-nonce': opts.nonce });
      }
      jkt = await calculateJwkThumbprint(header.jwk as JWK);
    }
    const accessToken = `at-${++counter}-secret`;
    issued.set(accessToken, jkt);
    sendJson(res, 200, { token_type: jkt ? 'DPoP' : 'Bearer', expires_in: 3600, access_token: accessToken, scope: scopes.join(' ') });
  }

  async function resource(req: RecordedRequest, res: ServerResponse) {
    const auth = (req.headers.authorization ?? '') as string;
    const [scheme, tokenValue = ''] = auth.split(' ');
    if (state.failNextResourceWith401) {
      state.failNextResourceWith401 = false;
      issued.delete(tokenValue);
    }
    if (!issued.has(tokenValue)) return sendJson(res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    const jkt = issued.get(tokenValue);
    if (jkt) {
      expect(scheme).toBe('DPoP');
      const proof = req.headers.dpop as string;
      const header = decodeProtectedHeader(proof);
      const { payload } = await jwtVerify(proof, await importJWK(header.jwk as JWK, header.alg), { typ: 'dpop+jwt' });
      expect(await calculateJwkThumbprint(header.jwk as JWK)).toBe(jkt);
      expect(payload.htm).toBe('GET');
      expect(payload.htu).toBe(`${fake!.url}${req.url.pathname}`);
      expect(payload.ath).toBe(createHash('sha256').update(tokenValue).digest('base64url'));
    } else expect(scheme).toBe('Bearer');
    sendJson(res, 200, [{ id: '00u1' }]);
  }

  return {
    state,
    handler: async (req: RecordedRequest, res: ServerResponse) => (req.url.pathname === '/oauth2/v1/token' ? token(req, res) : resource(req, res)),
  };
}

const pem = (k: typeof rsa.privateKey) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('OAuth private_key_jwt', () => {
  it('signs an RS256 assertion with kid, caches the token and shares one token request between concurrent callers', async () => {
    const server = tokenServer({ publicKey: rsa.publicKey });
    fake = await startFakeOkta(server.handler);
    const client = createOktaClient({
      orgUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', clientId: CLIENT_ID, keyId: 'kid-1', privateKeyPem: pem(rsa.privateKey), dpop: false },
    });
    await Promise.all(Array.from({ length: 5 }, () => client.getJson('/api/v1/users')));
    await client.getJson('/api/v1/users');
    expect(server.state.tokenCalls).toBe(1);
    const tokenReq = fake.requests.find((r) => r.url.pathname === '/oauth2/v1/token')!;
    const form = new URLSearchParams(tokenReq.body);
    expect(form.get('scope')).toBe(OKTA_READ_SCOPES.join(' '));
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(decodeProtectedHeader(form.get('client_assertion')!)).toMatchObject({ alg: 'RS256', kid: 'kid-1' });
  });

  it('refreshes the token once on a 401 and retries', async () => {
    const server = tokenServer({ publicKey: rsa.publicKey });
    fake = await startFakeOkta(server.handler);
    const client = createOktaClient({
      orgUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', clientId: CLIENT_ID, keyId: 'kid-1', privateKeyPem: pem(rsa.privateKey) },
    });
    await client.getJson('/api/v1/users');
    server.state.failNextResourceWith401 = true;
    const { body } = await client.getJson<unknown[]>('/api/v1/users');
    expect(body).toHaveLength(1);
    expect(server.state.tokenCalls).toBe(2);
  });

  it("switches to DPoP in 'auto' mode, does the nonce dance, and sends per-request proofs with ath (ES256 key)", async () => {
    const server = tokenServer({ publicKey: ec.publicKey, requireDpop: true, nonce: 'nonce-abc' });
    fake = await startFakeOkta(server.handler);
    const client = createOktaClient({
      orgUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', clientId: CLIENT_ID, keyId: 'kid-ec', privateKeyPem: pem(ec.privateKey) },
    });
    const { body } = await client.getJson<unknown[]>('/api/v1/users', { limit: 1 });
    expect(body).toHaveLength(1);
    // no proof → invalid_dpop_proof; proof without nonce → use_dpop_nonce; proof with nonce → token
    expect(server.state.tokenCalls).toBe(3);
    const assertion = new URLSearchParams(fake.requests[0]!.body).get('client_assertion')!;
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'ES256', kid: 'kid-ec' });
    const proofs = fake.requests.filter((r) => r.url.pathname === '/api/v1/users').map((r) => r.headers.dpop);
    await client.getJson('/api/v1/users');
    const again = fake.requests.filter((r) => r.url.pathname === '/api/v1/users').map((r) => r.headers.dpop);
    expect(new Set(again).size).toBe(again.length);
    expect(proofs).toHaveLength(1);
  });

  it('surfaces token endpoint errors as OktaAuthError without secrets', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const server = tokenServer({ publicKey: other.publicKey });
    fake = await startFakeOkta(server.handler);
    const client = createOktaClient({
      orgUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', clientId: CLIENT_ID, keyId: 'kid-1', privateKeyPem: pem(rsa.privateKey) },
    });
    const err = (await client.getJson('/api/v1/users').catch((e: unknown) => e)) as OktaAuthError;
    expect(err).toBeInstanceOf(OktaAuthError);
    expect(err.error).toBe('invalid_client');
    expect(err.message).toMatch(/private key matches the public key/);
    const assertion = new URLSearchParams(fake.requests[0]!.body).get('client_assertion')!;
    expect(err.message).not.toContain(assertion);
  });

  const oauthClient = (auth: { scopes?: string[] } = {}) =>
    createOktaClient({
      orgUrl: fake!.url,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', clientId: CLIENT_ID, keyId: 'kid-1', privateKeyPem: pem(rsa.privateKey), dpop: false, ...auth },
    });

  it('asks again without the scopes Okta names as refused, so a least-privilege app gets a token for what it was granted', async () => {
    const granted = ['okta.users.read', 'okta.groups.read', 'okta.logs.read'];
    const server = tokenServer({ publicKey: rsa.publicKey, grantedScopes: granted });
    fake = await startFakeOkta(server.handler);
    const client = oauthClient();
    const { body } = await client.getJson<unknown[]>('/api/v1/users');
    expect(body).toHaveLength(1);
    expect(server.state.scopeRequests).toEqual([OKTA_READ_SCOPES, granted]);
    expect(client.scopeState()).toEqual({ requested: OKTA_READ_SCOPES, granted, refused: ['okta.apps.read', 'okta.roles.read', 'okta.apiTokens.read'] });
    // Learnt once: later token requests (after a 401) ask only for what can be granted.
    server.state.failNextResourceWith401 = true;
    await client.getJson('/api/v1/users');
    expect(server.state.scopeRequests).toEqual([OKTA_READ_SCOPES, granted, granted]);
  });

  it('finds the refused scopes one by one when the description names none', async () => {
    const server = tokenServer({ publicKey: rsa.publicKey, grantedScopes: ['okta.users.read', 'okta.logs.read'], invalidScopeDescription: () => 'The requested scope is invalid, unknown, or malformed.' });
    fake = await startFakeOkta(server.handler);
    const client = oauthClient();
    await client.getJson('/api/v1/users');
    expect(client.scopeState()).toMatchObject({ granted: ['okta.users.read', 'okta.logs.read'], refused: ['okta.groups.read', 'okta.apps.read', 'okta.roles.read', 'okta.apiTokens.read'] });
    // one full request, one per scope, one for the grantable rest
    expect(server.state.scopeRequests).toHaveLength(1 + OKTA_READ_SCOPES.length + 1);
  });

  it('requests exactly the configured scopes, and says what to grant when none can be granted', async () => {
    const server = tokenServer({ publicKey: rsa.publicKey, grantedScopes: ['okta.users.read'] });
    fake = await startFakeOkta(server.handler);
    await oauthClient({ scopes: ['okta.users.read'] }).getJson('/api/v1/users');
    expect(server.state.scopeRequests).toEqual([['okta.users.read']]);
    const err = (await oauthClient({ scopes: ['okta.groups.read', 'okta.apps.read'] }).getJson('/api/v1/users').catch((e: unknown) => e)) as OktaAuthError;
    expect(err).toBeInstanceOf(OktaAuthError);
    expect(err.error).toBe('invalid_scope');
    expect(err.refusedScopes).toEqual(['okta.groups.read', 'okta.apps.read']);
    expect(err.message).toMatch(/grant okta\.groups\.read, okta\.apps\.read to the service app/);
  });

  it('reads a refused-scope list whatever its punctuation', () => {
    const requested = ['okta.users.read', 'okta.apps.read', 'okta.roles.read'];
    expect(scopesNamedIn('The following scopes are not allowed for this request: [okta.apps.read, okta.roles.read].', requested)).toEqual(['okta.apps.read', 'okta.roles.read']);
    expect(scopesNamedIn('The following scopes are not allowed: okta.roles.read.', requested)).toEqual(['okta.roles.read']);
    expect(scopesNamedIn('One or more scopes are not configured for the authorization server resource.', requested)).toEqual([]);
  });

  it('rejects an unreadable PEM with a message that quotes no key material', () => {
    expect(() =>
      createOktaClient({ orgUrl: 'https://acme.okta.com', auth: { kind: 'oauth', clientId: CLIENT_ID, keyId: 'k', privateKeyPem: 'MIIEv-not-a-key' } }),
    ).toThrow(/not a readable PEM private key/);
  });
});
