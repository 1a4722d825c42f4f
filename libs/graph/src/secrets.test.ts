import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompactEncrypt } from 'jose';
import { createSecretBox, resolveSecretKey, secretKeyFingerprint, type SecretBinding } from './secrets.js';

const BIND: SecretBinding = { tenantId: 't1', integrationId: '7d3f0c1e-0000-4000-8000-000000000001', orgUrl: 'https://acme.okta.com', authMethod: 'ssws', clientId: null };
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';

describe('createSecretBox', () => {
  const box = createSecretBox(randomBytes(32).toString('base64url'));

  it('seals to a dir/A256GCM JWE bound to its integration and key, without the plaintext, and opens it again', async () => {
    const jwe = await box.seal({ privateKeyPem: PEM }, { ...BIND, authMethod: 'oauth', clientId: '0oa1' });
    const [header, encryptedKey, , ciphertext] = jwe.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      kid: box.fingerprint,
      bind: { tenant: 't1', integration: BIND.integrationId, orgUrl: 'https://acme.okta.com', authMethod: 'oauth', clientId: '0oa1' },
    });
    expect(encryptedKey).toBe('');
    expect(Buffer.from(ciphertext!, 'base64url').toString('latin1')).not.toContain('PRIVATE KEY');
    expect(await box.open(jwe, { ...BIND, authMethod: 'oauth', clientId: '0oa1' })).toEqual({ value: { privateKeyPem: PEM }, unbound: false });
    // Two seals of the same value differ (fresh IV), so equal secrets are not recognisable.
    expect(await box.seal({ token: 't' }, BIND)).not.toBe(await box.seal({ token: 't' }, BIND));
  });

  it('refuses secrets whose integration row says anything else, naming what changed and never the secret', async () => {
    const jwe = await box.seal({ token: 'SSWS-do-not-print' }, BIND);
    const cases: [Partial<SecretBinding>, string][] = [
      [{ orgUrl: 'https://attacker.example' }, 'org URL was "https://acme.okta.com" when the secrets were stored, the row now says "https://attacker.example"'],
      [{ tenantId: 't2' }, 'tenant was "t1" when the secrets were stored, the row now says "t2"'],
      [{ integrationId: '7d3f0c1e-0000-4000-8000-000000000002' }, 'integration id was "7d3f0c1e-0000-4000-8000-000000000001"'],
      [{ authMethod: 'oauth' }, 'auth method was "ssws" when the secrets were stored, the row now says "oauth"'],
      [{ clientId: '0oaEVIL' }, 'client id was empty when the secrets were stored, the row now says "0oaEVIL"'],
    ];
    for (const [change, detail] of cases) {
      const err = await box.open(jwe, { ...BIND, ...change }).then(() => null, (e: Error) => e);
      expect(err?.message).toContain('refusing to use the stored secrets of integration');
      expect(err?.message).toContain(detail);
      expect(err?.message).toContain('idgraph integration remove NAME');
      expect(err?.message).not.toContain('do-not-print');
    }
    // The binding sits in the authenticated header: rewriting it to match a changed row breaks decryption.
    const [h, ...rest] = jwe.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    header.bind.orgUrl = 'https://attacker.example';
    const forged = [Buffer.from(JSON.stringify(header)).toString('base64url'), ...rest].join('.');
    await expect(box.open(forged, { ...BIND, orgUrl: 'https://attacker.example' })).rejects.toThrow(/corrupt or were tampered with/);
  });

  it('opens secrets sealed before binding existed once, flagged for sealing again', async () => {
    const key = randomBytes(32);
    const legacy = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ token: 'old' })))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(new Uint8Array(key));
    const legacyBox = createSecretBox(key.toString('base64url'));
    expect(await legacyBox.open(legacy, BIND)).toEqual({ value: { token: 'old' }, unbound: true });
    await expect(box.open(legacy, BIND)).rejects.toThrow(/sealed with a different secret key .* or are corrupt/);
  });

  it('refuses another key naming both fingerprints, tampering and malformed keys, without echoing secrets', async () => {
    const jwe = await box.seal({ token: 'SSWS-do-not-print' }, BIND);
    const other = createSecretBox(randomBytes(32).toString('base64url'), { source: 'IDGRAPH_SECRET_KEY' });
    await expect(other.open(jwe, BIND)).rejects.toThrow(
      `they were sealed with the secret key of fingerprint ${box.fingerprint}, but IDGRAPH_SECRET_KEY has fingerprint ${other.fingerprint}; restore the key with fingerprint ${box.fingerprint}`,
    );
    const parts = jwe.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    await expect(box.open(parts.join('.'), BIND)).rejects.toThrow(/corrupt or were tampered with/);
    const refused = await other.open(jwe, BIND).then(() => null, (err: Error) => err);
    expect(refused?.message).toMatch(/different secret key|fingerprint/);
    expect(refused?.message).not.toContain('do-not-print');
    expect(() => createSecretBox(randomBytes(16).toString('base64url'))).toThrow(/32 random bytes, base64url-encoded \(got 16 bytes\)/);
    expect(box.fingerprint).toMatch(/^sha256:[0-9a-f]{32}$/);
  });
});

describe('resolveSecretKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idgraph-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers IDGRAPH_SECRET_KEY', () => {
    const key = randomBytes(32).toString('base64url');
    expect(resolveSecretKey({ secretKey: key, dataDir: join(dir, 'unused') })).toBe(key);
    expect(() => resolveSecretKey({ secretKey: 'c2hvcnQ', dataDir: dir })).toThrow(/32 random bytes/);
  });

  it('creates a 0600 key file on first use and reuses it', () => {
    const dataDir = join(dir, 'data');
    const first = resolveSecretKey({ dataDir });
    const file = join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBe(32);
    expect(resolveSecretKey({ dataDir })).toBe(first);
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
  });

  it('names a damaged key file', () => {
    const dataDir = join(dir, 'damaged');
    resolveSecretKey({ dataDir });
    writeFileSync(join(dataDir, 'secret.key'), 'short');
    expect(() => resolveSecretKey({ dataDir })).toThrow(/secret\.key holds 5 bytes, expected 32/);
  });

  it('says in words why a key file cannot be read or created, not with a bare errno', () => {
    const asDir = join(dir, 'dir-key');
    mkdirSync(join(asDir, 'secret.key'), { recursive: true });
    expect(() => resolveSecretKey({ dataDir: asDir })).toThrow(
      `cannot read the secret key file ${join(asDir, 'secret.key')}: it is a directory, not a file; fix it, or set IDGRAPH_SECRET_KEY instead`,
    );
    if (process.getuid?.() === 0) return; // root ignores file modes
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    try {
      expect(() => resolveSecretKey({ dataDir: locked })).toThrow(/cannot create the secret key file .*locked\/secret\.key: permission denied \(check the owner and mode/);
    } finally {
      chmodSync(locked, 0o700);
    }
  });

  it('never generates a key while sealed secrets exist, and refuses another key, naming the fingerprint expected', () => {
    const dataDir = join(dir, 'lost');
    const original = resolveSecretKey({ dataDir });
    const fp = secretKeyFingerprint(original);
    const file = join(dataDir, 'secret.key');
    unlinkSync(file);
    expect(() => resolveSecretKey({ dataDir }, { count: 2, fingerprints: [fp] })).toThrow(
      `the secret key file ${file} is missing, but 2 stored integration secret(s) were sealed with the key of fingerprint ${fp}: restore that file from a backup, or give that key in IDGRAPH_SECRET_KEY (or its directory in IDGRAPH_DATA_DIR); idgraph does not generate a new key while sealed secrets exist`,
    );
    expect(() => statSync(file)).toThrow();
    // Rows sealed by an older idgraph recorded no fingerprint; still no new key.
    expect(() => resolveSecretKey({ dataDir }, { count: 1, fingerprints: [] })).toThrow(/a key whose fingerprint was not recorded/);
    // Another key (file or variable) than the one rows were sealed with is refused up front.
    const stranger = randomBytes(32).toString('base64url');
    expect(() => resolveSecretKey({ dataDir, secretKey: stranger }, { count: 2, fingerprints: [fp] })).toThrow(
      `IDGRAPH_SECRET_KEY has fingerprint ${secretKeyFingerprint(stranger)}, but the 2 stored integration secret(s) were sealed with the key of fingerprint ${fp}`,
    );
    writeFileSync(file, Buffer.from(stranger, 'base64url'));
    expect(() => resolveSecretKey({ dataDir }, { count: 2, fingerprints: [fp] })).toThrow(`the key file ${file} has fingerprint`);
    writeFileSync(file, Buffer.from(original, 'base64url'));
    expect(resolveSecretKey({ dataDir }, { count: 2, fingerprints: [fp] })).toBe(original);
  });
});
