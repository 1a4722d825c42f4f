/**
 * Servers that echo credentials back in their error bodies, bare (no "SSWS "/"Bearer " prefix, not
 * JWT-shaped where that can be avoided), where only the exact value in hand can catch them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { describeError } from '@idgraph/core';
import { createOktaClient, OktaApiError, OktaAuthError, testConnectivity } from './index.js';
import { SecretsInHand } from './secrets-in-hand.js';
import { sendJson, startFakeOkta, type FakeOkta } from './testdata/fake-okta.js';

const TOKEN = '00ExactTokenValue_abcdefghijklmnopqrstuvwxyz';
let fake: FakeOkta | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

/** Everything a caller could print or store about an error. */
function everything(err: unknown): string {
  const e = err as Error & Record<string, unknown>;
  return [describeError(err), e.message, e.stack, JSON.stringify(e), JSON.stringify(Object.entries(e))].join('\n');
}

describe('exact secrets in errors', () => {
  it('removes a bare API token that Okta echoes in errorSummary, errorCauses and a 5xx body', async () => {
    fake = await startFakeOkta((req, res) => {
      if (req.url.pathname === '/api/v1/groups') return sendJson(res, 503, { errorCode: 'E0000009', errorSummary: `backend down for ${TOKEN}` });
      sendJson(res, 401, {
        errorCode: 'E0000011',
        errorSummary: `Invalid token provided: ${TOKEN}`,
        errorId: 'oae1',
        errorCauses: [{ errorSummary: `token ${TOKEN} is not valid` }],
      });
    });
    const client = createOktaClient({ orgUrl: fake.url, auth: { kind: 'ssws', token: TOKEN }, allowInsecureHttp: true, maxRetries: 0 });
    const err = await client.getJson('/api/v1/users').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OktaApiError);
    expect((err as OktaApiError).message).toBe(
      'Okta GET /api/v1/users failed with HTTP 401 — E0000011: Invalid token provided: [redacted] — causes: token [redacted] is not valid — errorId oae1',
    );
    expect(everything(err)).not.toContain(TOKEN);
    const down = await client.getJson('/api/v1/groups').then(() => null, (e: unknown) => e);
    expect((down as Error).message).toContain('backend down for [redacted]');
    expect(everything(down)).not.toContain(TOKEN);
    // The connectivity report (stored and printed) is built from those errors.
    const report = await testConnectivity(client);
    expect(JSON.stringify(report)).toContain('Invalid token provided: [redacted]');
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it('removes the private key, the client assertion and the access token of an OAuth client', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const keyBody = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const ACCESS = 'plainAccessTokenNotAJwt_0123456789abcdef';
    let assertion = '';
    let tokenCalls = 0;
    fake = await startFakeOkta((req, res) => {
      if (req.url.pathname === '/oauth2/v1/token') {
        tokenCalls++;
        assertion = new URLSearchParams(req.body).get('client_assertion') ?? '';
        // First call refused, echoing the assertion and the key; the second succeeds.
        if (tokenCalls === 1) {
          return sendJson(res, 401, { error: 'invalid_client', error_description: `bad assertion ${assertion} for key ${keyBody.slice(0, 64)} / ${pem}` });
        }
        return sendJson(res, 200, { access_token: ACCESS, token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.read' });
      }
      sendJson(res, 403, { errorCode: 'E0000006', errorSummary: `You do not have permission (token ${ACCESS})` });
    });
    const client = createOktaClient({
      orgUrl: fake.url,
      auth: { kind: 'oauth', clientId: '0oa1', keyId: 'k1', privateKeyPem: pem, dpop: false },
      allowInsecureHttp: true,
      maxRetries: 0,
    });
    const refused = await client.getJson('/api/v1/users').then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(OktaAuthError);
    expect(assertion.length).toBeGreaterThan(100);
    const text = everything(refused);
    for (const secret of [assertion, keyBody.slice(0, 64), keyBody.slice(64, 128)]) expect(text).not.toContain(secret);
    expect(text).not.toContain('PRIVATE KEY');
    expect((refused as OktaAuthError).errorDescription).toMatch(/^bad assertion \[redacted( jwt)?\] for key \[redacted\]/);

    const forbidden = await client.getJson('/api/v1/users').then(() => null, (e: unknown) => e);
    expect(forbidden).toBeInstanceOf(OktaApiError);
    expect((forbidden as Error).message).toContain('You do not have permission (token [redacted])');
    expect(everything(forbidden)).not.toContain(ACCESS);
  });

  it('keeps only recent short-lived values and leaves short strings alone', () => {
    const s = new SecretsInHand();
    s.addFixed('short');
    s.addFixed('  fixed-secret-value  ');
    for (let i = 0; i < 100; i++) s.addEphemeral(`ephemeral-value-${String(i).padStart(3, '0')}`);
    expect(s.redact('a short fixed-secret-value')).toBe('a short [redacted]');
    expect(s.redact('ephemeral-value-099 ephemeral-value-036')).toBe('[redacted] [redacted]');
    expect(s.redact('ephemeral-value-035')).toBe('ephemeral-value-035');
  });
});
