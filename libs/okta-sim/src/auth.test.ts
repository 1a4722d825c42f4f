import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, importPKCS8 } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { startOktaSim } from './index.js';
import type { OktaSim } from './index.js';
import { httpGet } from './testdata/http.js';
import { waitFor } from '@idgraph/test-support';

interface AppCreds { clientId: string; keyId: string; privateKeyPem: string }

describe('okta-sim OAuth token endpoint and resource auth', () => {
  let sim: OktaSim;
  let app: AppCreds;
  let tokenUrl: string;

  beforeAll(async () => {
    sim = await startOktaSim({ seed: 9, users: 40, accessTokenTtlSeconds: 2 });
    tokenUrl = `${sim.url}/oauth2/v1/token`;
    app = await sim.createServiceApp({ scopes: ['okta.users.read', 'okta.groups.read'] });
  });
  afterAll(async () => {
    await sim.close();
  });

  async function assertion(creds: AppCreds, overrides: { aud?: string; exp?: number; jti?: string; key?: CryptoKey; alg?: string; sub?: string } = {}): Promise<string> {
    const alg = overrides.alg ?? 'RS256';
    const key = overrides.key ?? (await importPKCS8(creds.privateKeyPem, alg));
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: overrides.jti ?? randomUUID() })
      .setProtectedHeader({ alg, kid: creds.keyId })
      .setIssuer(creds.clientId)
      .setSubject(overrides.sub ?? creds.clientId)
      .setAudience(overrides.aud ?? tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(overrides.exp ?? now + 300)
      .sign(key);
  }

  function tokenRequest(clientAssertion: string, scope: string, headers: Record<string, string> = {}) {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    }).toString();
    return httpGet(tokenUrl, { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, 'POST', body);
  }

  it('issues a Bearer token for a valid assertion and enforces scopes on resources', async () => {
    const res = await tokenRequest(await assertion(app), 'okta.users.read');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 2, scope: 'okta.users.read' });
    const token = (res.json as { access_token: string }).access_token;
    const users = await httpGet(`${sim.url}/api/v1/users?limit=1`, { Authorization: `Bearer ${token}` });
    expect(users.status).toBe(200);
    const groups = await httpGet(`${sim.url}/api/v1/groups?limit=1`, { Authorization: `Bearer ${token}` });
    expect(groups.status).toBe(403);
    const challenge = String(groups.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="okta.groups.read"');
  });

  it('forbids (403 E0000006) a service app that holds no admin role, whatever its scopes', async () => {
    const roleless = await sim.createServiceApp({ scopes: ['okta.users.read'], roles: [] });
    const res = await tokenRequest(await assertion(roleless), 'okta.users.read');
    expect(res.status).toBe(200);
    const token = (res.json as { access_token: string }).access_token;
    const users = await httpGet(`${sim.url}/api/v1/users?limit=1`, { Authorization: `Bearer ${token}` });
    expect(users.status).toBe(403);
    expect(users.json).toMatchObject({ errorCode: 'E0000006' });
  });

  it('a service app reads admin roles only when it holds a role that may view administrators', async () => {
    const scopes = ['okta.users.read', 'okta.roles.read'];
    const readOnly = await sim.createServiceApp({ scopes, roles: ['READ_ONLY_ADMIN'] });
    const superAdmin = await sim.createServiceApp({ scopes, roles: ['SUPER_ADMIN'] });
    const tokenOf = async (creds: AppCreds) => ((await tokenRequest(await assertion(creds), scopes.join(' '))).json as { access_token: string }).access_token;
    const ro = { Authorization: `Bearer ${await tokenOf(readOnly)}` };
    const sa = { Authorization: `Bearer ${await tokenOf(superAdmin)}` };
    expect((await httpGet(`${sim.url}/api/v1/users?limit=1`, ro)).status).toBe(200);
    const userId = sim.org.roleAssignments.values().next().value!.principalId;
    for (const path of ['/api/v1/iam/assignees/users', '/api/v1/iam/roles', '/api/v1/iam/resource-sets', `/api/v1/users/${userId}/roles`]) {
      const denied = await httpGet(`${sim.url}${path}`, ro);
      expect(denied.status, path).toBe(403);
      expect(denied.json, path).toMatchObject({ errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action' });
      // A role refusal is not a scope problem: no insufficient_scope challenge.
      expect(denied.headers['www-authenticate'], path).toBeUndefined();
      expect((await httpGet(`${sim.url}${path}`, sa)).status, path).toBe(200);
    }
  });

  it('accepts ES256 keys', async () => {
    const ec = await sim.createServiceApp({ scopes: ['okta.logs.read'], alg: 'ES256' });
    const res = await tokenRequest(await assertion(ec, { alg: 'ES256' }), 'okta.logs.read');
    expect(res.status).toBe(200);
  });

  it('rejects forged, mis-addressed, expired, too-long-lived and replayed assertions as invalid_client', async () => {
    const other = await generateKeyPair('RS256');
    const cases: [string, string][] = [
      ['forged signature', await assertion(app, { key: other.privateKey })],
      ['wrong aud', await assertion(app, { aud: `${sim.url}/oauth2/default/v1/token` })],
      ['expired', await assertion(app, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ['exp more than 1 h ahead', await assertion(app, { exp: Math.floor(Date.now() / 1000) + 7200 })],
      ['sub differs from iss', await assertion(app, { sub: 'someone-else' })],
    ];
    for (const [label, jwt] of cases) {
      const res = await tokenRequest(jwt, 'okta.users.read');
      expect(res.status, label).toBe(401);
      expect((res.json as { error: string }).error, label).toBe('invalid_client');
      expect(res.text, label).not.toContain(jwt);
    }
    const once = await assertion(app, { jti: 'fixed-jti-1' });
    expect((await tokenRequest(once, 'okta.users.read')).status).toBe(200);
    const replay = await tokenRequest(once, 'okta.users.read');
    expect(replay.status).toBe(401);
    expect(replay.json).toMatchObject({ error: 'invalid_client' });
    expect((replay.json as { error_description: string }).error_description).toContain('client_assertion_already_used');
  });

  it('rejects scopes the app was not granted, and requests without scopes or assertion', async () => {
    // The whole request is refused (no down-scoping), and the description names every refused scope.
    const notGranted = await tokenRequest(await assertion(app), 'okta.users.read okta.logs.read okta.apps.read');
    expect(notGranted.status).toBe(400);
    expect(notGranted.json).toEqual({
      error: 'invalid_scope',
      error_description: 'The following scopes are not allowed for this request: [okta.logs.read, okta.apps.read].',
    });
    expect(notGranted.json).not.toHaveProperty('access_token');
    const none = await tokenRequest(await assertion(app), '');
    expect(none.json).toMatchObject({ error: 'invalid_scope', error_description: 'No scopes were requested.' });
    const secret = await httpGet(tokenUrl, { 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', `grant_type=client_credentials&scope=okta.users.read&client_id=${app.clientId}&client_secret=x`);
    expect(secret.status).toBe(401);
    expect(secret.json).toMatchObject({ error: 'invalid_client' });
  });

  it('expires access tokens (test knob) with 401 and an invalid_token challenge', async () => {
    const res = await tokenRequest(await assertion(app), 'okta.users.read');
    const token = (res.json as { access_token: string }).access_token;
    const call = () => httpGet(`${sim.url}/api/v1/users?limit=1`, { Authorization: `Bearer ${token}` });
    expect((await call()).status).toBe(200);
    const expired = await waitFor('the access token to expire', async () => {
      const r = await call();
      return r.status === 401 ? r : undefined;
    }, 10_000);
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ errorCode: 'E0000011' });
    expect(String(expired.headers['www-authenticate'])).toContain('error="invalid_token"');
  });

  describe('DPoP', () => {
    let dpopApp: AppCreds;
    let keys: { privateKey: CryptoKey; publicJwk: JWK };

    beforeAll(async () => {
      dpopApp = await sim.createServiceApp({ scopes: ['okta.users.read'], dpop: true });
      const pair = await generateKeyPair('ES256');
      keys = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
    });

    function proof(htm: string, htu: string, extra: Record<string, unknown> = {}): Promise<string> {
      return new SignJWT({ htm, htu, jti: randomUUID(), ...extra })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: keys.publicJwk })
        .setIssuedAt()
        .sign(keys.privateKey);
    }

    it('runs the nonce dance, binds the token to the key and requires a proof per request', async () => {
      const missing = await tokenRequest(await assertion(dpopApp), 'okta.users.read');
      expect(missing.status).toBe(400);
      expect(missing.json).toEqual({ error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' });

      const first = await tokenRequest(await assertion(dpopApp), 'okta.users.read', { DPoP: await proof('POST', tokenUrl) });
      expect(first.status).toBe(400);
      expect(first.json).toMatchObject({ error: 'use_dpop_nonce' });
      const nonce = String(first.headers['dpop-nonce']);
      expect(nonce.length).toBeGreaterThan(10);

      const ok = await tokenRequest(await assertion(dpopApp), 'okta.users.read', { DPoP: await proof('POST', tokenUrl, { nonce }) });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ token_type: 'DPoP', scope: 'okta.users.read' });
      const token = (ok.json as { access_token: string }).access_token;
      const ath = createHash('sha256').update(token).digest('base64url');
      const resource = `${sim.url}/api/v1/users`;

      const good = await httpGet(`${resource}?limit=2`, { Authorization: `DPoP ${token}`, DPoP: await proof('GET', resource, { ath }) });
      expect(good.status).toBe(200);
      expect((good.json as unknown[]).length).toBe(2);

      const asBearer = await httpGet(`${resource}?limit=1`, { Authorization: `Bearer ${token}` });
      expect(asBearer.status).toBe(401);
      const noProof = await httpGet(`${resource}?limit=1`, { Authorization: `DPoP ${token}` });
      expect(noProof.status).toBe(400);
      const wrongAth = await httpGet(`${resource}?limit=1`, { Authorization: `DPoP ${token}`, DPoP: await proof('GET', resource, { ath: 'x' }) });
      expect(wrongAth.status).toBe(400);
      const replayed = await proof('GET', resource, { ath });
      expect((await httpGet(resource, { Authorization: `DPoP ${token}`, DPoP: replayed })).status).toBe(200);
      const again = await httpGet(resource, { Authorization: `DPoP ${token}`, DPoP: replayed });
      expect(again.status).toBe(400);
      expect(again.json).toMatchObject({ error: 'invalid_dpop_proof' });
      const missingScope = await httpGet(`${sim.url}/api/v1/groups`, { Authorization: `DPoP ${token}`, DPoP: await proof('GET', `${sim.url}/api/v1/groups`, { ath }) });
      expect(missingScope.status).toBe(403);
      expect(String(missingScope.headers['www-authenticate'])).toMatch(/^DPoP algs=.*error="insufficient_scope"/);
    });
  });
});
