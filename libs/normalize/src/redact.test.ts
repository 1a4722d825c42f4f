import { describe, expect, it } from 'vitest';
import { normalizeApp, normalizeFactor, normalizeUser, type OktaAppInput } from './index.js';
import { REDACTED, redactSecrets } from './redact.js';
import { readSample } from './testdata/samples.js';

describe('redactSecrets', () => {
  it('returns the same object when there is nothing to redact', () => {
    const user = readSample('user-active.json');
    expect(redactSecrets(user)).toBe(user);
    const list = [{ a: 1 }, { b: [1, 2] }];
    expect(redactSecrets(list)).toBe(list);
  });

  it('redacts nested secrets without touching the input or unrelated siblings', () => {
    const input = {
      credentials: { oauthClient: { client_id: '0oa1', client_secret: 's3cr3t', token_endpoint_auth_method: 'client_secret_basic' } },
      _embedded: { activation: { sharedSecret: 'JBSWY3DPEHPK3PXP', encoding: 'base32' } },
      other: { kept: true },
      list: [{ token: 'abc' }, { note: 'x' }],
      password: { value: 'hunter2', hash: { value: 'h', salt: 's', algorithm: 'BCRYPT' } },
    };
    const snapshot = structuredClone(input);
    const out = redactSecrets(input);
    expect(out).toEqual({
      credentials: { oauthClient: { client_id: '0oa1', client_secret: REDACTED, token_endpoint_auth_method: 'client_secret_basic' } },
      _embedded: { activation: { sharedSecret: REDACTED, encoding: 'base32' } },
      other: { kept: true },
      list: [{ token: REDACTED }, { note: 'x' }],
      password: { value: REDACTED, hash: { value: REDACTED, salt: REDACTED, algorithm: 'BCRYPT' } },
    });
    expect(input).toEqual(snapshot);
    expect(out.other).toBe(input.other);
    expect(out.list[1]).toBe(input.list[1]);
  });

  it('keeps empty password objects and non-string values', () => {
    const value = { credentials: { password: {}, recovery_question: { question: 'q' } }, token: null };
    expect(redactSecrets(value)).toBe(value);
  });
});

describe('rows never carry secrets in raw', () => {
  it('an OIDC app with client_secret (older orgs return it)', () => {
    const app = readSample<OktaAppInput & { credentials: { oauthClient: Record<string, unknown> } }>('app-oidc.json');
    app.credentials.oauthClient['client_secret'] = 'very-secret-value';
    const row = normalizeApp(app);
    expect(JSON.stringify(row.raw)).not.toContain('very-secret-value');
    expect(row.clientId).toBe('0oauj92n7sGJAPEc11d7');
  });

  it('a TOTP factor pending activation with its shared secret', () => {
    const factor = {
      id: 'ostPENDING',
      factorType: 'token:software:totp',
      provider: 'OKTA',
      status: 'PENDING_ACTIVATION',
      lastUpdated: '2026-01-01T00:00:00.000Z',
      _embedded: { activation: { timeStep: 30, sharedSecret: 'JBSWY3DPEHPK3PXP', encoding: 'base32', keyLength: 6 } },
    };
    expect(JSON.stringify(normalizeFactor('00u1', factor).raw)).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('a user with an activation token and a recovery answer', () => {
    const user = { id: '00u1', status: 'PROVISIONED', lastUpdated: '2026-01-01T00:00:00.000Z', activationToken: 'tok123', credentials: { recovery_question: { question: 'q', answer: 'forty-two' } } };
    const raw = JSON.stringify(normalizeUser(user).raw);
    expect(raw).not.toContain('tok123');
    expect(raw).not.toContain('forty-two');
  });
});
