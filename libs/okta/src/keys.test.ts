import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateSigningKey } from './index.js';

const pem = (k: { export(o: { type: 'pkcs8'; format: 'pem' }): string | Buffer }) => k.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('validateSigningKey', () => {
  it('accepts RSA and the EC curves Okta signs with, naming the JWS algorithm', () => {
    expect(validateSigningKey(pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey))).toBe('RS256');
    expect(validateSigningKey(pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))).toBe('ES256');
    expect(validateSigningKey(pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey))).toBe('ES384');
  });

  it('refuses keys that can never sign a client assertion, saying what to give and quoting no key material', () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nTUlJRXZnSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2d3Z2dTa0FnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n';
    const ed = pem(generateKeyPairSync('ed25519').privateKey);
    const k256 = pem(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey);
    const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    const cases: [string, RegExp][] = [
      [garbage, /^--key-file k\.pem is not a readable PEM private key \(damaged, truncated or not a key between its BEGIN\/END lines\): give the service app's RSA or EC/],
      [ed, /^--key-file k\.pem is an ed25519 key; Okta client assertions are signed with RSA or EC keys: give the service app's RSA or EC \(P-256, P-384, P-521\) private key as unencrypted PEM/],
      [k256, /^--key-file k\.pem uses EC curve secp256k1, which Okta does not accept: give/],
      [encrypted, /^--key-file k\.pem is encrypted with a passphrase: decrypt it first \(`openssl pkcs8 -topk8 -nocrypt -in KEY\.pem`\)/],
    ];
    for (const [key, message] of cases) {
      const err = (() => {
        try {
          validateSigningKey(key, '--key-file k.pem');
          return null;
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err?.message).toMatch(message);
      const body = key.split('\n').filter((l) => l && !l.startsWith('-----'));
      for (const line of body) expect(err?.message).not.toContain(line);
    }
  });
});
