import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretBox, resolveSecretKey } from './secrets.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';

describe('createSecretBox', () => {
  const box = createSecretBox(randomBytes(32).toString('base64url'));

  it('seals to a dir/A256GCM JWE that does not contain the plaintext, and opens it again', async () => {
    const jwe = await box.seal({ privateKeyPem: PEM });
    const [header, encryptedKey, , ciphertext] = jwe.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM' });
    expect(encryptedKey).toBe('');
    expect(Buffer.from(ciphertext!, 'base64url').toString('latin1')).not.toContain('PRIVATE KEY');
    expect(await box.open(jwe)).toEqual({ privateKeyPem: PEM });
    // Two seals of the same value differ (fresh IV), so equal secrets are not recognisable.
    expect(await box.seal({ token: 't' })).not.toBe(await box.seal({ token: 't' }));
  });

  it('refuses another key, tampering and malformed keys without echoing secrets', async () => {
    const jwe = await box.seal({ token: 'SSWS-do-not-print' });
    const other = createSecretBox(randomBytes(32).toString('base64url'));
    await expect(other.open(jwe)).rejects.toThrow(/different secret key/);
    const parts = jwe.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    await expect(box.open(parts.join('.'))).rejects.toThrow(/different secret key .* or are corrupt/);
    const refused = await other.open(jwe).then(() => null, (err: Error) => err);
    expect(refused?.message).toMatch(/different secret key/);
    expect(refused?.message).not.toContain('do-not-print');
    expect(() => createSecretBox(randomBytes(16).toString('base64url'))).toThrow(/32 random bytes, base64url-encoded \(got 16 bytes\)/);
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
});
